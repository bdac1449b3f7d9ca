"""Analytics' operations read models, in the analytics schema: the audit trail of every service
and the dead letters of every service (without their bodies: those stay with the owner)."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Index,
    Integer,
    String,
    Table,
    Text,
)

from tasklane_analytics.tables import metadata
from tasklane_common.control import consumer_pauses_table

# Analytics' own queues an operator paused (tasklane_common.control).
consumer_pauses = consumer_pauses_table(metadata)

# Append-only: rows are inserted (once per event, keyed by its id) and never updated.
audit_trail = Table(
    "audit_trail",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("event_id", String(64), nullable=False, unique=True),
    Column("service", String(50), nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("actor", String(200), nullable=True),
    Column("role", String(32), nullable=True),
    Column("action", String(100), nullable=False),
    Column("target_type", String(64), nullable=True),
    Column("target_id", String(256), nullable=True),
    Column("outcome", String(32), nullable=False),
    Column("source", String(200), nullable=True),
    Column("details", JSON, nullable=True),
    Index(None, "at"),
    Index(None, "service", "at"),
)

# One row per record of an owning service, as its latest ``dead_letter.changed`` says.
dead_letter_view = Table(
    "dead_letter_view",
    metadata,
    Column("service", String(50), primary_key=True),
    Column("letter_id", BigInteger, primary_key=True, autoincrement=False),
    Column("queue", String(200), nullable=False),
    Column("event_id", String(200), nullable=False),
    Column("event_type", String(200), nullable=True),
    Column("reason", Text, nullable=False),
    Column("headers", JSON, nullable=False),
    Column("trace_id", String(32), nullable=True),
    Column("dead_at", DateTime(timezone=True), nullable=False),
    Column("replayed_at", DateTime(timezone=True), nullable=True),
    Column("replay_count", Integer, nullable=False),
    Column("deleted", Boolean, nullable=False),
    # When the owner announced this state: an older announcement arriving late changes nothing.
    Column("changed_at", DateTime(timezone=True), nullable=False),
    Index(None, "dead_at"),
)
