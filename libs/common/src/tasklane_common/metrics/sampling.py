"""Scrape-time samplers of the messaging layer's database-backed gauges."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

from sqlalchemy import Table, func, select

from tasklane_common.db.engine import Database
from tasklane_common.metrics.messaging import MessagingMetrics


def _aware(at: datetime) -> datetime:
    # SQLite hands timestamps back naive (they are stored in UTC).
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


async def outbox_state(db: Database, outbox: Table) -> tuple[int, float]:
    """(unpublished rows, age in seconds of the oldest, 0 when empty): the scrape and the
    heartbeat (tasklane_common.control) read the same figures."""
    async with db.read() as session:
        count, oldest = (
            await session.execute(select(func.count(), func.min(outbox.c.created_at)).select_from(outbox))
        ).one()
    age = (datetime.now(UTC) - _aware(oldest)).total_seconds() if oldest is not None else 0.0
    return int(count), max(0.0, age)


async def sample_outbox(db: Database, outbox: Table, metrics: MessagingMetrics) -> None:
    count, age = await outbox_state(db, outbox)
    metrics.outbox_backlog.labels(metrics.service).set(count)
    metrics.outbox_age.labels(metrics.service).set(age)


async def sample_dead_letters(
    db: Database, letters: Table, queues: Iterable[str], metrics: MessagingMetrics
) -> None:
    """Pending (not replayed) dead letters per queue; every consumed queue shows, 0 included, so
    that a rule comparing with an hour ago has a series to compare."""
    async with db.read() as session:
        pending: dict[str, int] = dict(
            (
                await session.execute(
                    select(letters.c.queue, func.count())
                    .where(letters.c.replayed_at.is_(None))
                    .group_by(letters.c.queue)
                )
            ).all()
        )
    for queue in {*queues, *pending}:
        metrics.dead_letters_pending.labels(metrics.service, queue).set(pending.get(queue, 0))
