"""The claim: which due messages a replica takes now, and when each may leave.

One transaction per claim takes up to ``limit`` due messages (``FOR UPDATE SKIP LOCKED``, so
replicas never take the same row), gives each its send-not-before slot from the shared schedules
(``pacing``), defers those over their recipient's pair rate, and marks the rest ``sending`` with a
lease. Each claim counts as an attempt. After a throughput hold a number's claim takes one
message only, its probe (``pacing``).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from sqlalchemy import and_, bindparam, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from tasklane_sender import pacing
from tasklane_sender.pacing import Limits
from tasklane_sender.repository import OutboundMessage
from tasklane_sender.tables import outbound_messages


@dataclass(frozen=True)
class Claim:
    messages: list[OutboundMessage]
    # When a claim would find what this one had to leave for lack of budget (None: nothing).
    retry_at: datetime | None
    # Per phone number: the seconds between two of its slots.
    spacing: dict[str, float] = field(default_factory=dict)


async def claim_due(
    session: AsyncSession,
    *,
    now: datetime,
    limit: int,
    lease_s: float,
    limits: Limits,
    skip_phone_number_ids: Collection[str] = (),
) -> Claim:
    """Take due messages for sending: queued ones whose time has come, and sending ones whose
    lease expired (their sender died). Each claim counts as an attempt. ``SKIP LOCKED`` lets
    several replicas claim side by side without ever taking the same row. Each message gets
    its send-not-before slot from the shared schedules (``pacing``); one whose recipient is
    over the pair rate stays queued until its slot; one whose number has no budget left in
    this round is left for the next."""
    t = outbound_messages
    other = outbound_messages.alias("other")
    # One message per recipient at a time, oldest first: nothing is claimed for a recipient
    # while another replica holds a live lease on a message to them, or while an older
    # message to them still waits (e.g. for its retry). Replies to one user leave in order,
    # and a slow call can never let a second replica send the same recipient's next message.
    ahead = (
        select(other.c.reply_id)
        .where(
            other.c.phone_number_id == t.c.phone_number_id,
            other.c.to == t.c.to,
            other.c.reply_id != t.c.reply_id,
            # Read receipts are not messages to the user: they neither wait for nor hold up the
            # user's replies (a receipt stuck behind a paced reply would show no blue ticks).
            other.c.kind != "read",
            or_(
                and_(other.c.status == "sending", other.c.lease_until > now),
                and_(
                    other.c.status.in_(("queued", "sending")),
                    or_(
                        other.c.created_at < t.c.created_at,
                        and_(other.c.created_at == t.c.created_at, other.c.reply_id < t.c.reply_id),
                    ),
                ),
            ),
        )
        .exists()
    )
    query = select(t.c.reply_id, t.c.phone_number_id, t.c.to, t.c.kind).where(
        t.c.status.in_(("queued", "sending")),
        t.c.next_attempt_at <= now,
        or_(t.c.kind == "read", ~ahead),
        ~pacing.held(now),
    )
    if skip_phone_number_ids:
        query = query.where(t.c.phone_number_id.not_in(list(skip_phone_number_ids)))
    candidates = [
        pacing.Candidate(r.reply_id, r.phone_number_id, r.to, r.kind)
        for r in await session.execute(
            query.order_by(t.c.next_attempt_at, t.c.created_at)
            .limit(limit)
            .with_for_update(of=t, skip_locked=True)
        )
    ]
    if not candidates:
        return Claim([], None)
    plan = await pacing.Pacer(session, limits, probe_lease=timedelta(seconds=lease_s)).plan(candidates, now)
    if plan.deferred:
        await session.execute(
            update(t)
            .where(t.c.reply_id == bindparam("b_id"))
            .values(next_attempt_at=bindparam("b_at"), updated_at=now),
            [{"b_id": reply_id, "b_at": at} for reply_id, at in plan.deferred.items()],
        )
    if not plan.slots:
        return Claim([], plan.retry_at)
    lease = now + timedelta(seconds=lease_s)
    rows = (
        await session.execute(
            update(t)
            .where(t.c.reply_id.in_(list(plan.slots)))
            .values(
                status="sending",
                attempts=t.c.attempts + 1,
                lease_until=lease,
                next_attempt_at=lease,
                updated_at=now,
            )
            .returning(*t.c)
        )
    ).all()
    claimed = {r.reply_id: OutboundMessage.from_row(r) for r in rows}
    return Claim(
        [
            replace(
                claimed[c.reply_id],
                send_at=plan.slots[c.reply_id],
                throttled_at_claim=plan.throttled_at.get(c.phone_number_id),
                probe=c.reply_id in plan.probes,
            )
            for c in candidates
            if c.reply_id in claimed
        ],
        plan.retry_at,
        plan.spacing,
    )
