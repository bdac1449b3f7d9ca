"""Meta's limits in the simulator: throughput, pair rate, the 24-hour window; the after-the-fact
checks (limit violations, duplicates); several numbers and the phone number node."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, Response

from tasklane_common.testing import running
from tasklane_simulator import payloads
from tasklane_simulator.app import create_app
from tasklane_simulator.clock import ManualClock
from tasklane_simulator.limits import LimitConfig, violations
from tasklane_simulator.payloads import DEFAULT_PHONE_NUMBER_ID
from tasklane_simulator.records import SendAttempt
from tasklane_simulator.settings import NumberSettings, SimulatorSettings
from tasklane_simulator.simulator import WhatsAppSimulator

URL = f"/v25.0/{DEFAULT_PHONE_NUMBER_ID}/messages"
AUTH = {"Authorization": "Bearer sim-access-token"}
READ = {"messaging_product": "whatsapp", "status": "read", "message_id": "wamid.IN"}


def text(to: str, callback: str | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"messaging_product": "whatsapp", "to": to, "type": "text", "text": {"body": "hi"}}
    if callback is not None:
        out["biz_opaque_callback_data"] = callback
    return out


def template(to: str) -> dict[str, Any]:
    return {
        "messaging_product": "whatsapp",
        "to": to,
        "type": "template",
        "template": {"name": "reply_fallback", "language": {"code": "en"}},
    }


class Sim:
    """The simulator on a manual clock, called over HTTP in-process."""

    def __init__(self, app: FastAPI, client: httpx.AsyncClient, clock: ManualClock) -> None:
        self.app, self.client, self.clock = app, client, clock
        self.sim: WhatsAppSimulator = app.state.simulator

    async def post(
        self, body: dict[str, Any], *, url: str = URL, token: str = "sim-access-token"
    ) -> int | None:
        """The Graph error code of the answer, None for a success."""
        response = await self.client.post(url, json=body, headers={"Authorization": f"Bearer {token}"})
        if response.status_code == 200:
            return None
        code: int = response.json()["error"]["code"]
        return code


@asynccontextmanager
async def make(**settings: Any) -> AsyncIterator[Sim]:
    clock = ManualClock()
    hook = httpx.AsyncClient(transport=httpx.ASGITransport(app=_gateway()))
    values: dict[str, Any] = {"send_statuses": False, "webhook_url": "http://gateway/hook", **settings}
    app = create_app(SimulatorSettings(**values), webhook_client=hook, clock=clock)
    async with (
        hook,
        running(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://sim") as c,
    ):
        yield Sim(app, c, clock)


def _gateway() -> FastAPI:
    gateway = FastAPI()

    @gateway.post("/hook")
    async def hook() -> Response:
        return Response(status_code=200)

    return gateway


@pytest.fixture
async def s() -> AsyncIterator[Sim]:
    async with make(throughput_per_s=5, pair_burst=3, pair_interval_s=6) as sim:
        yield sim


async def test_throughput_answers_130429_exactly_when_exceeded(s: Sim) -> None:
    burst = [await s.post(text(f"+491700000{i:04d}")) for i in range(5)]
    over = await s.post(text("+4917000009999"))
    s.clock.advance(0.2)  # one token back at 5/s
    refilled = [await s.post(text("+4917000008888")), await s.post(text("+4917000008887"))]

    assert burst == [None] * 5
    assert over == 130429
    assert refilled == [None, 130429]
    assert s.sim.limit_violations() == []
    assert s.sim.limit_rejections() == {"130429": 2}
    assert [a.fault for a in s.sim.attempts()] == [None] * 8


async def test_pair_rate_answers_131056_per_recipient(s: Sim) -> None:
    same = [await s.post(text("+4917000000001")) for _ in range(4)]
    other = await s.post(text("+4917000000002"))
    s.clock.advance(6.0)
    after = [await s.post(text("+4917000000001")), await s.post(text("+4917000000001"))]

    assert same == [None, None, None, 131056]
    assert other is None
    assert after == [None, 131056]
    assert s.sim.limit_violations() == []


async def test_read_receipts_count_toward_throughput_not_pair(s: Sim) -> None:
    answers = [await s.post(READ) for _ in range(3)]
    answers += [await s.post(text("+4917000000003")), await s.post(text("+4917000000003"))]
    answers.append(await s.post(READ))

    assert answers == [None, None, None, None, None, 130429]
    assert [a.type for a in s.sim.attempts()] == ["read", "read", "read", "text", "text", "read"]


async def test_limits_can_be_changed_or_switched_off_at_run_time(s: Sim) -> None:
    changed = await s.client.post("/__sim/limits", json={"throughput_per_s": 2, "pair_burst": 0})
    assert changed.json()["throughput_per_s"] == 2
    assert [await s.post(text("+4917000000004")) for _ in range(3)] == [None, None, 130429]

    await s.client.post("/__sim/limits", json={"limits": "off"})
    assert [await s.post(text("+4917000000004")) for _ in range(3)] == [None, None, None]
    assert (await s.client.post("/__sim/limits", json={"limits": "sometimes"})).status_code == 422
    assert (await s.client.post("/__sim/limits", json={"speed": 1})).status_code == 422

    # Off, nothing was refused, but the record shows the 5 sends in one instant broke 2/s.
    report = (await s.client.get("/__sim/limits")).json()
    [violation] = report["violations"]
    assert violation["limit"] == "throughput"
    assert violation["sends"] == 5
    assert violation["allowed"] == pytest.approx(2.0)
    assert report["rejections"] == {"130429": 1}


def attempt(seq: int, at: float, *, to: str = "4917000000005", type_: str = "text") -> SendAttempt:
    return SendAttempt(
        seq=seq,
        at=datetime.now(UTC),
        monotonic=at,
        phone_number_id=DEFAULT_PHONE_NUMBER_ID,
        to=to,
        type=type_,
        outcome="accepted",
        http_status=200,
        code=None,
        fault=None,
        wamid=f"wamid.{seq}",
        biz_opaque_callback_data=None,
    )


def test_violations_are_exact_sliding_windows() -> None:
    config = LimitConfig(throughput_per_s=10, pair_burst=0)
    # A full burst of 10, then exactly the rate: what a token bucket allows, to the send.
    compliant = [attempt(i, 100.0, to=f"49170{i:08d}") for i in range(10)]
    compliant += [attempt(10 + i, 100.0 + 0.1 * (i + 1), to=f"49171{i:08d}") for i in range(20)]
    assert violations(compliant, config) == []

    crafted = [*compliant, attempt(99, 102.0, to="4917200000000")]  # one early send
    [violation] = violations(crafted, config)
    assert (violation.limit, violation.violating_sends) == ("throughput", 1)
    assert violation.sends > violation.allowed

    pair = LimitConfig(throughput_per_s=0, pair_burst=45, pair_interval_s=6)
    burst = [attempt(i, 10.0) for i in range(45)]
    assert violations([*burst, attempt(45, 16.0)], pair) == []
    [too_soon] = violations([*burst, attempt(45, 15.9)], pair)
    assert (too_soon.limit, too_soon.to, too_soon.sends) == ("pair", "4917000000005", 46)


async def test_compliant_paced_traffic_has_no_violations() -> None:
    async with make(throughput_per_s=20) as s:
        for i in range(100):
            assert await s.post(text(f"+4917{i % 40:09d}")) is None
            if i % 40 == 39:
                s.clock.advance(6.0)
            s.clock.advance(0.05)
        assert s.sim.limit_violations() == []


async def test_window_enforced_from_injected_inbound() -> None:
    async with make(window="enforce") as s:
        user = "+4917000000010"
        outside = await s.post(text(user))
        fallback = await s.post(template(user))
        reaction = await s.post(
            {
                "messaging_product": "whatsapp",
                "to": user,
                "type": "reaction",
                "reaction": {"message_id": "wamid.X", "emoji": "\U0001f44d"},
            }
        )
        read = await s.post(READ)
        assert (outside, fallback, reaction, read) == (131047, None, 131047, None)

        await s.sim.inject_text(user, "hello")
        assert await s.post(text(user)) is None
        s.clock.advance(24 * 3600 + 1)
        assert await s.post(text(user)) == 131047

        stale = payloads.text_message_webhook(from_="4917000000011", text="late", timestamp=int(time.time()))
        await s.client.post("/__sim/inbound", json={"payload": stale})  # written 24 h ago by now
        assert await s.post(text("+4917000000011")) == 131047
        await s.client.post("/__sim/window", json={"wa_id": "+4917000000011"})
        assert await s.post(text("+4917000000011")) is None


async def test_duplicates_name_messages_accepted_twice(s: Sim) -> None:
    await s.post(text("+4917000000012", callback="r-1"))
    await s.post(text("+4917000000013", callback="r-2"))
    await s.post(text("+4917000000012", callback="r-1"))
    s.sim.fail_next(1, 131000)
    await s.post(text("+4917000000013", callback="r-2"))  # refused: not a duplicate

    [duplicate] = s.sim.duplicates()
    assert duplicate.biz_opaque_callback_data == "r-1"
    assert len({a.wamid for a in duplicate.attempts}) == 2
    listed = (await s.client.get("/__sim/duplicates")).json()
    assert [(d["biz_opaque_callback_data"], d["count"]) for d in listed] == [("r-1", 2)]
    assert len((await s.client.get("/__sim/attempts")).json()) == 4


SECOND = NumberSettings(
    phone_number_id="209876543210987",
    display_phone_number="4930123456",
    waba_id="300000000000001",
    access_token="second-token",
    verified_name="Second Line",
    quality_rating="YELLOW",
)


async def test_several_numbers_with_their_own_tokens_and_phone_number_node() -> None:
    first = NumberSettings(
        phone_number_id=DEFAULT_PHONE_NUMBER_ID,
        display_phone_number="15550783881",
        access_token="first-token",
    )
    async with make(numbers=[first.model_dump(), SECOND.model_dump()]) as s:
        second_url = f"/v25.0/{SECOND.phone_number_id}/messages"
        assert await s.post(text("+4917000000014"), token="first-token") is None
        assert await s.post(text("+4917000000014"), url=second_url, token="second-token") is None
        assert await s.post(text("+4917000000014"), url=second_url, token="first-token") == 100
        assert await s.post(text("+4917000000014"), token="sim-access-token") == 190
        assert [m["phone_number_id"] for m in s.sim.sent_messages()] == [
            DEFAULT_PHONE_NUMBER_ID,
            SECOND.phone_number_id,
        ]

        node = await s.client.get(
            f"/v25.0/{SECOND.phone_number_id}",
            params={"fields": "display_phone_number,verified_name,quality_rating"},
            headers={"Authorization": "Bearer second-token"},
        )
        assert node.json() == {
            "display_phone_number": "+4930123456",
            "verified_name": "Second Line",
            "quality_rating": "YELLOW",
            "id": SECOND.phone_number_id,
        }
        default = await s.client.get(
            f"/v25.0/{DEFAULT_PHONE_NUMBER_ID}", headers={"Authorization": "Bearer first-token"}
        )
        assert default.json()["display_phone_number"] == "+1 555-078-3881"
        assert default.json()["id"] == DEFAULT_PHONE_NUMBER_ID

        async def code_of(path: str, token: str, fields: str = "id") -> tuple[int, int]:
            response = await s.client.get(
                path, params={"fields": fields}, headers={"Authorization": f"Bearer {token}"}
            )
            return response.status_code, response.json()["error"]["code"]

        assert await code_of(f"/v25.0/{SECOND.phone_number_id}", "expired") == (401, 190)
        assert await code_of("/v25.0/123456789", "second-token") == (400, 100)
        assert await code_of(f"/v25.0/{SECOND.phone_number_id}", "first-token") == (400, 100)
        assert await code_of(f"/v25.0/{SECOND.phone_number_id}", "second-token", "colour") == (400, 100)


async def test_a_number_can_be_added_and_its_token_rotated(s: Sim) -> None:
    s.sim.add_number(SECOND)
    url = f"/v25.0/{SECOND.phone_number_id}/messages"
    assert await s.post(text("+4917000000015"), url=url, token="second-token") is None
    s.sim.add_number(SECOND.model_copy(update={"access_token": "rotated"}))
    assert await s.post(text("+4917000000015"), url=url, token="second-token") == 190
    assert await s.post(text("+4917000000015"), url=url, token="rotated") is None
