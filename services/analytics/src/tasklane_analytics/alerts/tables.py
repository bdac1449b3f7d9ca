"""The alerts' small state, shared by every analytics replica: one row per alert instance (a rule
and its labels), from its condition first seen to its resolution, and what was last notified."""

from __future__ import annotations

from sqlalchemy import JSON, Column, DateTime, Float, Index, String, Table, Text

from tasklane_analytics.tables import metadata

alert_state = Table(
    "alert_state",
    metadata,
    # A hash of the name and the labels: an instance's identity across evaluations.
    Column("fingerprint", String(64), primary_key=True),
    Column("name", String(100), nullable=False),
    Column("severity", String(16), nullable=False),
    Column("labels", JSON, nullable=False),
    Column("value", Float, nullable=True),
    Column("detail", Text, nullable=True),
    # The condition was first seen (this episode); it fires once it has held for the rule's hold.
    Column("first_seen", DateTime(timezone=True), nullable=False),
    Column("firing_since", DateTime(timezone=True), nullable=True),
    Column("last_seen", DateTime(timezone=True), nullable=False),
    Column("resolved_at", DateTime(timezone=True), nullable=True),
    # Kept across episodes: a flapping alert is not notified more than once per repeat interval.
    Column("notified_at", DateTime(timezone=True), nullable=True),
    Column("notified_state", String(16), nullable=True),
    Index(None, "resolved_at"),
)
