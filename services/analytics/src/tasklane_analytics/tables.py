"""The analytics schema: the raw event log (its primary key doubles as the inbox)."""

from __future__ import annotations

from sqlalchemy import JSON, BigInteger, Column, DateTime, Index, String, Table

from tasklane_common.db import service_metadata
from tasklane_common.messaging import dead_letters_table, inbox_table

SCHEMA = "analytics"
metadata = service_metadata(SCHEMA)

events = Table(
    "events",
    metadata,
    Column("event_id", String(64), primary_key=True),
    Column("type", String(100), nullable=False),
    Column("version", BigInteger, nullable=False),
    Column("occurred_at", DateTime(timezone=True), nullable=False),
    # Epoch milliseconds: portable arithmetic for latencies on PostgreSQL and SQLite alike.
    Column("occurred_ms", BigInteger, nullable=False),
    Column("correlation_id", String(200), nullable=False),
    Column("producer", String(50), nullable=False),
    Column("payload", JSON, nullable=False),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
    Index(None, "type", "occurred_ms"),
    Index(None, "correlation_id"),
)

inbox = inbox_table(metadata)
# What this service's consumers could not handle, until replayed (tasklane_common.messaging.deadletters).
dead_letters = dead_letters_table(metadata)
