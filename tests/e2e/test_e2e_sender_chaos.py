"""Two sender replicas against a hostile Graph API: every reply ends delivered or failed with its
reason, none is sent twice, and no WhatsApp limit is broken (issue 3, acceptance 3).

The simulator plays Meta with its own limits switched to strict values (so that a limit broken
by our pacing shows up within seconds) and injects 30 % HTTP 5xx, timeouts, pair-rate and
window errors, undeliverable numbers and a 130429 storm. Its status webhooks go through the real
gateway, so "delivered" is what Meta would report, not what the sender assumed.
"""

from __future__ import annotations

import asyncio
import uuid
from collections import defaultdict
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from tasklane_common.messaging import deterministic_id, new_envelope
from tasklane_common.messaging.contracts.agent import ReplyRequested
from tasklane_common.runtime import ServiceRuntime
from tasklane_common.testing import cleanup_run, new_run_id, real_settings, running
from tasklane_gateway.app import create_app as create_gateway
from tasklane_gateway.settings import GatewaySettings
from tasklane_sender.app import create_app as create_sender
from tasklane_sender.settings import SenderSettings
from tasklane_sender.tables import outbound_messages
from tasklane_simulator.app import create_app as create_simulator
from tasklane_simulator.payloads import DEFAULT_PHONE_NUMBER_ID
from tasklane_simulator.settings import SimulatorSettings
from tasklane_simulator.simulator import WhatsAppSimulator

pytestmark = pytest.mark.e2e

SECRET = "chaos-app-secret"
TOKEN = "chaos-access-token"
# Strict, scaled-down limits: the same rules as Meta's, reached in seconds instead of minutes.
THROUGHPUT_PER_S = 20.0
PAIR_INTERVAL_S = 1.0
PAIR_BURST = 3
RECIPIENTS = 12
REPLIES_EACH = 4
FINAL = {"delivered", "read", "failed"}


def _phone() -> str:
    return "4915" + str(uuid.uuid4().int)[:9]


class Chaos:
    def __init__(self, sim: WhatsAppSimulator, senders: list[ServiceRuntime]) -> None:
        self.sim = sim
        self.senders = senders

    async def rows(self) -> list[Any]:
        async with self.senders[0].db.read() as session:
            return list((await session.execute(select(outbound_messages))).all())


@pytest.fixture
async def chaos() -> AsyncIterator[Chaos]:
    run_id = new_run_id()
    sim_settings = SimulatorSettings(
        access_token=TOKEN,
        app_secret=SECRET,
        webhook_url="http://gateway/api/webhooks/whatsapp",
        # Statuses come later than a lost answer's timeout (fault_timeout_s), as Meta's can: a
        # retry that did not wait for them would send the message twice (the test fails so).
        status_delay_s=1.0,
        throughput_per_s=THROUGHPUT_PER_S,
        pair_interval_s=PAIR_INTERVAL_S,
        pair_burst=PAIR_BURST,
        window="enforce",
        fault_seed=20261125,
        fault_timeout_s=0.6,
    )
    try:
        async with AsyncExitStack() as stack:
            gateway = create_gateway(
                real_settings(GatewaySettings, run_id, "gateway", app_secret=SECRET, verify_token="v")
            )
            await stack.enter_async_context(running(gateway))
            to_gateway = await stack.enter_async_context(
                httpx.AsyncClient(transport=httpx.ASGITransport(app=gateway), base_url="http://gateway")
            )
            sim_app = await stack.enter_async_context(
                running(create_simulator(sim_settings, webhook_client=to_gateway))
            )
            senders: list[ServiceRuntime] = []
            for _ in range(2):
                graph = await stack.enter_async_context(
                    httpx.AsyncClient(transport=httpx.ASGITransport(app=sim_app), base_url="http://sim")
                )
                settings = real_settings(
                    SenderSettings,
                    run_id,
                    "sender",
                    graph_base_url="http://sim",
                    access_token=TOKEN,
                    throughput_per_s=THROUGHPUT_PER_S,
                    pair_interval_s=PAIR_INTERVAL_S,
                    pair_burst=PAIR_BURST,
                    window_template_name="tasklane_update",
                    request_timeout_s=0.3,
                    max_attempts=8,
                    backoff_initial_s=0.05,
                    backoff_max_s=1.0,
                    ambiguous_retry_s=2.0,
                    breaker_reset_s=0.5,
                    poll_interval_s=0.1,
                    lease_s=5.0,
                )
                app = await stack.enter_async_context(running(create_sender(settings, graph_client=graph)))
                senders.append(app.state.runtime)
            yield Chaos(sim_app.state.simulator, senders)
            await sim_app.state.simulator.wait_idle(timeout=15)
    finally:
        await cleanup_run(run_id)


