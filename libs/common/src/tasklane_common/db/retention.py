"""Pruning of rows that only matter for a while: inbox entries, webhook dedup keys.

An inbox row must outlive every redelivery of its event (broker redeliveries come within
minutes; a dead-letter replay within days), a dedup key every retry of Meta's (7 days). Past
their retention they only cost space and index size, so each service prunes them hourly, in
small batches so that no delete holds locks for long. Replicas may prune concurrently: deleting
a row twice is harmless.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Column, ColumnElement, Table, delete, select

from tasklane_common.background import cancel
from tasklane_common.db.engine import Database
from tasklane_common.logging import get_logger

log = get_logger(__name__)
BATCH = 5000


@dataclass(frozen=True)
class RetentionRule:
    table: Table
    # The timestamp that ages a row, and a selective key column to delete by in batches.
    column: Column[datetime]
    key: Column[Any]
    keep: timedelta
    # Rows that may go once old (None: all of them), e.g. only reminders already sent.
    only: ColumnElement[bool] | None = None


class Pruner:
    def __init__(self, db: Database, rules: list[RetentionRule], *, interval_s: float) -> None:
        self._db = db
        self.rules = rules
        self._interval_s = interval_s
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="retention")

    async def stop(self) -> None:
        await cancel(self._task)
        self._task = None

    async def _run(self) -> None:
        while True:
            try:
                await self.prune(datetime.now(UTC))
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the next round tries again
                log.warning("retention_failed", error=f"{type(exc).__name__}: {exc}")
            await asyncio.sleep(self._interval_s)

    async def prune(self, now: datetime) -> int:
        """Delete what is past retention, ``BATCH`` rows per transaction; returns the count."""
        total = 0
        for rule in self.rules:
            cutoff = now - rule.keep
            while True:
                aged = select(rule.key).where(rule.column < cutoff)
                if rule.only is not None:
                    aged = aged.where(rule.only)
                old = aged.limit(BATCH).scalar_subquery()
                async with self._db.transaction() as session:
                    # The cutoff is repeated: a key shared with a younger row must not delete it.
                    result = await session.execute(
                        delete(rule.table).where(rule.key.in_(old), rule.column < cutoff)
                    )
                deleted = int(result.rowcount)  # type: ignore[attr-defined]
                total += deleted
                if deleted < BATCH:
                    break
        if total:
            log.info("retention_pruned", rows=total)
        return total
