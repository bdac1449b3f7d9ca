"""The per-user inbound rate limit on the real RabbitMQ and PostgreSQL: what is over the limit is
acknowledged to Meta, kept and announced but not processed; the user gets one "slow down" reply
per window; two gateway replicas share the counts."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator
from typing import Any

import pytest
from gateway_contacts_harness import (
    Events,
    PinnedClock,
    contacts_settings,
    gateway_with_clock,
    message,
    webhook,
)
from gateway_harness import Gateway, watching
from sqlalchemy import select

from tasklane_gateway.tables import throttled_messages

LIMIT = 3


def new_wa_id() -> str:
    return "49151" + "".join(secrets.choice("0123456789") for _ in range(8))


@pytest.fixture(scope="module")
def clock() -> PinnedClock:
    return PinnedClock()


@pytest.fixture(scope="module")
async def pair(module_run_id: str, clock: PinnedClock) -> AsyncIterator[tuple[Gateway, Gateway]]:
    settings = contacts_settings(module_run_id, inbound_rate_limit_per_minute=LIMIT)
    async with gateway_with_clock(settings, clock) as a, gateway_with_clock(settings, clock) as b:
        yield a, b


@pytest.fixture(scope="module")
async def module_events(pair: tuple[Gateway, Gateway], module_run_id: str) -> AsyncIterator[Events]:
    async with watching(f"{module_run_id}.") as watcher:
        yield Events(watcher)


@pytest.fixture
async def events(module_events: Events) -> Events:
    await module_events.drain()
    return module_events


async def post(gateway: Gateway, *messages: dict[str, Any]) -> dict[str, Any]:
    response = await gateway.post(webhook(*messages))
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_messages_over_the_limit_are_acknowledged_kept_and_announced_not_processed(
    pair: tuple[Gateway, Gateway], events: Events, clock: PinnedClock
) -> None:
    a, b = pair
    wa_id = new_wa_id()
    burst = [message(wa_id=wa_id, text=f"task {i}") for i in range(5)]

    assert (await post(a, *burst))["messages"] == 5  # all acknowledged
    late = message(wa_id=wa_id, text="one more")
    await post(b, late)  # the other replica, same window: over the limit too

    received = await events.of("message.received", LIMIT)
    assert [p["wamid"] for p in received] == [m["id"] for m in burst[:LIMIT]]
    throttled = await events.of("message.throttled", 3)
    assert [p["wamid"] for p in throttled] == [m["id"] for m in (*burst[LIMIT:], late)]
    assert {(p["user_id"], p["limit_per_minute"]) for p in throttled} == {(received[0]["user_id"], LIMIT)}
    async with a.app.state.runtime.db.read() as session:
        rows = (await session.execute(select(throttled_messages))).mappings().all()
    kept = {r["wamid"]: r for r in rows}
    assert {p["wamid"] for p in throttled} <= set(kept)
    assert kept[late["id"]]["event"]["text"] == "one more"

    # The next minute the user is heard again, and the next excess earns a second reply.
    clock.advance(minutes=1)
    again = [message(wa_id=wa_id) for _ in range(LIMIT + 1)]
    await post(b, *again)
    assert len(await events.of("message.received", 2 * LIMIT)) == 2 * LIMIT
    replies = await events.of("reply.requested", 2, where=lambda p: p["to"] == wa_id)
    assert [r["in_reply_to"] for r in replies] == [burst[LIMIT]["id"], again[LIMIT]["id"]]
    assert replies[0]["content"]["body"] == a.settings.slow_down_reply_text
    assert replies[0]["user_id"] == received[0]["user_id"]


async def test_two_replicas_admit_the_limit_together_not_each(
    pair: tuple[Gateway, Gateway], events: Events, clock: PinnedClock
) -> None:
    a, b = pair
    clock.advance(minutes=1)
    wa_id = new_wa_id()
    sent = [message(wa_id=wa_id) for _ in range(10)]

    await asyncio.gather(*(post(gw, m) for gw, m in zip([a, b] * 5, sent, strict=True)))

    assert len(await events.of("message.received", LIMIT)) == LIMIT
    assert len(await events.of("message.throttled", len(sent) - LIMIT)) == len(sent) - LIMIT
    # A barrier: the next window's reply comes after any reply queued for this one.
    clock.advance(minutes=1)
    next_window = [message(wa_id=wa_id) for _ in range(LIMIT + 1)]
    await post(a, *next_window)
    replies = await events.of("reply.requested", 2, where=lambda p: p["to"] == wa_id)
    assert replies[0]["in_reply_to"] in {m["id"] for m in sent}
    assert replies[1]["in_reply_to"] == next_window[LIMIT]["id"]


async def test_a_limit_of_zero_lets_everything_through(
    module_run_id: str, pair: tuple[Gateway, Gateway], events: Events, clock: PinnedClock
) -> None:
    settings = contacts_settings(module_run_id, inbound_rate_limit_per_minute=0)
    async with gateway_with_clock(settings, clock) as unlimited:
        wa_id = new_wa_id()
        await post(unlimited, *(message(wa_id=wa_id) for _ in range(40)))
    assert len(await events.of("message.received", 40)) == 40
    assert await events.of("message.throttled", 0) == []
