"""OpenTelemetry set-up and W3C trace-context propagation through message headers."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from opentelemetry import context as otel_context
from opentelemetry import propagate, trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.sdk.trace.sampling import ParentBased, TraceIdRatioBased

from tasklane_common.settings import TelemetrySettings

_provider: TracerProvider | None = None


def setup_tracing(
    settings: TelemetrySettings, *, service: str, extra_processor: SpanProcessor | None = None
) -> None:
    """Install one tracer provider per process.

    The embedded mode hosts four services in one process; the first call wins and the service
    name of each span is then carried by the tracer's instrumentation scope.
    """
    global _provider
    if not settings.enabled:
        return
    if _provider is None:
        _provider = TracerProvider(
            resource=Resource.create({"service.name": service}),
            sampler=ParentBased(TraceIdRatioBased(settings.sample_ratio)),
        )
        if settings.otlp_endpoint:
            from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

            _provider.add_span_processor(
                BatchSpanProcessor(OTLPSpanExporter(endpoint=settings.otlp_endpoint))
            )
        trace.set_tracer_provider(_provider)
    if extra_processor is not None:
        _provider.add_span_processor(extra_processor)


def flush_tracing() -> None:
    """Export the spans still buffered (called when a service stops; the provider is shared by
    every service of the process, so it is flushed, not shut down)."""
    if _provider is not None:
        _provider.force_flush()


def tracer(service: str) -> trace.Tracer:
    return trace.get_tracer(f"tasklane.{service}")


def inject_headers(headers: dict[str, Any] | None = None) -> dict[str, Any]:
    """Return ``headers`` plus ``traceparent``/``tracestate`` for the current span."""
    carrier: dict[str, Any] = dict(headers or {})
    propagate.inject(carrier)
    return carrier


def extract_context(headers: Mapping[str, Any] | None) -> otel_context.Context:
    carrier = {k: v.decode() if isinstance(v, bytes) else str(v) for k, v in (headers or {}).items()}
    return propagate.extract(carrier)


def current_trace_id() -> str | None:
    ctx = trace.get_current_span().get_span_context()
    return format(ctx.trace_id, "032x") if ctx.is_valid else None
