"""What the Graph API call's span tells an operator: the wamid on success; on anything else an
error status, ``error.type`` (Meta's error code, else the HTTP status, else the verdict) and Meta's
code and reason as attributes, so a failed send is found by its code in the trace backend."""

from __future__ import annotations

from opentelemetry import trace

from tasklane_sender.graph import SendOutcome


def mark_send(span: trace.Span, outcome: SendOutcome) -> None:
    span.set_attribute("whatsapp.send.verdict", outcome.verdict)
    if outcome.http_status is not None:
        span.set_attribute("http.response.status_code", outcome.http_status)
    if outcome.verdict == "sent":
        if outcome.wamid:
            span.set_attribute("whatsapp.message.id", outcome.wamid)
        return
    if outcome.verdict == "blocked":
        # No call went out (breaker open, or the replica was stopping): nothing failed yet.
        span.set_attribute("whatsapp.send.blocked_reason", outcome.reason[:500])
        return
    if outcome.error_code is not None:
        span.set_attribute("whatsapp.error.code", outcome.error_code)
        error_type = str(outcome.error_code)
    elif outcome.http_status is not None:
        error_type = str(outcome.http_status)
    else:
        error_type = "timeout" if outcome.ambiguous else outcome.verdict
    span.set_attribute("error.type", error_type)
    span.set_status(trace.StatusCode.ERROR, outcome.reason[:500] or outcome.verdict)
