"""The gateway schema: who is behind each WhatsApp sender, and which webhook items were already
accepted (Meta delivers at least once, to every subscribed app)."""

from __future__ import annotations

from sqlalchemy import Column, DateTime, Index, String, Table, UniqueConstraint

from tasklane_common.db import service_metadata
from tasklane_common.messaging import inbox_table, outbox_table

SCHEMA = "gateway"
metadata = service_metadata(SCHEMA)

users = Table(
    "users",
    metadata,
    Column("user_id", String(36), primary_key=True),
    # The business number the user wrote to: the same person on two of our numbers is two users.
    Column("phone_number_id", String(256), nullable=False),
    # The WhatsApp id; for users Meta identifies only by a business-scoped id, that id.
    Column("wa_id", String(256), nullable=False),
    Column("profile_name", String(256), nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("phone_number_id", "wa_id"),
)

processed_webhook_items = Table(
    "processed_webhook_items",
    metadata,
    # "m:<wamid>" for a message, "s:<wamid>:<status>" for a status.
    Column("key", String(600), primary_key=True),
    Column("received_at", DateTime(timezone=True), nullable=False),
    # Meta stops retrying after 7 days: rows older than that can be pruned by received_at.
    Index(None, "received_at"),
)

inbox = inbox_table(metadata)
# Unused until the gateway publishes events that follow its own writes (user.unregistered).
outbox = outbox_table(metadata)
