"""What Meta's answers do to a number or a recipient, kept with the shared pacing schedules
(``pacing``) so that every replica obeys them:

* a throughput refusal (130429...) pushes the number's schedule back, longer with each in a row
  (a strike); the refusals of one burst, answers to sends claimed before its first refusal was
  settled, are one strike, not one each. When the hold ends one probe call goes (``pacing``): its
  acceptance ends the throttle, its refusal is the next strike;
* a pair-rate refusal (131056) pushes only that recipient's schedule back, 4^X seconds;
* a restriction (131048, 131064) holds the number for hours;
* an authentication or account error pauses the number until an operator (or a newer
  ``NumberConfigured``) resumes it.

Every function takes the caller's session; the caller commits.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from tasklane_sender.errors import backoff_s, pair_backoff_s
from tasklane_sender.pacing import (
    HORIZON_S,
    STRIKES_FORGOTTEN_AFTER,
    Limits,
    aware,
    ensure_numbers,
    ensure_pairs,
)
from tasklane_sender.tables import number_states, numbers, outbound_messages, recipient_pacing


async def _lock_number(session: AsyncSession, phone_number_id: str, now: datetime) -> Any:
    await ensure_numbers(session, [phone_number_id], now)
    s = number_states
    return (
        await session.execute(select(s).where(s.c.phone_number_id == phone_number_id).with_for_update())
    ).one()


async def throttle(
    session: AsyncSession,
    phone_number_id: str,
    *,
    now: datetime,
    code: int | None,
    reason: str,
    initial_s: float,
    max_s: float,
    seen: Collection[datetime | None],
) -> datetime | None:
    """Meta says the number is over its throughput: push its schedule back, longer with each
    strike, and let one probe go when the hold ends. ``seen``: the number's ``throttled_at`` as
    the claims of the refused sends saw it. Only a send claimed under the current schedule (none
    of its refusals settled since) is news: a refusal of a send claimed earlier belongs to the
    burst already counted, which is why concurrent refusals, from any replica, make one strike.
    Returns when the next message may go, None when this was no new strike."""
    row = await _lock_number(session, phone_number_id, now)
    current = aware(row.throttled_at) if row.throttled_at is not None else None
    if current not in {aware(at) if at is not None else None for at in seen}:
        return None
    recent = current is not None and now - current < STRIKES_FORGOTTEN_AFTER
    strikes = (row.throttle_strikes if recent else 0) + 1
    until = now + timedelta(seconds=backoff_s(strikes, initial=initial_s, maximum=max_s))
    until = max(until, aware(row.next_slot_at))
    await session.execute(
        update(number_states)
        .where(number_states.c.phone_number_id == phone_number_id)
        .values(
            next_slot_at=until,
            throttle_strikes=strikes,
            throttled_at=now,
            probe_until=until,
            hold_code=code,
            hold_reason=reason,
            updated_at=now,
        )
    )
    return until


async def end_probe(session: AsyncSession, phone_number_id: str, *, now: datetime, passed: bool) -> bool:
    """The probe after a throughput hold was answered. ``passed`` (Meta accepted it): the throttle
    is over, the number sends at its rate and its strikes start over. Otherwise (an outage, a
    refusal of the message itself, no call made) it said nothing about throughput: the next claim
    sends another probe. True when a probe was pending."""
    s = number_states
    values: dict[str, Any] = {"probe_until": None, "throttle_strikes": 0} if passed else {"probe_until": now}
    result = await session.execute(
        update(s)
        .where(s.c.phone_number_id == phone_number_id, s.c.probe_until.is_not(None))
        .values(updated_at=now, **values)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def hold(
    session: AsyncSession, phone_number_id: str, *, now: datetime, wait_s: float, code: int, reason: str
) -> bool:
    """Stop the number's sending for ``wait_s`` (131048, 131064); True when it was not held yet."""
    row = await _lock_number(session, phone_number_id, now)
    until = now + timedelta(seconds=wait_s)
    current = aware(row.next_slot_at)
    fresh = not (row.hold_code == code and current > now + timedelta(seconds=wait_s / 2))
    await session.execute(
        update(number_states)
        .where(number_states.c.phone_number_id == phone_number_id)
        .values(next_slot_at=max(until, current), hold_code=code, hold_reason=reason, updated_at=now)
    )
    return fresh


async def pair_strike(
    session: AsyncSession,
    phone_number_id: str,
    to: str,
    *,
    now: datetime,
    limits: Limits,
    initial_s: float,
    max_s: float,
) -> datetime:
    """Meta says this recipient got too many messages (131056): only this pair backs off, 4^X
    seconds (X counts the refusals in a row). Returns when the recipient may get the next one."""
    await ensure_pairs(session, [(phone_number_id, to)], now)
    p = recipient_pacing
    key = (p.c.phone_number_id == phone_number_id, p.c.to == to)
    row = (await session.execute(select(p).where(*key).with_for_update())).one()
    recent = row.struck_at is not None and now - aware(row.struck_at) < STRIKES_FORGOTTEN_AFTER
    strike = row.strikes if recent else 0
    until = now + timedelta(seconds=pair_backoff_s(strike, initial=initial_s, maximum=max_s))
    # The claim lets a message go at next_slot_at - tolerance (the burst): make that ``until``.
    next_slot = max(aware(row.next_slot_at), until + limits.pair_tolerance)
    await session.execute(
        update(p).where(*key).values(next_slot_at=next_slot, strikes=strike + 1, struck_at=now)
    )
    return until


