"""The queries behind the figures: rollup counters and unique users, grouped into buckets."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from itertools import pairwise
from typing import Any

from sqlalchemy import DateTime, String, and_, bindparam, case, distinct, func, literal, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession

from tasklane_analytics.eventlog.tables import events
from tasklane_analytics.figures.catalogue import Tally
from tasklane_analytics.figures.periods import HOUR, Bucket, bucket_of
from tasklane_analytics.rollups.tables import ALL_NUMBERS, hourly_users, rollups
from tasklane_common.db.dialect import on_postgresql

# (bucket position, phone number or None for all numbers together)
Key = tuple[int, str | None]


def _utc(at: datetime) -> datetime:
    return at if at.tzinfo else at.replace(tzinfo=UTC)


def _numbers_filter(column: Any, numbers: Sequence[str] | None, by_number: bool) -> Any:
    """All numbers together are the ``*`` rows; named numbers, or one line per number, theirs."""
    if numbers:
        return column.in_([n for n in numbers if n != ALL_NUMBERS])
    return column != ALL_NUMBERS if by_number else column == ALL_NUMBERS


def _position(session: AsyncSession, hour: Any, periods: Sequence[Bucket]) -> Any:
    """The position of the bucket holding ``hour``, in SQL (-1 outside them all; the callers'
    WHERE keeps hours within the periods' span)."""
    contiguous = all(a.end == b.start for a, b in pairwise(periods))
    if on_postgresql(session) and contiguous:
        # A binary search per row, where the CASE below tries the buckets one by one (30 days
        # of a busy number's user sets are ~10^5 rows: the CASE was most of the query).
        edges = [b.start for b in periods] + [periods[-1].end]
        return func.width_bucket(hour, bindparam("edges", edges, type_=ARRAY(DateTime(timezone=True)))) - 1
    return case(*[(and_(hour >= b.start, hour < b.end), i) for i, b in enumerate(periods)], else_=-1)


class FigureReader:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def tallies(
        self,
        periods: Sequence[Bucket],
        *,
        counters: set[str] | None,
        numbers: Sequence[str] | None = None,
        by_number: bool = False,
        users: bool = True,
    ) -> dict[Key, Tally]:
        """One tally per bucket (and per number with ``by_number``). Only buckets with data
        appear; ``counters`` limits the rollup metrics read (None: all)."""
        out: dict[Key, Tally] = {}
        if not periods:
            return out
        periods = list(periods)
        starts = [b.start for b in periods]
        lo, hi = periods[0].start, periods[-1].end
        where: list[Any] = [rollups.c.hour >= lo, rollups.c.hour < hi]
        if counters is not None:
            if not counters and not users:
                return out
            where.append(rollups.c.metric.in_(sorted(counters)))
        if by_number and not numbers and counters and on_postgresql(self.session):
            # "Every number" spelled out: ``<> '*'`` leaves the index after the metric, and the
            # planner reads the whole table (30 days by number took 200 ms over a year of rows).
            numbers = await self._numbers_of(sorted(counters))
        where.append(_numbers_filter(rollups.c.phone_number_id, numbers, by_number))
        phone = rollups.c.phone_number_id if by_number else literal(None)
        if counters is None or counters:
            hourly = all(b.end - b.start == HOUR for b in periods)
            # Days, weeks, months: summed in the database, one row per bucket (not per hour).
            slot = (
                rollups.c.hour if hourly else _position(self.session, rollups.c.hour, periods).label("slot")
            )
            rows = await self.session.execute(
                select(slot, phone, rollups.c.metric, rollups.c.dim, func.sum(rollups.c.value))
                .where(*where)
                .group_by(
                    slot, *([rollups.c.phone_number_id] if by_number else []), rollups.c.metric, rollups.c.dim
                )
            )
            for at, number, metric, dim, value in rows.all():
                i = bucket_of(starts, periods, _utc(at)) if hourly else int(at)
                if i is not None and i >= 0:
                    out.setdefault((i, number), Tally()).add(metric, dim, int(value))
        if users:
            for key, n in (await self._unique_users(periods, numbers, by_number)).items():
                out.setdefault(key, Tally()).users = n
        return out

    async def _numbers_of(self, metrics: list[str]) -> list[str]:
        """The phone numbers (``*`` aside) with any row of ``metrics``, ever: a loose index scan,
        one probe of the primary key per number, however many hours each has."""
        wanted = select(func.unnest(bindparam("metrics", metrics, type_=ARRAY(String))).label("metric")).cte()
        r = rollups.alias()
        found = select(
            wanted.c.metric,
            select(func.min(r.c.phone_number_id))
            .where(r.c.metric == wanted.c.metric)
            .scalar_subquery()
            .label("phone"),
        ).cte(recursive=True)
        after = rollups.alias()
        found = found.union_all(
            select(
                found.c.metric,
                select(func.min(after.c.phone_number_id))
                .where(after.c.metric == found.c.metric, after.c.phone_number_id > found.c.phone)
                .scalar_subquery(),
            ).where(found.c.phone.is_not(None))
        )
        rows = await self.session.execute(select(found.c.phone).distinct().where(found.c.phone.is_not(None)))
        return sorted(p for (p,) in rows.all() if p != ALL_NUMBERS)

    async def _users_numbers(self) -> list[str]:
        """``_numbers_of`` for the user sets, whose key starts with the number."""
        h = hourly_users.alias()
        found = select(func.min(h.c.phone_number_id).label("phone")).cte(recursive=True)
        after = hourly_users.alias()
        found = found.union_all(
            select(
                select(func.min(after.c.phone_number_id))
                .where(after.c.phone_number_id > found.c.phone)
                .scalar_subquery()
            ).where(found.c.phone.is_not(None))
        )
        rows = await self.session.execute(select(found.c.phone).where(found.c.phone.is_not(None)))
        return sorted(p for (p,) in rows.all() if p != ALL_NUMBERS)

    async def _unique_users(
        self, periods: Sequence[Bucket], numbers: Sequence[str] | None, by_number: bool
    ) -> dict[Key, int]:
        """Distinct pseudonyms per bucket: exact, whatever the buckets (hours do not add up)."""
        if by_number and not numbers and on_postgresql(self.session):
            numbers = await self._users_numbers()
        h = hourly_users.c
        where: list[Any] = [
            h.hour >= periods[0].start,
            h.hour < periods[-1].end,
            _numbers_filter(h.phone_number_id, numbers, by_number),
        ]
        phone = h.phone_number_id if by_number else literal(None)
        if all(b.end - b.start == HOUR for b in periods):
            # Hourly buckets: group by the hour itself (a CASE over thousands of hours would not do).
            starts = [b.start for b in periods]
            rows = await self.session.execute(
                select(h.hour, phone, func.count(distinct(h.user)))
                .where(*where)
                .group_by(h.hour, *([h.phone_number_id] if by_number else []))
            )
            out: dict[Key, int] = {}
            for hour, number, n in rows.all():
                i = bucket_of(starts, list(periods), _utc(hour))
                if i is not None:
                    out[(i, number)] = int(n)
            return out
        # Distinct (bucket, number, user) first, then counted: a hash aggregate, not a sort per bucket.
        position = _position(self.session, h.hour, periods).label("slot")
        keys = [position, h.phone_number_id.label("number")] if by_number else [position]
        pairs = select(*keys, h.user).where(*where).distinct().subquery()
        number_col = pairs.c.number if by_number else literal(None)
        rows = await self.session.execute(
            select(pairs.c.slot, number_col, func.count()).group_by(
                pairs.c.slot, *([pairs.c.number] if by_number else [])
            )
        )
        return {(int(i), number): int(n) for i, number, n in rows.all() if i >= 0}

    async def numbers(self, start: datetime, end: datetime) -> list[str]:
        """The phone numbers with any figure in ``[start, end)``."""
        # Every number with traffic has one of these (tasks count under the '' number).
        metrics = ["failed", "received", "sent", "tasks_created"]
        known = await self._numbers_of(metrics) if on_postgresql(self.session) else None
        rows = await self.session.execute(
            select(rollups.c.phone_number_id)
            .distinct()
            .where(
                rollups.c.metric.in_(metrics),
                _numbers_filter(rollups.c.phone_number_id, known, True),
                rollups.c.hour >= start,
                rollups.c.hour < end,
            )
            .order_by(rollups.c.phone_number_id)
        )
        return [r for (r,) in rows.all()]

    async def failures(
        self,
        start: datetime,
        end: datetime,
        *,
        number: str | None,
        error_code: str | None,
        limit: int,
        offset: int,
    ) -> tuple[int, list[Any]]:
        """The failed messages counted in ``[start, end)`` (the raw log, while it keeps them)."""
        lo, hi = int(start.timestamp() * 1000), int(end.timestamp() * 1000)
        where: list[Any] = [events.c.type == "message.failed", events.c.at_ms >= lo, events.c.at_ms < hi]
        if number is not None:
            where.append(events.c.payload["phone_number_id"].as_string() == number)
        if error_code == "none":
            where.append(events.c.payload["error_code"].as_integer().is_(None))
        elif error_code is not None:
            where.append(events.c.payload["error_code"].as_integer() == int(error_code))
        total = (
            await self.session.execute(select(func.count()).select_from(events).where(*where))
        ).scalar_one()
        rows = await self.session.execute(
            select(events)
            .where(*where)
            .order_by(events.c.at_ms.desc(), events.c.event_id)
            .limit(limit)
            .offset(offset)
        )
        return int(total), list(rows.all())
