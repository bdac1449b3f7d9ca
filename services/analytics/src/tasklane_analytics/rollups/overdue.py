"""Counting tasks as overdue when their deadline passes while they are still open.

No event says "this task is now overdue": it is a deadline passing. The consumer keeps each
task's deadline (``deadlines``); this loop, every ``overdue_sweep_interval_s``, counts the open
ones whose deadline has passed, in the hour of the deadline. A task closed late before the loop
saw it is counted by the consumer when the closing arrives. Replicas may sweep together: rows
are claimed with ``SKIP LOCKED`` and marked in the same transaction, so each counts once.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import UTC, datetime
from typing import Any

from tasklane_analytics.rollups.store import RollupStore
from tasklane_common.background import cancel
from tasklane_common.db.engine import Database
from tasklane_common.logging import get_logger
from tasklane_common.runtime import ServiceRuntime

log = get_logger(__name__)
Lifespan = Callable[[Any], AbstractAsyncContextManager[None]]


class OverdueSweep:
    def __init__(self, db: Database, *, interval_s: float) -> None:
        self._db = db
        self._interval_s = interval_s
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="overdue-sweep")

    async def stop(self) -> None:
        await cancel(self._task)
        self._task = None

    async def sweep(self, now: datetime | None = None) -> int:
        total = 0
        while True:
            async with self._db.transaction() as session:
                counted = await RollupStore(session).sweep_overdue(now or datetime.now(UTC))
            total += counted
            if not counted:
                return total

    async def _run(self) -> None:
        while True:
            try:
                await self.sweep()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # database away: the next round counts them
                log.warning("overdue_sweep_failed", error=f"{type(exc).__name__}: {exc}")
            await asyncio.sleep(self._interval_s)


def with_overdue_sweep(runtime: ServiceRuntime, interval_s: float) -> Lifespan:
    """``runtime``'s lifespan with the overdue sweep running inside it (after migrations)."""

    @asynccontextmanager
    async def lifespan(app: object = None) -> AsyncIterator[None]:
        async with runtime.lifespan(app):
            sweep = OverdueSweep(runtime.db, interval_s=interval_s)
            state = getattr(app, "state", None)
            if state is not None:
                state.overdue_sweep = sweep
            sweep.start()
            try:
                yield
            finally:
                await sweep.stop()

    return lifespan
