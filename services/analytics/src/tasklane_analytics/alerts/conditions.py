"""What holds now, rule by rule, from what analytics knows: the fleet's heartbeats (consumers,
breakers, numbers, outboxes, reminders, webhook answers), the broker's consumer counts, the
dead-letter read model and the hourly rollups.

Each source answers a list of ``Observation``s (one per alert instance whose condition holds),
or None when it could not be read (the broker or the database away): the state of those rules
is then left as it is rather than resolved by an outage of the observer.

Where the PrometheusRule compares short windows the rollups cannot (they are hourly), the
reply-latency and fallback rules read the UTC hours overlapping their window (docs/metrics.md).
"""

from __future__ import annotations

import re
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from tasklane_analytics.alerts.settings import AlertSettings
from tasklane_analytics.operations.fleet import Fleet
from tasklane_analytics.operations.tables import dead_letter_view
from tasklane_analytics.rollups.histogram import BOUNDS_MS
from tasklane_analytics.rollups.tables import ALL_NUMBERS, rollups
from tasklane_common.messaging.topology import ALL_QUEUES

# The PrometheusRule's queue selector: the queues whose consumers are services' work.
WATCHED = re.compile(
    r".*(agent[.](inbound|sent)|sender[.](replies|statuses|inbound|integrations)|analytics[.]events)"
)
WATCHED_QUEUES = tuple(q.name for q in ALL_QUEUES if WATCHED.fullmatch(q.name))
# Response-time buckets below this one ended within 10 s (the SLO's bound).
SLOW_FROM_BUCKET = BOUNDS_MS.index(10_000) + 1
# The burn-rate factors of the PrometheusRule's multiwindow alerts.
FAST_BURN, SLOW_BURN = 14.4, 6.0

Observed = dict[str, list["Observation"] | None]


@dataclass(frozen=True)
class Observation:
    rule: str
    labels: dict[str, str]
    value: float | None = None
    detail: str | None = None


@dataclass
class WebhookWindow:
    """The gateway replicas' cumulative webhook answers, sampled at each evaluation, so that the
    failed share over the window is an increase, as Prometheus' ``increase()`` computes it."""

    samples: dict[str, deque[tuple[datetime, dict[str, int]]]] = field(default_factory=dict)

    def add(self, replica: str, at: datetime, totals: dict[str, int]) -> None:
        seen = self.samples.setdefault(replica, deque())
        if not seen or seen[-1][0] < at:
            seen.append((at, totals))

    def increase(self, now: datetime, window_s: float, live: set[str]) -> dict[str, int]:
        start = now - timedelta(seconds=window_s)
        out = {"accepted": 0, "refused": 0, "failed": 0}
        for replica in list(self.samples):
            seen = self.samples[replica]
            if replica not in live:
                del self.samples[replica]
                continue
            # Keep one sample at or before the window's start: the baseline of the increase.
            while len(seen) > 1 and seen[1][0] <= start:
                seen.popleft()
            first, last = seen[0][1], seen[-1][1]
            for outcome in out:
                now_n, then_n = int(last.get(outcome, 0)), int(first.get(outcome, 0))
                # A restarted replica starts from zero again (a counter reset).
                out[outcome] += now_n - then_n if now_n >= then_n else now_n
        return out


def from_fleet(
    fleet: Fleet,
    depths: dict[str, tuple[int, int]] | None,
    settings: AlertSettings,
    webhooks: WebhookWindow,
    now: datetime,
) -> Observed:
    live = fleet.live(now)
    out: Observed = {}

    paused = {c.queue for s in live for c in s.latest.consumers if c.paused}
    if depths is None:
        out["TasklaneQueueWithoutConsumers"] = None
    else:
        out["TasklaneQueueWithoutConsumers"] = [
            Observation(
                "TasklaneQueueWithoutConsumers",
                {"queue": queue, "service": queue.split(".", 1)[0]},
                value=float(depths[queue][0]),
                detail=f"{depths[queue][0]} message(s) waiting"
                + ("; paused by an operator" if queue in paused else ""),
            )
            for queue in WATCHED_QUEUES
            if queue in depths and depths[queue][1] == 0
        ]

    senders = [s for s in live if s.latest.service == "sender"]
    open_breakers = sorted(
        {
            str(number)
            for s in senders
            for number, state in (s.latest.reports.get("breakers") or {}).items()
            if state == "open"
        }
    )
    out["TasklaneBreakerOpen"] = [
        Observation("TasklaneBreakerOpen", {"phone_number_id": n}) for n in open_breakers
    ]

    numbers: dict[str, dict[str, Any]] = {}
    for s in senders:
        report = s.latest.reports.get("numbers")
        for entry in report if isinstance(report, list) else []:
            if isinstance(entry, dict) and entry.get("paused"):
                numbers.setdefault(str(entry.get("phone_number_id")), entry)
    auth, other = [], []
    for pnid, entry in sorted(numbers.items()):
        code = entry.get("pause_code")
        labels = {"phone_number_id": pnid, "code": str(code) if code is not None else "none"}
        reason = entry.get("pause_reason")
        if entry.get("pause_auth"):
            auth.append(Observation("TasklaneNumberPausedAuth", labels, detail=reason))
        else:
            other.append(Observation("TasklaneNumberPaused", labels, detail=reason))
    out["TasklaneNumberPausedAuth"] = auth
    out["TasklaneNumberPaused"] = other

    ages: dict[str, float] = {}
    for s in live:
        if s.latest.outbox is not None:
            service = s.latest.service
            ages[service] = max(ages.get(service, 0.0), s.latest.outbox.oldest_age_s)
    for name, limit in (
        ("TasklaneOutboxStale", settings.outbox_stale_s),
        ("TasklaneOutboxStuck", settings.outbox_stuck_s),
    ):
        out[name] = [
            Observation(name, {"service": service}, value=age, detail=f"oldest waits {age:.0f} s")
            for service, age in sorted(ages.items())
            if age > limit
        ]

    late = [
        int(r.get("late", 0))
        for s in live
        if s.latest.service == "agent" and isinstance(r := s.latest.reports.get("reminders"), dict)
    ]
    worst = max(late, default=0)
    out["TasklaneRemindersLate"] = (
        [Observation("TasklaneRemindersLate", {}, value=float(worst), detail=f"{worst} reminder(s) late")]
        if worst > 0
        else []
    )

    gateways = [s for s in live if s.latest.service == "gateway"]
    for s in gateways:
        report = s.latest.reports.get("webhooks")
        if isinstance(report, dict):
            webhooks.add(s.latest.replica, s.latest.at, {k: int(v) for k, v in report.items()})
    counts = webhooks.increase(now, settings.webhook_window_s, {s.latest.replica for s in gateways})
    total = sum(counts.values())
    share = counts["failed"] / total if total else 0.0
    out["TasklaneWebhook5xx"] = (
        [
            Observation(
                "TasklaneWebhook5xx",
                {},
                value=round(share, 4),
                detail=f"{counts['failed']} of {total} webhook POSTs failed",
            )
        ]
        if total >= settings.webhook_min_requests and share > settings.webhook_failed_ratio
        else []
    )
    return out