async def pair_refund(
    session: AsyncSession, phone_number_id: str, to: str, *, now: datetime, limits: Limits
) -> None:
    """Give back the pair slot a claim took for a message that reached nobody (no call was made:
    an open circuit, a trial in flight; or Meta refused it for the number's throughput). Without
    this, each round of an outage would use up one slot of the recipient's pair rate, and after
    a few the recipient would wait minutes behind a schedule no message kept. The claim advanced
    the schedule by one interval from at least its old value, so one interval back never goes
    below where it was."""
    p = recipient_pacing
    key = (p.c.phone_number_id == phone_number_id, p.c.to == to)
    row = (await session.execute(select(p.c.next_slot_at).where(*key).with_for_update())).first()
    if row is None:
        return
    await session.execute(
        update(p).where(*key).values(next_slot_at=aware(row.next_slot_at) - limits.pair_interval)
    )


async def pause(
    session: AsyncSession, phone_number_id: str, *, now: datetime, code: int | None, reason: str
) -> bool:
    """Stop all sending from the number until resumed; True when it was not paused yet."""
    await ensure_numbers(session, [phone_number_id], now)
    s = number_states
    result = await session.execute(
        update(s)
        .where(s.c.phone_number_id == phone_number_id, s.c.paused_at.is_(None))
        .values(paused_at=now, pause_code=code, pause_reason=reason, updated_at=now)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def resume(session: AsyncSession, phone_number_id: str, *, now: datetime) -> bool:
    """Let a paused number send again (its waiting messages are due at once); True if it was paused."""
    s = number_states
    result = await session.execute(
        update(s)
        .where(s.c.phone_number_id == phone_number_id, s.c.paused_at.is_not(None))
        .values(paused_at=None, pause_code=None, pause_reason=None, updated_at=now)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def lift_hold(session: AsyncSession, phone_number_id: str, *, now: datetime) -> bool:
    """End a hold or throttle now (an operator's call, e.g. after Meta lifted a 131048 early): the
    number's schedule restarts at ``now``. True if it was held."""
    s = number_states
    result = await session.execute(
        update(s)
        .where(s.c.phone_number_id == phone_number_id, s.c.hold_code.is_not(None), s.c.next_slot_at > now)
        .values(
            next_slot_at=now,
            hold_code=None,
            hold_reason=None,
            throttle_strikes=0,
            probe_until=None,
            updated_at=now,
        )
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def known(session: AsyncSession, phone_number_id: str) -> bool:
    """Whether the sender has seen this number (configured, or sent from)."""
    for table in (number_states, numbers):
        found = await session.execute(
            select(table.c.phone_number_id).where(table.c.phone_number_id == phone_number_id)
        )
        if found.first() is not None:
            return True
    return False


async def overview(session: AsyncSession, now: datetime) -> list[dict[str, Any]]:
    """Every number the sender knows: configuration, pause, schedule and queue, for operators."""
    s, n, t = number_states, numbers, outbound_messages
    states = {r.phone_number_id: r for r in await session.execute(select(s))}
    configured = {r.phone_number_id: r for r in await session.execute(select(n))}
    pending: dict[str, int] = dict(
        (
            await session.execute(
                select(t.c.phone_number_id, func.count())
                .where(t.c.status.in_(("queued", "sending")))
                .group_by(t.c.phone_number_id)
            )
        ).all()
    )
    out = []
    for pnid in sorted(set(states) | set(configured) | set(pending)):
        state, number = states.get(pnid), configured.get(pnid)
        next_slot = aware(state.next_slot_at) if state is not None else None
        if next_slot is not None and next_slot <= now + timedelta(seconds=HORIZON_S):
            next_slot = None  # only its ordinary pacing
        out.append(
            {
                "phone_number_id": pnid,
                "state": number.state if number is not None else None,
                "display_phone_number": number.display_phone_number if number is not None else None,
                "throughput_per_s": number.throughput_per_s if number is not None else None,
                "paused": state is not None and state.paused_at is not None,
                "paused_at": aware(state.paused_at).isoformat() if state and state.paused_at else None,
                "pause_code": state.pause_code if state is not None else None,
                "pause_reason": state.pause_reason if state is not None else None,
                "held_until": next_slot.isoformat() if next_slot else None,
                "hold_code": state.hold_code if state and next_slot else None,
                "hold_reason": state.hold_reason if state and next_slot else None,
                "pending": pending.get(pnid, 0),
            }
        )
    return out
