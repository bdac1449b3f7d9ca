"""Meta's sending limits, held across every replica of the sender, and the per-number state.

Both limits are GCRA schedules (generic cell rate algorithm: a "theoretical arrival time" per key)
kept in PostgreSQL and advanced inside the claim transaction, under a row lock, so replicas draw
on one budget:

* throughput per phone number: ``next_slot_at`` moves by 1 / rate for every message claimed
  (read receipts included); a claimed message gets that slot as its send-not-before time and
  the dispatcher sleeps until then. No burst: the rate holds in every sliding second. Slots are
  handed out at most ``HORIZON_S`` ahead, so a replica never sits on much of the budget.
* pair rate per (number, recipient): one per ``pair_interval_s`` with bursts of ``pair_burst``.
  A message whose pair slot lies in the future is not claimed: it stays queued with
  ``next_attempt_at`` = that slot. Read receipts are not messages to the user and skip it.

Both run ``throughput_margin`` (1 % by default) below the configured limit: the time between the
slot and Meta's clock varies by a few milliseconds per call, and without that slack two calls
could reach Meta closer together than their slots were.

Meta's own answers push these schedules back and may pause a number: see ``holds``. After a
throughput refusal the number's next claim hands out one slot only, the probe; nothing else of
the number is claimed until its answer is settled (accepted: the full rate again; refused: held
again). Every function takes the caller's session; the caller commits.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, exists, or_, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from tasklane_common.db.dialect import upsert_insert
from tasklane_sender.settings import SenderSettings
from tasklane_sender.tables import number_states, numbers, outbound_messages, recipient_pacing

# How far ahead a claim hands out throughput slots.
HORIZON_S = 0.5
# An idle number's first slot lies this far ahead: the claim's commit takes a few milliseconds,
# and a slot already past when its task starts would go out together with the next ones.
LEAD = timedelta(milliseconds=20)
# Meta's ceiling for one number, whatever a configuration says.
MAX_THROUGHPUT_PER_S = 1000.0
# Consecutive refusals (130429, 131056) escalate the back-off; a quiet minute starts over.
STRIKES_FORGOTTEN_AFTER = timedelta(minutes=1)
# Pair rows are pruned this long after their schedule passed (their strikes are long forgotten).
PAIR_RETENTION = timedelta(hours=1)
READ = "read"


def aware(at: datetime) -> datetime:
    """SQLite hands back naive datetimes; everything stored is UTC."""
    return at if at.tzinfo else at.replace(tzinfo=UTC)


@dataclass(frozen=True)
class Limits:
    throughput_per_s: float
    margin: float
    pair_interval_s: float
    pair_burst: int

    @classmethod
    def of(cls, settings: SenderSettings) -> Limits:
        return cls(
            settings.throughput_per_s,
            settings.throughput_margin,
            settings.pair_interval_s,
            settings.pair_burst,
        )

    def rate(self, configured: float | None) -> float:
        return min(configured or self.throughput_per_s, MAX_THROUGHPUT_PER_S)

    def interval(self, configured: float | None) -> timedelta:
        return timedelta(seconds=1.0 / (self.rate(configured) * (1.0 - self.margin)))

    @property
    def pair_interval(self) -> timedelta:
        return timedelta(seconds=self.pair_interval_s / (1.0 - self.margin))

    @property
    def pair_tolerance(self) -> timedelta:
        return (self.pair_burst - 1) * self.pair_interval


@dataclass(frozen=True)
class Candidate:
    reply_id: str
    phone_number_id: str
    to: str
    kind: str


@dataclass
class Plan:
    # reply id -> the moment it may be sent (throughput slot).
    slots: dict[str, datetime]
    # reply id -> when it may be claimed again (its pair slot).
    deferred: dict[str, datetime]
    # When another claim would find budget this one lacked (None: nothing was held back).
    retry_at: datetime | None
    # Per phone number: the seconds between two of its slots.
    spacing: dict[str, float] = field(default_factory=dict)
    # Per phone number: its ``throttled_at`` as this claim saw it (see ``holds.throttle``).
    throttled_at: dict[str, datetime | None] = field(default_factory=dict)
    # Reply ids sent as their number's probe after a throughput hold.
    probes: set[str] = field(default_factory=set)


def held(now: datetime) -> ColumnElement[bool]:
    """True for outbound rows whose number is paused or has no throughput slot within reach."""
    s = number_states
    return exists(
        select(s.c.phone_number_id).where(
            s.c.phone_number_id == outbound_messages.c.phone_number_id,
            or_(
                s.c.paused_at.is_not(None),
                s.c.next_slot_at > now + timedelta(seconds=HORIZON_S),
                # A probe is out (or not due yet): its answer comes first.
                s.c.probe_until > now,
            ),
        )
    )


class Pacer:
    def __init__(self, session: AsyncSession, limits: Limits, *, probe_lease: timedelta) -> None:
        self.session = session
        self.limits = limits
        # How long a probe's number waits for its answer before another probe may go (its sender
        # may have died with it).
        self.probe_lease = probe_lease

    async def plan(self, candidates: Sequence[Candidate], now: datetime) -> Plan:
        """Give each candidate (in order) a throughput slot, or defer it to its pair slot, or leave
        it when its number's budget within the horizon is spent; the schedules advance."""
        plan = Plan({}, {}, None)
        if not candidates:
            return plan
        limits = self.limits
        states = await self._lock_numbers({c.phone_number_id for c in candidates}, now)
        pairs = await self._lock_pairs({(c.phone_number_id, c.to) for c in candidates if c.kind != READ}, now)
        # Slots count from when the locks were granted, not from when the claim began: waiting
        # for another replica's claim must not leave slots in the past, which would go together.
        now = max(now, datetime.now(UTC))
        horizon = now + timedelta(seconds=HORIZON_S)
        for c in candidates:
            state = states[c.phone_number_id]
            plan.throttled_at[c.phone_number_id] = state["throttled_at"]
            if state["paused_at"] is not None:
                continue
            probe = state["probe_until"] is not None
            if probe and state["probe_until"] > now:
                continue  # the probe is out (this claim's, or another's): its answer decides
            slot = max(now + LEAD, state["next_slot_at"])
            if slot > horizon:
                retry = max(now, state["next_slot_at"] - timedelta(seconds=HORIZON_S / 2))
                plan.retry_at = min(plan.retry_at or retry, retry)
                continue
            if c.kind != READ and limits.pair_interval_s > 0:
                pair = pairs[(c.phone_number_id, c.to)]
                pair_slot = pair["next_slot_at"] - limits.pair_tolerance
                if pair_slot > slot:
                    plan.deferred[c.reply_id] = pair_slot
                    plan.retry_at = min(plan.retry_at or pair_slot, pair_slot)
                    continue
                pair["next_slot_at"] = max(pair["next_slot_at"], slot) + limits.pair_interval
                pair["changed"] = True
            interval = limits.interval(state["throughput_per_s"])
            plan.spacing[c.phone_number_id] = interval.total_seconds()
            state["next_slot_at"] = slot + interval
            state["changed"] = True
            plan.slots[c.reply_id] = slot
            if probe:
                state["probe_until"] = now + self.probe_lease
                plan.probes.add(c.reply_id)
        await self._save_numbers([s for s in states.values() if s.get("changed")], now)
        await self._save_pairs([p for p in pairs.values() if p.get("changed")])
        return plan

    async def _lock_numbers(self, ids: Iterable[str], now: datetime) -> dict[str, dict[str, Any]]:
        ordered = sorted(ids)
        await ensure_numbers(self.session, ordered, now)
        s, n = number_states, numbers
        rows = await self.session.execute(
            select(
                s.c.phone_number_id,
                s.c.next_slot_at,
                s.c.paused_at,
                s.c.throttled_at,
                s.c.probe_until,
                n.c.throughput_per_s,
            )
            .outerjoin(n, n.c.phone_number_id == s.c.phone_number_id)
            .where(s.c.phone_number_id.in_(ordered))
            # One lock order for every transaction (claims and settles): no deadlocks.
            .order_by(s.c.phone_number_id)
            .with_for_update(of=s)
        )
        return {
            r.phone_number_id: {
                "phone_number_id": r.phone_number_id,
                "next_slot_at": aware(r.next_slot_at),
                "paused_at": r.paused_at,
                "throttled_at": aware(r.throttled_at) if r.throttled_at is not None else None,
                "probe_until": aware(r.probe_until) if r.probe_until is not None else None,
                "throughput_per_s": r.throughput_per_s,
            }
            for r in rows
        }

    async def _lock_pairs(
        self, keys: Iterable[tuple[str, str]], now: datetime
    ) -> dict[tuple[str, str], dict[str, Any]]:
        ordered = sorted(keys)
        if not ordered:
            return {}
        await ensure_pairs(self.session, ordered, now)
        p = recipient_pacing
        rows = await self.session.execute(
            select(p.c.phone_number_id, p.c.to, p.c.next_slot_at)
            .where(tuple_(p.c.phone_number_id, p.c.to).in_(ordered))
            # One lock order for every transaction (claims here, settles in Python's order, see
            # ``outcomes``): no deadlocks. Digits sort alike everywhere, but a business-scoped id
            # has letters and dots, which a linguistic collation (en_US...) orders otherwise
            # than Python does; "C" compares bytes, as Python does for these ASCII ids.
            .order_by(p.c.phone_number_id, _bytewise(self.session, p.c.to))
            .with_for_update()
        )
        return {
            (r.phone_number_id, r.to): {
                "phone_number_id": r.phone_number_id,
                "to": r.to,
                "next_slot_at": aware(r.next_slot_at),
            }
            for r in rows
        }

    async def _save_numbers(self, states: list[dict[str, Any]], now: datetime) -> None:
        if states:
            s = number_states
            await self.session.execute(
                update(s)
                .where(s.c.phone_number_id == bindparam("b_id"))
                .values(next_slot_at=bindparam("b_next"), probe_until=bindparam("b_probe"), updated_at=now),
                [
                    {"b_id": x["phone_number_id"], "b_next": x["next_slot_at"], "b_probe": x["probe_until"]}
                    for x in states
                ],
            )

    async def _save_pairs(self, pairs: list[dict[str, Any]]) -> None:
        if pairs:
            p = recipient_pacing
            await self.session.execute(
                update(p)
                .where(p.c.phone_number_id == bindparam("b_id"), p.c.to == bindparam("b_to"))
                .values(next_slot_at=bindparam("b_next")),
                [{"b_id": x["phone_number_id"], "b_to": x["to"], "b_next": x["next_slot_at"]} for x in pairs],
            )


def _bytewise(session: AsyncSession, column: ColumnElement[str]) -> ColumnElement[str]:
    """``column`` compared byte by byte (SQLite's default already; PostgreSQL's "C" collation)."""
    dialect = session.bind.dialect.name if session.bind is not None else "postgresql"
    return column.collate("C") if dialect == "postgresql" else column


async def ensure_numbers(session: AsyncSession, ids: Sequence[str], now: datetime) -> None:
    if ids:
        await session.execute(
            upsert_insert(session, number_states)
            .values(
                [
                    {"phone_number_id": i, "next_slot_at": now, "throttle_strikes": 0, "updated_at": now}
                    for i in ids
                ]
            )
            .on_conflict_do_nothing()
        )


async def ensure_pairs(session: AsyncSession, keys: Sequence[tuple[str, str]], now: datetime) -> None:
    if keys:
        await session.execute(
            upsert_insert(session, recipient_pacing)
            .values([{"phone_number_id": i, "to": to, "next_slot_at": now, "strikes": 0} for i, to in keys])
            .on_conflict_do_nothing()
        )
