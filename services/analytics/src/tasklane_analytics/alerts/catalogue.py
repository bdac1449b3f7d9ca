"""The alerts analytics evaluates itself: the same names, severities, summaries and runbooks as
the PrometheusRule (deploy/k8s/monitoring/prometheusrule.yaml), so a team reads one vocabulary
whether the page came from Prometheus or from the console. ``hold_s`` is the rule's ``for``.

A test (tests/deploy) checks every name here exists in the PrometheusRule with this severity.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

DOCS = "https://github.com/tasklane/tasklane/blob/main/docs/metrics.md"


class Severity(StrEnum):
    critical = "critical"
    warning = "warning"
    info = "info"


# Shown first in the console and the API: what pages comes before what waits.
SEVERITY_ORDER = {Severity.critical: 0, Severity.warning: 1, Severity.info: 2}


@dataclass(frozen=True)
class Rule:
    name: str
    severity: Severity
    summary: str
    description: str
    runbook: str
    anchor: str
    hold_s: float

    @property
    def runbook_url(self) -> str:
        return f"{DOCS}#{self.anchor}"


_RULES = (
    Rule(
        "TasklaneReplyLatencyBudgetBurnFast",
        Severity.critical,
        "Replies are too slow; at this rate the month's latency budget is gone in 2 days.",
        "More than 14.4 % of replies took over 10 s to be accepted, over the last hour.",
        "Check the sender (breakers, paused numbers, Graph API errors), then the agent's handler "
        "latency and the queues' depth.",
        "reply-latency-slo",
        120,
    ),
    Rule(
        "TasklaneReplyLatencyBudgetBurnSlow",
        Severity.critical,
        "Replies are too slow; at this rate the month's latency budget is gone in 5 days.",
        "More than 6 % of replies took over 10 s to be accepted, over the last 6 hours.",
        "As for the fast burn; look for a slow, steady cause (a throttled number, an LLM slower than usual).",
        "reply-latency-slo",
        900,
    ),
    Rule(
        "TasklaneReplyLatencyBudgetBurnTicket",
        Severity.warning,
        "Replies have been slower than the SLO for days.",
        "More than 1 % of replies took over 10 s to be accepted, over the last 3 days and the last 6 hours.",
        "Plan capacity (sender concurrency, agent replicas) or a fix; docs/performance.md has the "
        "figures to compare.",
        "reply-latency-slo",
        3600,
    ),
    Rule(
        "TasklaneWebhook5xx",
        Severity.critical,
        "The gateway answers Meta's webhooks with 5xx.",
        "More than 5 % of webhook POSTs failed over 5 minutes; Meta retries, then disables the webhook.",
        "Check the gateway's readiness (database, broker publish confirms) and its logs for "
        "api_database_unavailable or publish errors.",
        "webhook-5xx",
        300,
    ),
    Rule(
        "TasklaneDeadLettersGrowing",
        Severity.warning,
        "Messages are being dead-lettered.",
        "New dead letters were stored in the last 30 minutes; each is a message a consumer gave up on.",
        "Open the service's dead letters (GET /api/v1/<service>/dead-letters), fix the cause, then "
        "replay them.",
        "dead-letters",
        0,
    ),
    Rule(
        "TasklaneDeadLettersPending",
        Severity.info,
        "Dead letters wait for an operator.",
        "Stored dead letters have not been replayed or handled for an hour.",
        "Replay them once the cause is fixed, or leave them to expire with the dead-letter retention.",
        "dead-letters",
        3600,
    ),
    Rule(
        "TasklaneOutboxStale",
        Severity.warning,
        "Events wait in an outbox instead of being published.",
        "The oldest unpublished outbox event of the service is more than a minute old.",
        "The relay cannot publish; check the broker's health and the service's outbox_relay_failed logs.",
        "outbox-age",
        300,
    ),
    Rule(
        "TasklaneOutboxStuck",
        Severity.critical,
        "An outbox has not published for ten minutes.",
        "The oldest unpublished outbox event is more than ten minutes old; replies and statuses are "
        "not flowing.",
        "As for TasklaneOutboxStale; if the broker is fine, restart the service's pods (rows are "
        "kept and published once).",
        "outbox-age",
        300,
    ),
    Rule(
        "TasklaneQueueWithoutConsumers",
        Severity.warning,
        "A Tasklane queue has no consumer.",
        "Nothing has consumed this queue for 10 minutes; its messages wait (none is lost).",
        "Unless the queue was paused on purpose, check the service's pods (crash loops, readiness) "
        "and its broker connection.",
        "queue-without-consumers",
        600,
    ),
    Rule(
        "TasklaneBreakerOpen",
        Severity.warning,
        "The Graph API breaker of a number is open.",
        "The Graph API kept failing for this number; its sends wait for the breaker's trial call.",
        "Check Meta's status and the sender's graph_circuit_open logs; tasklane_graph_requests_total "
        "by code shows the errors.",
        "breaker-open",
        300,
    ),
    Rule(
        "TasklaneNumberPausedAuth",
        Severity.critical,
        "A number is paused by an authentication error.",
        "Meta refused the number's token; nothing is sent from it until someone renews the token and "
        "resumes it.",
        "Renew the access token (PUT the integration's credentials), then POST "
        "/api/v1/sender/numbers/<id>/resume.",
        "number-paused-by-an-auth-error",
        60,
    ),
    Rule(
        "TasklaneNumberPaused",
        Severity.info,
        "A number is paused.",
        "The number was paused (by an operator, or by an account or policy error from Meta).",
        "Read the pause reason in GET /api/v1/sender/numbers; resume when it is resolved.",
        "number-paused-by-an-auth-error",
        900,
    ),
    Rule(
        "TasklaneRemindersLate",
        Severity.warning,
        "Reminders are late.",
        "Reminders more than a minute past their time are still pending; the reminder worker is "
        "behind or down.",
        "Check that agent pods run and reach the database (reminder_sent_late logs); late reminders "
        "go out once they do.",
        "reminders-late",
        600,
    ),
    Rule(
        "TasklaneFallbackRateHigh",
        Severity.info,
        "The assistant does not understand many messages.",
        "More than 30 % of the last hour's messages got the fallback reply.",
        "Look at what users write (the agent's conversation turns) and the LLM's health (/health/engine).",
        "fallback-rate",
        1800,
    ),
)

RULES: dict[str, Rule] = {r.name: r for r in _RULES}