def _reply(to: str, n: int) -> Any:
    reply_id = f"chaos-{to}-{n}"
    event = ReplyRequested(
        reply_id=reply_id,
        phone_number_id=DEFAULT_PHONE_NUMBER_ID,
        to=to,
        user_id=f"u-{to}",
        kind="text",
        content={"body": f"Reply {n}: your task list is up to date"},
    )
    return new_envelope(
        event, producer="agent", event_id=deterministic_id("reply", reply_id), correlation_id=reply_id
    )


async def test_two_senders_under_faults_deliver_or_fail_each_reply_once_within_limits(chaos: Chaos) -> None:
    sim = chaos.sim
    users = [_phone() for _ in range(RECIPIENTS)]
    # Half the users wrote to us (window open on both sides: read receipts, free-form replies);
    # the other half did not (Meta answers 131047 and the reply goes out as the template).
    for wa_id in users[: RECIPIENTS // 2]:
        await sim.inject_text(wa_id, "hi, what's on my list?")
    # "lost_answer": Meta accepts the message but the answer never arrives (the call times out):
    # only the `sent` status, which names the reply, keeps the retry from sending it twice.
    sim.set_faults(
        {"5xx": 0.3, "timeout": 0.05, "lost_answer": 0.05, "131056": 0.05, "131047": 0.05, "131026": 0.03}
    )
    envelopes = [_reply(to, n) for n in range(REPLIES_EACH) for to in users]
    half = len(envelopes) // 2
    await chaos.senders[0].publish(envelopes[:half])
    sim.storm("130429", 1.0)
    await chaos.senders[1].publish(envelopes[half:])

    deadline = asyncio.get_running_loop().time() + 120
    rows: list[Any] = []
    while asyncio.get_running_loop().time() < deadline:
        rows = [r for r in await chaos.rows() if r.kind != "read"]
        if len(rows) == len(envelopes) and all(r.status in FINAL for r in rows):
            break
        await asyncio.sleep(0.25)
    states = defaultdict(list)
    for r in rows:
        states[r.status].append(r.reply_id)
    assert len(rows) == len(envelopes), "a reply was lost"
    assert set(states) <= FINAL, {k: len(v) for k, v in states.items()}
    for r in rows:
        if r.status == "failed":
            assert r.last_error, f"{r.reply_id} failed without a reason"
    assert len(states["delivered"]) + len(states["read"]) > len(envelopes) // 2

    # Never sent twice: each reply id reached Meta (was accepted) at most once.
    assert sim.duplicates() == []
    # No limit broken: the simulator replays its own throughput and pair-rate rules over the
    # timestamps of every accepted send.
    assert sim.limit_violations() == []
    accepted = [a for a in sim.attempts() if a.accepted and not a.is_read]
    assert {a.biz_opaque_callback_data for a in accepted} == {r.reply_id for r in rows if r.wamid is not None}
    # Replies to one user left in the order they were asked for.
    by_user: dict[str, list[int]] = defaultdict(list)
    for attempt in sorted(accepted, key=lambda a: a.monotonic):
        reply_id = str(attempt.biz_opaque_callback_data)
        to, n = reply_id.removeprefix("chaos-").rsplit("-", 1)
        by_user[to].append(int(n))
    for to, order in by_user.items():
        assert order == sorted(order), (to, order)
    # The faults really happened.
    rejected = [a for a in sim.attempts() if not a.accepted]
    assert len(rejected) > len(envelopes) // 4
    assert any(a.fault == "lost_answer" for a in sim.attempts())
