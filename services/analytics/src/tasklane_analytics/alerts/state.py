"""Alert instances through their life, in ``alert_state``: pending (the condition holds, not for
long enough yet), firing, resolved. Every analytics replica applies what it observed; rows are
locked while changed (``FOR UPDATE SKIP LOCKED``: one a notifier holds is left for the next
round), new ones inserted once whoever comes first, so replicas agree without a leader.

The functions take the caller's session and never commit: the evaluator's transaction does.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from sqlalchemy import delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from tasklane_analytics.alerts.catalogue import RULES, SEVERITY_ORDER, Severity
from tasklane_analytics.alerts.conditions import Observation, Observed
from tasklane_analytics.alerts.settings import AlertSettings
from tasklane_analytics.alerts.tables import alert_state
from tasklane_common.db.dialect import upsert_insert

State = Literal["pending", "firing", "resolved"]


def fingerprint(rule: str, labels: dict[str, str]) -> str:
    return hashlib.sha256(json.dumps([rule, labels], sort_keys=True).encode()).hexdigest()[:32]


def _aware(at: datetime | None) -> datetime | None:
    if at is None:
        return None
    return at if at.tzinfo else at.replace(tzinfo=UTC)


def row_time(at: datetime) -> datetime:
    return at if at.tzinfo else at.replace(tzinfo=UTC)


@dataclass(frozen=True)
class Alert:
    """One alert instance as the API and the console show it."""

    fingerprint: str
    name: str
    severity: Severity
    state: State
    labels: dict[str, str]
    value: float | None
    detail: str | None
    first_seen: datetime
    firing_since: datetime | None
    resolved_at: datetime | None
    notified_at: datetime | None

    @property
    def since(self) -> datetime:
        """First seen firing (pending: first seen at all)."""
        return self.firing_since or self.first_seen

    @property
    def rule(self) -> Any:
        return RULES[self.name]

    @classmethod
    def of(cls, row: Any) -> Alert:
        if row.resolved_at is not None:
            state: State = "resolved"
        else:
            state = "firing" if row.firing_since is not None else "pending"
        first_seen = _aware(row.first_seen)
        assert first_seen is not None
        return cls(
            fingerprint=row.fingerprint,
            name=row.name,
            severity=Severity(row.severity),
            state=state,
            labels=dict(row.labels or {}),
            value=row.value,
            detail=row.detail,
            first_seen=first_seen,
            firing_since=_aware(row.firing_since),
            resolved_at=_aware(row.resolved_at),
            notified_at=_aware(row.notified_at),
        )


async def apply(session: AsyncSession, observed: Observed, settings: AlertSettings, now: datetime) -> None:
    """Move every instance of the rules in ``observed`` (None: unknown, left alone) on."""
    known = [name for name, found in observed.items() if found is not None and name in RULES]
    if not known:
        return
    t = alert_state
    rows = (
        await session.execute(select(t).where(t.c.name.in_(known)).with_for_update(skip_locked=True))
    ).all()
    by_fp = {r.fingerprint: r for r in rows}
    active: dict[str, Observation] = {}
    for name in known:
        for obs in observed[name] or []:
            active[fingerprint(name, obs.labels)] = obs
    resolve_after = timedelta(seconds=settings.resolve_after_s)

    for fp, row in by_fp.items():
        seen = active.get(fp)
        hold = timedelta(seconds=settings.hold_of(RULES[row.name]))
        if seen is not None:
            values: dict[str, Any] = {"last_seen": now, "value": seen.value, "detail": seen.detail}
            if row.resolved_at is not None:
                # It came back: a new episode (what was notified is kept, against flapping).
                values |= {
                    "first_seen": now,
                    "resolved_at": None,
                    "firing_since": now if hold <= timedelta(0) else None,
                }
            elif row.firing_since is None and now - row_time(row.first_seen) >= hold:
                values["firing_since"] = now
            await session.execute(update(t).where(t.c.fingerprint == fp).values(**values))
        elif row.resolved_at is None and now - row_time(row.last_seen) >= resolve_after:
            if row.firing_since is None:
                # It never fired: nothing to resolve, nobody was told.
                await session.execute(delete(t).where(t.c.fingerprint == fp))
            else:
                await session.execute(update(t).where(t.c.fingerprint == fp).values(resolved_at=now))

    new = [(fp, obs) for fp, obs in active.items() if fp not in by_fp]
    for fp, obs in new:
        rule = RULES[obs.rule]
        immediate = settings.hold_of(rule) <= 0
        insert = upsert_insert(session, t).values(
            fingerprint=fp,
            name=rule.name,
            severity=rule.severity.value,
            labels=obs.labels,
            value=obs.value,
            detail=obs.detail,
            first_seen=now,
            firing_since=now if immediate else None,
            last_seen=now,
        )
        # Locked by a notifier, or inserted by another replica a moment ago: theirs stands.
        await session.execute(insert.on_conflict_do_nothing(index_elements=["fingerprint"]))


async def listing(
    session: AsyncSession, *, resolved_since: datetime, severity: Severity | None = None
) -> list[Alert]:
    t = alert_state
    where = [or_(t.c.resolved_at.is_(None), t.c.resolved_at >= resolved_since)]
    if severity is not None:
        where.append(t.c.severity == severity.value)
    rows = (await session.execute(select(t).where(*where))).all()
    alerts = [Alert.of(r) for r in rows if r.name in RULES]
    return sorted(
        alerts,
        key=lambda a: (
            {"firing": 0, "pending": 1, "resolved": 2}[a.state],
            SEVERITY_ORDER[a.severity],
            -(a.resolved_at or a.since).timestamp(),
            a.name,
        ),
    )


def due_clause(settings: AlertSettings, now: datetime) -> Any:
    """Instances to notify: firing and not told within the repeat interval, or resolved after
    their firing was told."""
    t = alert_state.c
    repeat = now - timedelta(seconds=settings.repeat_interval_s)
    return (t.severity.in_([s.value for s in settings.notify_severities])) & or_(
        t.firing_since.is_not(None)
        & t.resolved_at.is_(None)
        & (t.notified_at.is_(None) | (t.notified_at <= repeat)),
        t.resolved_at.is_not(None) & (t.notified_state == "firing"),
    )


async def claim_due(
    session: AsyncSession, settings: AlertSettings, now: datetime, *, tried: set[str]
) -> Alert | None:
    """One instance to notify (not in ``tried``: those failed this round), locked until the
    caller's transaction ends: another replica skips it, and finds it notified when it looks
    again."""
    t = alert_state
    where = [due_clause(settings, now)]
    if tried:
        where.append(t.c.fingerprint.not_in(sorted(tried)))
    row = (
        await session.execute(
            select(t)
            .where(*where)
            .order_by(t.c.first_seen, t.c.fingerprint)
            .limit(1)
            .with_for_update(skip_locked=True)
        )
    ).one_or_none()
    return Alert.of(row) if row is not None and row.name in RULES else None


async def mark_notified(session: AsyncSession, alert: Alert, now: datetime) -> None:
    kind = "resolved" if alert.state == "resolved" else "firing"
    await session.execute(
        update(alert_state)
        .where(alert_state.c.fingerprint == alert.fingerprint)
        .values(notified_at=now, notified_state=kind)
    )
