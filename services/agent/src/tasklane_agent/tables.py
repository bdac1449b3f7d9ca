"""The agent schema: users' tasks, the recent conversation, and the inbox/outbox."""

from __future__ import annotations

from sqlalchemy import Boolean, CheckConstraint, Column, DateTime, Index, String, Table, Text

from tasklane_common.db import service_metadata
from tasklane_common.messaging import dead_letters_table, inbox_table, outbox_table

SCHEMA = "agent"
metadata = service_metadata(SCHEMA)

tasks = Table(
    "tasks",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("user_id", String(200), nullable=False),
    Column("title", Text, nullable=False),
    Column("status", String(10), nullable=False),
    Column("priority", String(10), nullable=False),
    # Always UTC. A date-only deadline is stored as 00:00 of that day in the user's timezone,
    # with due_has_time false, so it renders back as the same calendar day.
    Column("due_at", DateTime(timezone=True), nullable=True),
    Column("due_has_time", Boolean, nullable=False),
    Column("source_wamid", String(200), nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("completed_at", DateTime(timezone=True), nullable=True),
    CheckConstraint("status IN ('open', 'done')", name="status"),
    CheckConstraint("priority IN ('low', 'normal', 'high')", name="priority"),
    Index(None, "user_id", "status"),
)

# Recent memory of each conversation. Both turns of one exchange carry the user's wamid.
conversation_turns = Table(
    "conversation_turns",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("user_id", String(200), nullable=False),
    Column("wamid", String(200), nullable=False),
    Column("role", String(10), nullable=False),
    Column("text", Text, nullable=False),
    Column("intent", String(50), nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    CheckConstraint("role IN ('user', 'assistant')", name="role"),
    Index(None, "user_id", "created_at"),
)

inbox = inbox_table(metadata)
# What this service's consumers could not handle, until replayed (tasklane_common.messaging.deadletters).
dead_letters = dead_letters_table(metadata)
outbox = outbox_table(metadata)
