"""The raw event log. Its primary key is the event id, so an event is recorded once."""

from __future__ import annotations

from sqlalchemy import JSON, BigInteger, Column, DateTime, Index, String, Table
from sqlalchemy.dialects.postgresql import JSONB

from tasklane_analytics.tables import metadata

# JSONB on PostgreSQL (queryable, indexable); plain JSON text on SQLite (the embedded mode).
Payload = JSON().with_variant(JSONB(), "postgresql")

events = Table(
    "events",
    metadata,
    Column("event_id", String(64), primary_key=True),
    Column("type", String(100), nullable=False),
    Column("version", BigInteger, nullable=False),
    Column("occurred_at", DateTime(timezone=True), nullable=False),
    # Epoch milliseconds: portable arithmetic for latencies on PostgreSQL and SQLite alike.
    Column("occurred_ms", BigInteger, nullable=False),
    # When the fact happened, which is the hour a figure counts it in (``rollups.facts.moment``):
    # a status webhook reported late still counts in the hour Meta stamped on it.
    Column("at_ms", BigInteger, nullable=False),
    Column("correlation_id", String(200), nullable=False),
    Column("producer", String(50), nullable=False),
    # Scrubbed (``eventlog.privacy``): no message text, people as pseudonyms.
    Column("payload", Payload, nullable=False),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
    # The OpenTelemetry trace the event travelled in, for drill-downs into a trace viewer.
    Column("trace_id", String(32)),
    # Few indexes: every event of the system is a row here. Retention ages rows by occurred_at;
    # recomputes, drill-downs and counts read ranges of at_ms.
    Index(None, "occurred_at"),
    Index(None, "at_ms"),
)
