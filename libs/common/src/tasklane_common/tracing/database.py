"""One CLIENT span per SQL statement, only inside a trace.

Our own two engine hooks rather than a contrib instrumentation: a statement outside any trace (a
relay's or a dispatcher's poll, a heartbeat) must not start a trace of its own every second, and
the statement's parameters (users' messages) are never recorded, only its text.
"""

from __future__ import annotations

from typing import Any

from opentelemetry import trace
from sqlalchemy import event
from sqlalchemy.engine import Engine

from tasklane_common.telemetry import tracer

_SPAN_KEY = "tasklane_span"


def instrument_engine(engine: Engine, *, system: str, namespace: str | None, service: str) -> None:
    if getattr(engine, "_tasklane_traced", False):
        return
    engine._tasklane_traced = True  # type: ignore[attr-defined]
    t = tracer(service)

    @event.listens_for(engine, "before_cursor_execute")
    def _start(conn: Any, _cursor: Any, statement: str, _params: Any, context: Any, _many: bool) -> None:
        if not trace.get_current_span().is_recording():
            return
        operation = statement.lstrip().split(None, 1)[0].upper() if statement.strip() else "SQL"
        attributes: dict[str, Any] = {
            "db.system.name": system,
            "db.operation.name": operation,
            "db.query.text": statement[:2000],
        }
        if namespace:
            attributes["db.namespace"] = namespace
        span = t.start_span(
            f"{operation} {namespace}" if namespace else operation,
            kind=trace.SpanKind.CLIENT,
            attributes=attributes,
        )
        if context is not None:
            context._tasklane_span = span

    @event.listens_for(engine, "after_cursor_execute")
    def _end(_conn: Any, _cursor: Any, _statement: str, _params: Any, context: Any, _many: bool) -> None:
        span = getattr(context, "_tasklane_span", None)
        if span is not None:
            span.end()
            context._tasklane_span = None

    @event.listens_for(engine, "handle_error")
    def _error(exception_context: Any) -> None:
        context = exception_context.execution_context
        span = getattr(context, "_tasklane_span", None)
        if span is not None:
            exc = exception_context.original_exception
            span.set_status(trace.StatusCode.ERROR, type(exc).__name__)
            span.set_attribute("error.type", type(exc).__name__)
            span.end()
            context._tasklane_span = None
