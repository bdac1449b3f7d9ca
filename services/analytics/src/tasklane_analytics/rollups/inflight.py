"""Turns in flight: messages received and not yet answered by a reply the Graph API accepted.

Read from the ``turns`` table the consumer keeps for response times (one row per conversation
turn), over a recent window only: a message the assistant never answers (a sticker it ignores, a
turn whose reply failed for good) would otherwise wait forever and hide the ones that matter.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from tasklane_analytics.rollups.tables import turns


@dataclass(frozen=True)
class InFlight:
    waiting: int
    # Epoch milliseconds of the longest-waiting message, None when nothing waits.
    oldest_ms: int | None
    by_number: dict[str, int] = field(default_factory=dict)

    def oldest_wait_s(self, now_ms: int) -> float | None:
        return None if self.oldest_ms is None else max(0.0, (now_ms - self.oldest_ms) / 1000)


async def awaiting(session: AsyncSession, *, now_ms: int, window_ms: int) -> InFlight:
    """Turns received in ``[now - window, now]`` with no reply accepted yet (the range rides the
    ``received_ms`` index, so the cost follows the recent traffic, not the table)."""
    rows = (
        await session.execute(
            select(turns.c.phone_number_id, func.count(), func.min(turns.c.received_ms))
            .where(
                turns.c.received_ms >= now_ms - window_ms,
                turns.c.received_ms <= now_ms,
                turns.c.first_sent_ms.is_(None),
            )
            .group_by(turns.c.phone_number_id)
        )
    ).all()
    by_number = {str(number): int(n) for number, n, _ in rows}
    oldest = min((int(first) for _, _, first in rows if first is not None), default=None)
    return InFlight(sum(by_number.values()), oldest, dict(sorted(by_number.items())))
