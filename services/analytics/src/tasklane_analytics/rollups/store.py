"""Settling a batch's observations against the rollup tables, in the consumer's transaction.

Every write is an upsert that adds (``value = value + excluded.value``) or inserts-if-absent,
so concurrent batches never lose each other's counts, and rows are written in key order so two
batches touching the same hours never deadlock. A redelivered event never reaches here: the
inbox claim in the same transaction drops it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import and_, case, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from tasklane_analytics.rollups import histogram
from tasklane_analytics.rollups.facts import Count, Observations, hour_of, observe
from tasklane_analytics.rollups.tables import (
    ALL_NUMBERS,
    NO_NUMBER,
    deadlines,
    hourly_users,
    priced,
    rollups,
    turns,
)
from tasklane_common.db.bulk import bulk_insert
from tasklane_common.db.dialect import upsert_insert
from tasklane_common.messaging import Envelope

# Rows per statement: well below the bind-parameter limits of both dialects.
CHUNK = 1000

Key = tuple[str, str, datetime, str]  # metric, number, hour, dimension


def _chunks(rows: list[dict[str, Any]]) -> Iterable[list[dict[str, Any]]]:
    for i in range(0, len(rows), CHUNK):
        yield rows[i : i + CHUNK]


class RollupStore:
    def __init__(self, session: AsyncSession, *, hours: tuple[datetime, datetime] | None = None) -> None:
        """``hours``: only counts in ``[start, end)`` are written (a recompute of that range)."""
        self.session = session
        self.hours = hours

    def _within(self, at_ms: int) -> bool:
        if self.hours is None:
            return True
        return self.hours[0] <= hour_of(at_ms) < self.hours[1]

    async def apply(self, envelopes: list[Envelope], *, now: datetime | None = None) -> None:
        seen = Observations()
        for envelope in envelopes:
            observe(envelope, seen)
        counts = list(seen.counts)
        counts += await self._users(seen.users)
        counts += await self._turns(seen.turns, now or datetime.now(UTC))
        counts += await self._priced(seen.priced)
        counts += await self._deadlines(seen.due, seen.closed)
        await self.add(counts)

    async def add(self, counts: Iterable[Count]) -> None:
        totals: Counter[Key] = Counter()
        for c in counts:
            if c.delta and self._within(c.at_ms):
                hour = hour_of(c.at_ms)
                totals[(c.metric, c.phone_number_id, hour, c.dim)] += c.delta
                if c.also_all and c.phone_number_id != ALL_NUMBERS:
                    totals[(c.metric, ALL_NUMBERS, hour, c.dim)] += c.delta
        rows = [
            {"metric": m, "phone_number_id": p, "hour": h, "dim": d, "value": v}
            for (m, p, h, d), v in sorted(totals.items())
            if v
        ]
        if rows:
            stmt, params = bulk_insert(self.session, rollups, rows)
            await self.session.execute(
                stmt.on_conflict_do_update(
                    index_elements=["metric", "phone_number_id", "hour", "dim"],
                    set_={"value": rollups.c.value + stmt.excluded.value},
                ),
                params,
            )

    async def _users(self, users: list[tuple[int, str, str]]) -> list[Count]:
        """A user counts once per hour and number: only the first insert of the pair counts."""
        pairs = {(hour_of(at), phone, user) for at, phone, user in users if self._within(at)}
        unique = sorted(pairs | {(h, ALL_NUMBERS, u) for h, _, u in pairs})
        out: list[Count] = []
        rows = [{"hour": h, "phone_number_id": p, "user": u} for h, p, u in unique]
        if rows:
            stmt, params = bulk_insert(self.session, hourly_users, rows)
            new = await self.session.execute(
                stmt.on_conflict_do_nothing().returning(hourly_users.c.hour, hourly_users.c.phone_number_id),
                params,
            )
            # The ``*`` rows found new are the system-wide count: per-number ones are not added there.
            out += [Count("users", _ms(_utc(h)), p, also_all=False) for h, p in new]
        return out

    async def _turns(self, seen: list[tuple[str, str, int | None, int | None]], now: datetime) -> list[Count]:
        """Response time: from the message in to the first reply the Graph API accepted, counted
        in the hour (and under the number) of the message in, once both are known, whichever
        arrives first; an earlier reply seen later moves the turn to its bucket.

        One upsert per batch does it all: the SET computes the response from the merged times
        and keeps the one counted before in ``prev_counted_ms`` (a SET reads the row as it was),
        so the returned pair says what to add and what to take back."""
        merged: dict[str, list[Any]] = {}
        for cid, phone, received, sent in seen:
            entry = merged.setdefault(cid, [NO_NUMBER, None, None])
            if received is not None:
                entry[0] = phone
                entry[1] = received if entry[1] is None else min(entry[1], received)
            if sent is not None:
                entry[2] = sent if entry[2] is None else min(entry[2], sent)
        if not merged:
            return []
        rows = [
            {
                "correlation_id": cid,
                "phone_number_id": phone,
                "received_ms": received,
                "first_sent_ms": sent,
                "counted_ms": max(0, sent - received) if received is not None and sent is not None else None,
                "prev_counted_ms": None,
                "updated_at": now,
            }
            for cid, (phone, received, sent) in sorted(merged.items())
        ]
        out: list[Count] = []
        if rows:
            stmt, params = bulk_insert(self.session, turns, rows)
            ex = stmt.excluded
            # A NULL side keeps what is stored; two values keep the earlier one.
            received = _earliest(turns.c.received_ms, ex.received_ms)
            sent = _earliest(turns.c.first_sent_ms, ex.first_sent_ms)
            response = case(
                (
                    and_(received.is_not(None), sent.is_not(None)),
                    case((sent > received, sent - received), else_=0),
                ),
                else_=None,
            )
            stmt = stmt.on_conflict_do_update(
                index_elements=["correlation_id"],
                set_={
                    "received_ms": received,
                    "first_sent_ms": sent,
                    "counted_ms": response,
                    "prev_counted_ms": turns.c.counted_ms,
                    "phone_number_id": case(
                        (ex.received_ms.is_not(None), ex.phone_number_id), else_=turns.c.phone_number_id
                    ),
                    "updated_at": ex.updated_at,
                },
            ).returning(
                turns.c.phone_number_id, turns.c.received_ms, turns.c.counted_ms, turns.c.prev_counted_ms
            )
            for phone, received_ms, counted, before in (await self.session.execute(stmt, params)).all():
                if counted == before:
                    continue
                if before is not None:
                    out += _response(received_ms, phone, before, -1)
                if counted is not None:
                    out += _response(received_ms, phone, counted, 1)
        return out

    async def _priced(self, seen: list[tuple[str, int, str, str]]) -> list[Count]:
        """A message's pricing category counts once, in the hour of its earliest status (Meta
        repeats the pricing on every status; a late earlier one moves the count). As for turns,
        the upsert keeps the hour counted before in ``prev_hour``."""
        first: dict[str, tuple[int, str, str]] = {}
        for wamid, at, phone, category in seen:
            if wamid not in first or at < first[wamid][0]:
                first[wamid] = (at, phone, category)
        rows = [
            {
                "wamid": w,
                "phone_number_id": p,
                "category": c,
                "at_ms": at,
                "hour": hour_of(at),
                "prev_hour": None,
            }
            for w, (at, p, c) in sorted(first.items())
            if self._within(at)
        ]
        out: list[Count] = []
        if rows:
            stmt, params = bulk_insert(self.session, priced, rows)
            ex = stmt.excluded
            earlier = and_(ex.at_ms < priced.c.at_ms)
            stmt = stmt.on_conflict_do_update(
                index_elements=["wamid"],
                set_={
                    "at_ms": _earliest(priced.c.at_ms, ex.at_ms),
                    "hour": case((earlier, ex.hour), else_=priced.c.hour),
                    "prev_hour": priced.c.hour,
                },
            ).returning(priced.c.hour, priced.c.prev_hour, priced.c.phone_number_id, priced.c.category)
            for hour, before, phone, category in (await self.session.execute(stmt, params)).all():
                if before is not None and _utc(before) == _utc(hour):
                    continue
                if before is not None:
                    out.append(Count("pricing", _ms(_utc(before)), phone, category, -1))
                out.append(Count("pricing", _ms(_utc(hour)), phone, category))
        return out

    async def _deadlines(
        self, due: list[tuple[str, int | None]], closed: list[tuple[str, int]]
    ) -> list[Count]:
        """Keep each task's deadline and closing time; a task closed after its deadline passed
        was overdue (counted now if the sweep has not counted it yet, see ``overdue``)."""
        latest_due = dict(due)
        latest_closed: dict[str, int] = {}
        for task, at in closed:
            latest_closed[task] = min(at, latest_closed.get(task, at))
        tasks = sorted(set(latest_due) | set(latest_closed))
        if not tasks:
            return []
        rows = [
            {
                "task_id": t,
                "due_ms": latest_due.get(t),
                "closed_ms": latest_closed.get(t),
                "overdue_counted": False,
            }
            for t in tasks
        ]
        out: list[Count] = []
        for chunk in _chunks(rows):
            stmt = upsert_insert(self.session, deadlines).values(chunk)
            ex = stmt.excluded
            keep_due = {t for t in tasks if t not in latest_due}
            stmt = stmt.on_conflict_do_update(
                index_elements=["task_id"],
                set_={
                    "due_ms": _case_keep(deadlines.c.task_id, keep_due, deadlines.c.due_ms, ex.due_ms),
                    "closed_ms": _earliest(deadlines.c.closed_ms, ex.closed_ms),
                },
            ).returning(
                deadlines.c.task_id, deadlines.c.due_ms, deadlines.c.closed_ms, deadlines.c.overdue_counted
            )
            late: list[str] = []
            for task, due_ms, closed_ms, counted in (await self.session.execute(stmt)).all():
                if not counted and due_ms is not None and closed_ms is not None and closed_ms > due_ms:
                    late.append(task)
                    out.append(Count("tasks_overdue", due_ms, NO_NUMBER))
            if late:
                await self.session.execute(
                    update(deadlines).where(deadlines.c.task_id.in_(late)).values(overdue_counted=True)
                )
        return out

    async def sweep_overdue(self, now: datetime) -> int:
        """Count the open tasks whose deadline has passed by ``now``; returns how many."""
        now_ms = int(now.timestamp() * 1000)
        query = select(deadlines.c.task_id, deadlines.c.due_ms)
        if self.hours is not None:  # a recompute counts its own range only
            lo, hi = (int(h.timestamp() * 1000) for h in self.hours)
            query = query.where(deadlines.c.due_ms >= lo, deadlines.c.due_ms < hi)
        rows = (
            await self.session.execute(
                query.where(
                    deadlines.c.overdue_counted.is_(False),
                    deadlines.c.due_ms.is_not(None),
                    deadlines.c.due_ms <= now_ms,
                    deadlines.c.closed_ms.is_(None) | (deadlines.c.closed_ms > deadlines.c.due_ms),
                )
                .order_by(deadlines.c.task_id)
                .limit(5000)
                .with_for_update(skip_locked=True)
            )
        ).all()
        if not rows:
            return 0
        await self.session.execute(
            update(deadlines)
            .where(
                and_(
                    deadlines.c.task_id.in_([r.task_id for r in rows]), deadlines.c.overdue_counted.is_(False)
                )
            )
            .values(overdue_counted=True)
        )
        await self.add(Count("tasks_overdue", r.due_ms, NO_NUMBER) for r in rows)
        return len(rows)


def _utc(at: datetime) -> datetime:
    # SQLite (the embedded mode) hands timestamps back without their zone; they are UTC.
    return at if at.tzinfo else at.replace(tzinfo=UTC)


def _ms(at: datetime) -> int:
    return int(at.timestamp() * 1000)


def _response(received_ms: int, phone: str, response_ms: int, sign: int) -> list[Count]:
    bucket = histogram.bucket_of(response_ms)
    return [
        Count("response", received_ms, phone, str(bucket), sign),
        Count("response_sum_ms", received_ms, phone, "", sign * response_ms),
    ]


def _earliest(stored: Any, incoming: Any) -> Any:
    return case(
        (incoming.is_(None), stored),
        (stored.is_(None), incoming),
        (incoming < stored, incoming),
        else_=stored,
    )


def _case_keep(key: Any, keep: set[str], stored: Any, incoming: Any) -> Any:
    """``stored`` for the keys in ``keep`` (their batch set no value), ``incoming`` otherwise."""
    if not keep:
        return incoming
    return case((key.in_(sorted(keep)), stored), else_=incoming)
