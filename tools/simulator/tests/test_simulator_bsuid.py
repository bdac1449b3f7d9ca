"""Users known only by a business-scoped user id (BSUID): the simulator takes sends by
``recipient`` as Meta does, keys limits, windows and records by the BSUID, and names it in the
statuses' ``recipient_user_id`` (no ``recipient_id``), which is what the gateway reads."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

import httpx
from fastapi import FastAPI, Request, Response

from tasklane_common.testing import running
from tasklane_gateway.webhook import parse
from tasklane_simulator import inbound
from tasklane_simulator.app import create_app
from tasklane_simulator.clock import ManualClock
from tasklane_simulator.payloads import DEFAULT_PHONE_NUMBER_ID
from tasklane_simulator.settings import SimulatorSettings
from tasklane_simulator.simulator import WhatsAppSimulator

URL = f"/v25.0/{DEFAULT_PHONE_NUMBER_ID}/messages"
AUTH = {"Authorization": "Bearer sim-access-token"}
BSUID = "US.13491208655302741918"


def send(**address: Any) -> dict[str, Any]:
    return {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        **address,
        "type": "text",
        "text": {"body": "Hi"},
    }


class Sim:
    def __init__(self, app: FastAPI, client: httpx.AsyncClient, clock: ManualClock, hooks: list[Any]) -> None:
        self.app, self.client, self.clock, self.hooks = app, client, clock, hooks
        self.sim: WhatsAppSimulator = app.state.simulator

    async def post(self, body: dict[str, Any]) -> httpx.Response:
        return await self.client.post(URL, json=body, headers=AUTH)

    async def code(self, body: dict[str, Any]) -> int | None:
        response = await self.post(body)
        return None if response.status_code == 200 else int(response.json()["error"]["code"])


@asynccontextmanager
async def make(**settings: Any) -> AsyncIterator[Sim]:
    hooks: list[Any] = []
    gateway = FastAPI()

    @gateway.post("/hook")
    async def hook(request: Request) -> Response:
        hooks.append(await request.json())
        return Response(status_code=200)

    clock = ManualClock()
    values: dict[str, Any] = {"send_statuses": False, "webhook_url": "http://gateway/hook", **settings}
    hook_client = httpx.AsyncClient(transport=httpx.ASGITransport(app=gateway))
    app = create_app(SimulatorSettings(**values), webhook_client=hook_client, clock=clock)
    async with (
        hook_client,
        running(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://sim") as c,
    ):
        yield Sim(app, c, clock, hooks)


async def test_a_send_by_recipient_is_accepted_recorded_and_answered_with_user_id() -> None:
    async with make() as s:
        response = await s.post(send(recipient=BSUID))

        assert response.status_code == 200, response.text
        answer = response.json()
        assert answer["contacts"] == [{"input": BSUID, "user_id": BSUID}]
        [sent] = s.sim.sent_messages(BSUID)
        assert sent["wamid"] == answer["messages"][0]["id"]
        assert (sent["to"], sent["input"]) == (BSUID, BSUID)
        assert sent["body"]["recipient"] == BSUID
        assert "to" not in sent["body"]
        [attempt] = s.sim.attempts()
        assert (attempt.to, attempt.outcome) == (BSUID, "accepted")
        listed = (await s.client.get("/__sim/messages", params={"to": BSUID})).json()
        assert [m["wamid"] for m in listed] == [sent["wamid"]]


async def test_to_or_recipient_is_required_and_each_must_be_what_it_says() -> None:
    async with make() as s:
        neither = await s.code(send())
        bad_recipient = [
            await s.code(send(recipient=r))
            for r in ("5511999990001", "us.123", "US.", "US.12 34", "USA.123", "US." + "1" * 129)
        ]
        bsuid_in_to = await s.code(send(to=BSUID))
        parent = await s.code(send(recipient="US.ENT.11815799212886844830"))
        # Meta's rule: with both, ``to`` wins (and the send goes by the phone number).
        both = await s.post(send(to="+5511999990001", recipient=BSUID))

    assert neither == 100
    assert bad_recipient == [100] * 6
    assert bsuid_in_to == 100
    assert parent is None
    assert both.json()["contacts"] == [{"input": "+5511999990001", "wa_id": "5511999990001"}]


async def test_statuses_of_a_bsuid_send_name_it_as_recipient_user_id_for_the_gateway() -> None:
    async with make(send_statuses=True, status_delay_s=0.0) as s:
        wamid = (await s.post(send(recipient=BSUID))).json()["messages"][0]["id"]
        await s.sim.wait_idle()
        await s.sim.inject_status(wamid, "failed", recipient_id=BSUID, errors=[])

    items = [i for p in s.hooks for e in p["entry"] for c in e["changes"] for i in c["value"]["statuses"]]
    assert [i["status"] for i in items] == ["sent", "delivered", "read", "failed"]
    assert all(i["recipient_user_id"] == BSUID and "recipient_id" not in i for i in items)
    # The gateway's own parser reads them as statuses of that BSUID, with no phone number.
    parsed = [st for p in s.hooks for st in parse(p, received_at=datetime.now(UTC)).statuses]
    assert {(st.wamid, st.recipient_id, st.recipient_bsuid) for st in parsed} == {(wamid, None, BSUID)}


async def test_pair_rate_and_window_are_keyed_by_the_bsuid() -> None:
    async with make(window="enforce", pair_burst=2, pair_interval_s=6) as s:
        closed = await s.code(send(recipient=BSUID))
        # A user who hides their number writes: only ``from_user_id`` names them.
        user = inbound.User(wa_id=None, name="Kai", bsuid=BSUID, username="kai.builds")
        await s.sim.inject_webhook(inbound.messages_webhook(inbound.text(user, "hi")))
        burst = [await s.code(send(recipient=BSUID)) for _ in range(3)]
        other = await s.code(send(recipient="US.99999999999999999999"))
        s.clock.advance(24 * 3600 + 1)
        expired = await s.code(send(recipient=BSUID))

    assert closed == 131047
    assert burst == [None, None, 131056]
    assert other == 131047
    assert expired == 131047
    assert s.sim.limit_violations() == []