async def from_dead_letters(session: AsyncSession, settings: AlertSettings, now: datetime) -> Observed:
    t = dead_letter_view.c
    recent = now - timedelta(seconds=settings.dead_letters_window_s)
    rows = (
        await session.execute(
            select(
                t.service,
                t.queue,
                func.count().filter(t.replayed_at.is_(None)),
                func.count().filter(t.dead_at >= recent),
            )
            .where(t.deleted.is_(False))
            .group_by(t.service, t.queue)
        )
    ).all()
    pending, growing = [], []
    for service, queue, waiting, new in sorted(rows):
        labels = {"service": service, "queue": queue}
        if waiting:
            pending.append(
                Observation("TasklaneDeadLettersPending", labels, float(waiting), f"{waiting} waiting")
            )
        if new:
            growing.append(
                Observation("TasklaneDeadLettersGrowing", labels, float(new), f"{new} new in the window")
            )
    return {"TasklaneDeadLettersPending": pending, "TasklaneDeadLettersGrowing": growing}


def _hour(at: datetime) -> datetime:
    return at.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


async def from_rollups(session: AsyncSession, settings: AlertSettings, now: datetime) -> Observed:
    r = rollups.c
    since = _hour(now - timedelta(days=3))
    rows = (
        await session.execute(
            select(r.metric, r.hour, r.dim, r.value).where(
                r.phone_number_id == ALL_NUMBERS,
                r.metric.in_(("response", "turns", "fallbacks")),
                r.hour >= since,
            )
        )
    ).all()

    def window(metric: str, hours: float, *, slow_only: bool = False) -> int:
        start = _hour(now - timedelta(hours=hours))
        return sum(
            int(v)
            for m, hour, dim, v in rows
            if m == metric
            and (hour if hour.tzinfo else hour.replace(tzinfo=UTC)) >= start
            and (not slow_only or (dim.isdigit() and int(dim) >= SLOW_FROM_BUCKET))
        )

    def slow_share(hours: float) -> tuple[float, int]:
        n = window("response", hours)
        return (window("response", hours, slow_only=True) / n if n else 0.0), n

    budget = 1 - settings.reply_slo
    out: Observed = {}
    share_1h, n_1h = slow_share(1)
    share_6h, n_6h = slow_share(6)
    share_3d, _ = slow_share(72)
    fires = {
        "TasklaneReplyLatencyBudgetBurnFast": (
            share_1h > FAST_BURN * budget and n_1h >= settings.reply_min_fast,
            share_1h,
            n_1h,
        ),
        "TasklaneReplyLatencyBudgetBurnSlow": (
            share_6h > SLOW_BURN * budget and n_6h >= settings.reply_min_slow,
            share_6h,
            n_6h,
        ),
        "TasklaneReplyLatencyBudgetBurnTicket": (
            share_3d > budget and share_6h > budget and n_6h >= settings.reply_min_slow,
            share_3d,
            n_6h,
        ),
    }
    for name, (holds, share, n) in fires.items():
        out[name] = (
            [Observation(name, {}, round(share, 4), f"{share:.1%} of {n} replies over 10 s")] if holds else []
        )

    turns, fallbacks = window("turns", 1), window("fallbacks", 1)
    rate = fallbacks / turns if turns else 0.0
    out["TasklaneFallbackRateHigh"] = (
        [
            Observation(
                "TasklaneFallbackRateHigh", {}, round(rate, 4), f"{fallbacks} of {turns} turns fell back"
            )
        ]
        if turns >= settings.fallback_min_turns and rate > settings.fallback_ratio
        else []
    )
    return out
