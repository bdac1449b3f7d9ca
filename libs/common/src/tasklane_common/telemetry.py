"""OpenTelemetry set-up and W3C trace-context propagation through message headers.

The standard variables work: ``OTEL_EXPORTER_OTLP_ENDPOINT`` (or ``..._TRACES_ENDPOINT``) points
every service of a stack at one OTLP/HTTP collector, ``OTEL_EXPORTER_OTLP_HEADERS`` / ``_TIMEOUT``
/ ``_COMPRESSION`` tune the exporter, ``OTEL_SDK_DISABLED=true`` turns tracing off and
``OTEL_TRACES_SAMPLER`` / ``OTEL_TRACES_SAMPLER_ARG`` choose the sampler. A service's own
``telemetry.otlp_endpoint`` setting, where given, wins over the environment.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Mapping
from typing import Any

from opentelemetry import context as otel_context
from opentelemetry import propagate, trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.sdk.trace.sampling import ParentBased, Sampler, TraceIdRatioBased, _get_from_env_or_default

from tasklane_common.settings import TelemetrySettings

_provider: TracerProvider | None = None
_exports = False


def setup_tracing(
    settings: TelemetrySettings, *, service: str, extra_processor: SpanProcessor | None = None
) -> None:
    """Install one tracer provider per process.

    The embedded mode hosts four services in one process; the first call wins and the service
    name of each span is then carried by the tracer's instrumentation scope.
    """
    global _provider, _exports
    if not settings.enabled or _env_true("OTEL_SDK_DISABLED"):
        return
    if _provider is None:
        _provider = TracerProvider(
            resource=Resource.create({"service.name": service}), sampler=_sampler(settings)
        )
        endpoint = otlp_endpoint(settings)
        if endpoint is not None:
            from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

            # None lets the exporter read the OTEL_EXPORTER_OTLP_* variables itself (it adds
            # /v1/traces to the generic endpoint, not to the per-signal one).
            exporter = OTLPSpanExporter(endpoint=endpoint or None)
            _provider.add_span_processor(BatchSpanProcessor(exporter))
            _exports = True
        trace.set_tracer_provider(_provider)
    if extra_processor is not None:
        _provider.add_span_processor(extra_processor)
        _exports = True


def _env_true(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() == "true"


def _sampler(settings: TelemetrySettings) -> Sampler:
    if os.environ.get("OTEL_TRACES_SAMPLER"):
        return _get_from_env_or_default()
    return ParentBased(TraceIdRatioBased(settings.sample_ratio))


def otlp_endpoint(settings: TelemetrySettings) -> str | None:
    """The setting's endpoint; "" when the OTEL_EXPORTER_OTLP_* variables name one (the exporter
    reads them); None when spans go nowhere."""
    if settings.otlp_endpoint:
        return settings.otlp_endpoint
    if os.environ.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") or os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT"):
        return ""
    return None


def tracing_exports() -> bool:
    """Whether spans go anywhere (an exporter or a test's processor): the per-statement database
    spans are only worth their cost then; message spans are made anyway, for the trace ids that
    logs and analytics keep."""
    return _exports


def flush_tracing() -> None:
    """Export the spans still buffered (called when a service stops; the provider is shared by
    every service of the process, so it is flushed, not shut down)."""
    if _provider is not None:
        _provider.force_flush()


@functools.cache
def tracer(service: str) -> trace.Tracer:
    # Cached: ``get_tracer`` builds a new tracer each call, a quarter of a span's cost. A tracer
    # got before the provider is set is a proxy that uses the provider once there is one.
    return trace.get_tracer(f"tasklane.{service}")


def inject_headers(
    headers: Mapping[str, Any] | None = None, *, context: otel_context.Context | None = None
) -> dict[str, Any]:
    """Return ``headers`` plus ``traceparent``/``tracestate`` for the current span (or the span
    of ``context``)."""
    carrier: dict[str, Any] = dict(headers or {})
    propagate.inject(carrier, context=context)
    return carrier


def extract_context(headers: Mapping[str, Any] | None) -> otel_context.Context:
    carrier = {k: v.decode() if isinstance(v, bytes) else str(v) for k, v in (headers or {}).items()}
    return propagate.extract(carrier)


def current_trace_id() -> str | None:
    ctx = trace.get_current_span().get_span_context()
    return format(ctx.trace_id, "032x") if ctx.is_valid else None
