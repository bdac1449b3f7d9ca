"""Producer and consumer spans after the OpenTelemetry messaging conventions (RabbitMQ).

Span names are ``{operation} {destination}``: ``publish tasklane.events`` (PRODUCER, one per
message, the exchange is the destination) and ``process <queue>`` (CONSUMER, one per delivery, or
one per batch with a link to each message's producer). The producer span's context replaces the
``traceparent`` a message carries, so the consumer continues from the publish, which itself
continues from the transaction that wrote the event (the outbox keeps that context with the row).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from opentelemetry import trace

from tasklane_common.telemetry import extract_context, inject_headers, tracer

if TYPE_CHECKING:
    from tasklane_common.messaging.broker import Delivery, OutgoingMessage

SYSTEM = "rabbitmq"
# The events exchange (``topology.EXCHANGE``, without a stack's namespace prefix: one name in
# every stack's traces). Not imported: the messaging package imports this module.
EXCHANGE = "tasklane.events"
# The W3C fields a message carries; replaced by the publish span's own.
_TRACE_FIELDS = ("traceparent", "tracestate")


@contextmanager
def publishing(service: str, messages: Sequence[OutgoingMessage]) -> Iterator[list[OutgoingMessage]]:
    """One PRODUCER span per message around a confirmed publish; yields the messages to publish,
    their headers carrying their span's context. A message that already carries a trace context
    (an outbox row) publishes under it; otherwise under the current span (the gateway's webhook).
    A publish that fails marks every span as an error."""
    t = tracer(service)
    spans: list[trace.Span] = []
    out: list[OutgoingMessage] = []
    for m in messages:
        parent = extract_context(m.headers) if "traceparent" in m.headers else None
        span = t.start_span(
            f"publish {EXCHANGE}",
            context=parent,
            kind=trace.SpanKind.PRODUCER,
            attributes={
                "messaging.system": SYSTEM,
                "messaging.operation.type": "send",
                "messaging.operation.name": "publish",
                "messaging.destination.name": EXCHANGE,
                "messaging.rabbitmq.destination.routing_key": m.routing_key,
                "messaging.message.id": m.message_id,
                "messaging.message.conversation_id": m.correlation_id or "",
                "messaging.message.body.size": len(m.body),
            },
        )
        spans.append(span)
        if span.get_span_context().is_valid:
            kept = {k: v for k, v in m.headers.items() if k not in _TRACE_FIELDS}
            carrier = inject_headers(kept, context=trace.set_span_in_context(span))
            out.append(replace(m, headers=carrier))
        else:
            out.append(m)
    try:
        yield out
    except BaseException as exc:
        for span in spans:
            span.set_status(trace.StatusCode.ERROR, f"{type(exc).__name__}: {exc}")
            span.set_attribute("error.type", type(exc).__name__)
        raise
    finally:
        for span in spans:
            span.end()


def process_attributes(
    queue: str, delivery: Delivery, *, message_id: str, conversation_id: str | None
) -> dict[str, Any]:
    return {
        "messaging.system": SYSTEM,
        "messaging.operation.type": "process",
        "messaging.operation.name": "process",
        "messaging.destination.name": EXCHANGE,
        "messaging.destination.subscription.name": queue,
        "messaging.rabbitmq.destination.routing_key": delivery.routing_key,
        "messaging.message.id": message_id,
        "messaging.message.conversation_id": conversation_id or "",
        "messaging.rabbitmq.delivery_count": delivery.delivery_count,
    }


def process_span_name(queue: str) -> str:
    return f"process {queue}"


def batch_links(headers: Sequence[Mapping[str, Any]]) -> list[trace.Link]:
    """A link to the producer span of each message of a batch (those that carry one)."""
    links = []
    for h in headers:
        ctx = trace.get_current_span(extract_context(h)).get_span_context()
        if ctx.is_valid:
            links.append(trace.Link(ctx))
    return links


def batch_attributes(queue: str, count: int) -> dict[str, Any]:
    return {
        "messaging.system": SYSTEM,
        "messaging.operation.type": "process",
        "messaging.operation.name": "process",
        "messaging.destination.name": EXCHANGE,
        "messaging.destination.subscription.name": queue,
        "messaging.batch.message_count": count,
    }


def link_current_span(trace_headers: Mapping[str, Any] | None) -> None:
    """Link the current span to the span whose context ``trace_headers`` hold (a status webhook's
    processing → the send of the message it is about, i.e. the conversation turn's trace)."""
    if not trace_headers:
        return
    target = trace.get_current_span(extract_context(trace_headers)).get_span_context()
    current = trace.get_current_span()
    if target.is_valid and current.is_recording():
        current.add_link(target, {"tasklane.link": "sent message"})
