"""The agent schema: tasks and projects, who users are, the conversation, and the inbox/outbox."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    Index,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from tasklane_common.control import consumer_pauses_table
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
    # The title folded (names.name_key): what searches compare against, accents and case aside.
    Column("title_key", Text, nullable=False),
    Column("status", String(10), nullable=False),
    Column("priority", String(10), nullable=False),
    # Always UTC. A date-only deadline (due_has_time false) is stored as 00:00 UTC of its day: a
    # calendar day, the same for every viewer (see ``deadlines``).
    Column("due_at", DateTime(timezone=True), nullable=True),
    Column("due_has_time", Boolean, nullable=False),
    Column("source_wamid", String(200), nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("completed_at", DateTime(timezone=True), nullable=True),
    Column("org_id", String(200), nullable=True),
    Column("project_id", String(36), nullable=True),
    Column("assignee_id", String(200), nullable=True),
    Column("recurrence", String(200), nullable=True),
    # Deleted tasks are kept (hidden) so that "undo" can bring them back.
    Column("deleted_at", DateTime(timezone=True), nullable=True),
    CheckConstraint("status IN ('open', 'done')", name="status"),
    CheckConstraint("priority IN ('low', 'normal', 'high')", name="priority"),
    Index(None, "user_id", "status"),
    Index(None, "assignee_id"),
    Index(None, "project_id"),
)

projects = Table(
    "projects",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("org_id", String(200), nullable=False),
    Column("owner_id", String(200), nullable=False),
    Column("name", Text, nullable=False),
    # Lower case without accents: "website relaunch" finds "Website Relaunch" once per organisation.
    Column("name_key", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    # Unique per owner, not per number: a number-wide rule told anyone which names were taken.
    UniqueConstraint("owner_id", "name_key"),
)

project_members = Table(
    "project_members",
    metadata,
    Column("project_id", String(36), primary_key=True),
    Column("user_id", String(200), primary_key=True),
    Column("added_at", DateTime(timezone=True), nullable=False),
    Index(None, "user_id"),
)

profiles = Table(
    "profiles",
    metadata,
    Column("user_id", String(200), primary_key=True),
    Column("org_id", String(200), nullable=False),
    Column("address", String(200), nullable=False),
    Column("name", Text, nullable=True),
    Column("name_key", Text, nullable=True),
    Column("lang", String(5), nullable=False),
    Column("lang_source", String(10), nullable=False),
    Column("timezone", String(64), nullable=False),
    Column("timezone_source", String(10), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Index(None, "org_id", "name_key"),
    Index(None, "org_id", "address"),
)

# Who may work together (see ``teams``): a team is made by an admin (``kind`` admin, named) or is
# a member's personal team that others joined by accepting an invitation (``kind`` invite).
teams = Table(
    "teams",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("org_id", String(200), nullable=False),
    Column("kind", String(10), nullable=False),
    Column("name", Text, nullable=True),
    Column("name_key", Text, nullable=True),
    Column("owner_id", String(200), nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    CheckConstraint("kind IN ('admin', 'invite')", name="kind"),
    UniqueConstraint("org_id", "name_key"),
)

team_members = Table(
    "team_members",
    metadata,
    Column("team_id", String(36), primary_key=True),
    Column("user_id", String(200), primary_key=True),
    Column("joined_at", DateTime(timezone=True), nullable=False),
    Index(None, "user_id"),
)

# Every invitation and its answer. ``address`` is the invitee's number as the inviter typed it
# (digits): the invitee may not have written yet, and is asked when they do.
team_invites = Table(
    "team_invites",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("team_id", String(36), nullable=False),
    Column("org_id", String(200), nullable=False),
    Column("inviter_id", String(200), nullable=False),
    Column("address", String(200), nullable=False),
    Column("invitee_id", String(200), nullable=True),
    Column("status", String(10), nullable=False),
    Column("asked_at", DateTime(timezone=True), nullable=True),
    Column("answered_at", DateTime(timezone=True), nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    CheckConstraint("status IN ('pending', 'accepted', 'declined')", name="status"),
    Index(None, "org_id", "address", "status"),
    Index(None, "inviter_id", "status"),
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

# What the next message may refer to (see domain.ConversationState); one row per user.
conversation_state = Table(
    "conversation_state",
    metadata,
    Column("user_id", String(200), primary_key=True),
    Column("last_list", JSON, nullable=False),
    Column("focus", JSON, nullable=False),
    Column("pending", JSON, nullable=True),
    Column("last_action", JSON, nullable=True),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

inbox = inbox_table(metadata)
# What this service's consumers could not handle, until replayed (tasklane_common.messaging.deadletters).
dead_letters = dead_letters_table(metadata)
# The queues an operator paused (tasklane_common.control).
consumer_pauses = consumer_pauses_table(metadata)
outbox = outbox_table(metadata)

# Reminders of task deadlines (see ``reminders``): ids derive from (task, kind, fire_at), so
# planning the same deadline again finds the row it made, and a sent one is never made again.
reminders = Table(
    "reminders",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("task_id", String(36), nullable=False),
    Column("user_id", String(200), nullable=False),  # who is reminded: the assignee, else the owner
    Column("kind", String(10), nullable=False),
    Column("fire_at", DateTime(timezone=True), nullable=False),  # UTC
    Column("due_at", DateTime(timezone=True), nullable=False),  # the deadline it reminds of
    Column("status", String(10), nullable=False),
    Column("sent_at", DateTime(timezone=True), nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    CheckConstraint("kind IN ('due', 'lead')", name="kind"),
    CheckConstraint("status IN ('pending', 'sent', 'cancelled')", name="status"),
    Index(None, "status", "fire_at"),
    Index(None, "task_id"),
)

# Which task each reply to a user was about (see ``reactions``), written with the reply; the
# wamid is filled in when the sender reports it sent (``message.sent``). Pruned after 30 days.
reply_tasks = Table(
    "reply_tasks",
    metadata,
    Column("reply_id", String(36), primary_key=True),
    Column("user_id", String(200), nullable=False),  # the recipient
    Column("task_id", String(36), nullable=False),
    Column("wamid", String(200), nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Index(None, "wamid"),
    Index(None, "created_at"),
)
