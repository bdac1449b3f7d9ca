"""``GET /api/v1/analytics/alerts``: the alerts analytics evaluates, firing and pending first,
then those resolved lately (analyst role and up)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field

from tasklane_analytics.alerts.catalogue import RULES, Severity
from tasklane_analytics.alerts.service import AlertService
from tasklane_analytics.alerts.state import Alert
from tasklane_analytics.operations.api import PREFIX
from tasklane_analytics.operations.guard import guard
from tasklane_common.settings import Role


class AlertOut(BaseModel):
    name: str = Field(description="As in the PrometheusRule (deploy/k8s/monitoring/prometheusrule.yaml).")
    severity: Severity
    state: Literal["firing", "pending", "resolved"] = Field(
        description="pending: the condition holds, not yet for as long as the rule's hold."
    )
    summary: str
    description: str
    detail: str | None = Field(description="What was observed last (counts, ages).")
    value: float | None
    labels: dict[str, str] = Field(description="queue, service, phone_number_id, code: whichever apply.")
    since: datetime = Field(description="First seen firing (pending: first seen).")
    first_seen: datetime
    resolved_at: datetime | None
    notified_at: datetime | None = Field(description="Last told to the webhook, if one is configured.")
    runbook: str
    runbook_url: str


class AlertsOut(BaseModel):
    firing: list[AlertOut]
    pending: list[AlertOut]
    resolved: list[AlertOut] = Field(description="Resolved within ``resolved_hours``, newest first.")
    evaluated_at: datetime | None = Field(description="This replica's last evaluation (None: not yet).")


def alert_out(alert: Alert) -> AlertOut:
    rule = RULES[alert.name]
    return AlertOut(
        name=alert.name,
        severity=alert.severity,
        state=alert.state,
        summary=rule.summary,
        description=rule.description,
        detail=alert.detail,
        value=alert.value,
        labels=alert.labels,
        since=alert.since,
        first_seen=alert.first_seen,
        resolved_at=alert.resolved_at,
        notified_at=alert.notified_at,
        runbook=rule.runbook,
        runbook_url=rule.runbook_url,
    )


async def alerts_view(
    alerts: AlertService, *, resolved_hours: float, severity: Severity | None = None
) -> AlertsOut:
    found = [alert_out(a) for a in await alerts.alerts(resolved_hours=resolved_hours, severity=severity)]
    return AlertsOut(
        firing=[a for a in found if a.state == "firing"],
        pending=[a for a in found if a.state == "pending"],
        resolved=[a for a in found if a.state == "resolved"],
        evaluated_at=alerts.evaluated_at,
    )


# A week: what ``keep_resolved_h`` sensibly holds; beyond is a client's mistake.
MAX_RESOLVED_HOURS = 24 * 7
SeverityQuery = Annotated[Severity | None, Query(description="Only this severity.")]
ResolvedHours = Annotated[
    float,
    Query(
        gt=0,
        le=MAX_RESOLVED_HOURS,
        description=f"Resolved in the last this many hours (<= {MAX_RESOLVED_HOURS}).",
    ),
]


def router(alerts: AlertService) -> APIRouter:
    reader = Depends(guard(alerts.runtime, Role.ANALYST))
    api = APIRouter(prefix=PREFIX, tags=["alerts"])

    @api.get("/alerts", dependencies=[reader])
    async def list_alerts(severity: SeverityQuery = None, resolved_hours: ResolvedHours = 6.0) -> AlertsOut:
        """The alerts analytics evaluates from the system's heartbeats, dead letters and hourly
        figures: the PrometheusRule's names, severities and runbooks, with each instance's
        labels and since when it fires. Resolved ones are kept ``keep_resolved_h`` (24 h by
        default): a longer ``resolved_hours`` lists what is kept."""
        return await alerts_view(alerts, resolved_hours=resolved_hours, severity=severity)

    return api
