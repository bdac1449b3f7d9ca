"""A sender told to stop while it has work in flight finishes its calls within its budget and gives
back what it had claimed but not sent, so another replica sends it at once: nothing is lost,
nothing is sent twice, no message waits out a lease."""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Any

from sqlalchemy import select

from tasklane_sender.tables import outbound_messages

DELAY_S = 2.0


class SlowGraph:
    """The simulator behind a Graph API that takes ``DELAY_S`` to answer each send."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.started = 0

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope["path"].endswith("/messages"):
            self.started += 1
            await asyncio.sleep(DELAY_S)
        await self.app(scope, receive, send)


async def test_a_stopping_sender_finishes_its_calls_and_releases_the_rest_for_another_replica(
    harness: Any,
) -> None:
    replies = [harness.reply(harness.phone()) for _ in range(20)]
    ids = {r.payload["reply_id"] for r in replies}
    slow = SlowGraph(harness.sim_app)
    # Two calls at a time, six claimed (graph_concurrency x lease_s / (2 x request_timeout_s)):
    # when it stops, two are in flight and four wait behind them. Sending those four too would
    # take two more rounds, past the budget.
    stopping = {"graph_concurrency": 2, "shutdown_grace_s": DELAY_S * 1.5}
    async with harness.start(graph_app=slow, **stopping) as app:
        db = harness.runtime(app).db
        await harness.publish(app, *replies)
        await harness.settled(lambda: slow.started >= 2, timeout=10)
    # Stopped. Read with a fresh pool: the sender closed its own.
    async with db.read() as session:
        t = outbound_messages
        rows = (await session.execute(select(t).where(t.c.reply_id.in_(ids)))).all()
    await db.dispose()
    status = Counter(r.status for r in rows)
    # Its calls in flight finished and were settled within the budget; nothing is left leased.
    assert status["sending"] == 0
    assert status["sent"] >= 2
    assert status["sent"] + status["queued"] == len(replies)
    # What it claimed but had not sent went back as if never claimed: no attempt spent.
    assert all(r.attempts == 0 for r in rows if r.status == "queued")

    async with harness.start() as other:
        for reply_id in ids:
            await harness.reaches(other, reply_id, "sent")
    accepted = Counter(a.biz_opaque_callback_data for a in harness.sim.attempts() if a.accepted)
    assert set(accepted) == ids
    assert set(accepted.values()) == {1}  # each reply reached Meta exactly once
    assert harness.sim.duplicates() == []
