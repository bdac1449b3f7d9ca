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
from tasklane_analytics.rollups.tables import NO_NUMBER, deadlines, hourly_users, priced, rollups, turns
from tasklane_common.db.dialect import upsert_insert
from tasklane_common.messaging import Envelope

# Rows per statement: well below the bind-parameter limits of both dialects.
CHUNK = 1000

Key = tuple[str, datetime, str, str]


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
                totals[(c.metric, hour_of(c.at_ms), c.phone_number_id, c.dim)] += c.delta
        rows = [
            {"metric": m, "hour": h, "phone_number_id": p, "dim": d, "value": v}
            for (m, h, p, d), v in sorted(totals.items())
            if v
        ]
        for chunk in _chunks(rows):
            stmt = upsert_insert(self.session, rollups).values(chunk)
            await self.session.execute(
                stmt.on_conflict_do_update(
                    index_elements=["metric", "hour", "phone_number_id", "dim"],
                    set_={"value": rollups.c.value + stmt.excluded.value},
                )
            )

    async def _users(self, users: list[tuple[int, str, str]]) -> list[Count]:
        """A user counts once per hour and number: only the first insert of the pair counts."""
        unique = sorted(
            {(hour_of(at), phone, user): at for at, phone, user in users if self._within(at)}.items()
        )
        out: list[Count] = []
        for chunk in _chunks([{"hour": h, "phone_number_id": p, "user": u} for (h, p, u), _ in unique]):
            stmt = upsert_insert(self.session, hourly_users).values(chunk).on_conflict_do_nothing()
            new = await self.session.execute(
                stmt.returning(hourly_users.c.hour, hourly_users.c.phone_number_id)
            )
            out += [
                Count("users", int(h.replace(tzinfo=h.tzinfo or UTC).timestamp() * 1000), p) for h, p in new
            ]
        return out

    async def _turns(self, seen: list[tuple[str, str, int | None, int | None]], now: datetime) -> list[Count]:
        """Response time: from the message in to the first reply the Graph API accepted, counted
        in the hour (and under the number) of the message in, once both are known, whichever
        arrives first; an earlier reply seen later moves the turn to its bucket."""
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
                "updated_at": now,
            }
            for cid, (phone, received, sent) in sorted(merged.items())
        ]
        out: list[Count] = []
        for chunk in _chunks(rows):
            stmt = upsert_insert(self.session, turns).values(chunk)
            ex = stmt.excluded
            # A NULL side keeps what is stored; two values keep the earlier one.
            stmt = stmt.on_conflict_do_update(
                index_elements=["correlation_id"],
                set_={
                    "received_ms": _earliest(turns.c.received_ms, ex.received_ms),
                    "first_sent_ms": _earliest(turns.c.first_sent_ms, ex.first_sent_ms),
                    "phone_number_id": _case_received(
                        ex.received_ms, ex.phone_number_id, turns.c.phone_number_id
                    ),
                    "updated_at": ex.updated_at,
                },
            ).returning(
                turns.c.correlation_id,
                turns.c.phone_number_id,
                turns.c.received_ms,
                turns.c.first_sent_ms,
                turns.c.counted_ms,
            )
            for cid, phone, received, sent, counted in (await self.session.execute(stmt)).all():
                if received is None or sent is None:
                    continue
                response = max(0, sent - received)
                if counted == response:
                    continue
                if counted is not None:
                    out += _response(received, phone, counted, -1)
                out += _response(received, phone, response, 1)
                await self.session.execute(
                    update(turns).where(turns.c.correlation_id == cid).values(counted_ms=response)
                )
        return out

    async def _priced(self, seen: list[tuple[str, int, str, str]]) -> list[Count]:
        """A message's pricing category counts once, in the hour of its earliest status (Meta
        repeats the pricing on every status; a late earlier one moves the count)."""
        first: dict[str, tuple[int, str, str]] = {}
        for wamid, at, phone, category in seen:
            if wamid not in first or at < first[wamid][0]:
                first[wamid] = (at, phone, category)
        rows = [
            {"wamid": w, "phone_number_id": p, "category": c, "at_ms": at, "hour": None}
            for w, (at, p, c) in sorted(first.items())
            if self._within(at)
        ]
        out: list[Count] = []
        for chunk in _chunks(rows):
            stmt = upsert_insert(self.session, priced).values(chunk)
            stmt = stmt.on_conflict_do_update(
                index_elements=["wamid"], set_={"at_ms": _earliest(priced.c.at_ms, stmt.excluded.at_ms)}
            ).returning(
                priced.c.wamid, priced.c.at_ms, priced.c.hour, priced.c.phone_number_id, priced.c.category
            )
            for wamid, at, counted, phone, category in (await self.session.execute(stmt)).all():
                hour = hour_of(at)
                if counted is not None and _utc(counted) == hour:
                    continue
                if counted is not None:
                    out.append(Count("pricing", _ms(_utc(counted)), phone, category, -1))
                out.append(Count("pricing", at, phone, category))
                await self.session.execute(update(priced).where(priced.c.wamid == wamid).values(hour=hour))
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


def _case_received(incoming_received: Any, incoming_phone: Any, stored_phone: Any) -> Any:
    return case((incoming_received.is_not(None), incoming_phone), else_=stored_phone)


def _case_keep(key: Any, keep: set[str], stored: Any, incoming: Any) -> Any:
    """``stored`` for the keys in ``keep`` (their batch set no value), ``incoming`` otherwise."""
    if not keep:
        return incoming
    return case((key.in_(sorted(keep)), stored), else_=incoming)
