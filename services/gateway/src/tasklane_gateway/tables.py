"""The gateway schema: who is behind each WhatsApp sender, and which webhook items were already
accepted (Meta delivers at least once, to every subscribed app)."""

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
    UniqueConstraint,
)

from tasklane_common.db import service_metadata
from tasklane_common.messaging import dead_letters_table, inbox_table, outbox_table

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

# Meta apps: each signs its webhooks with its own app secret and answers its own verify token.
apps = Table(
    "apps",
    metadata,
    Column("app_id", String(64), primary_key=True),
    Column("name", String(200), nullable=False),
    # Sealed with tasklane_common.secrets (aad = app_id); never stored or shown in clear.
    Column("app_secret", Text, nullable=True),
    Column("verify_token", Text, nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

# Business phone numbers, each under one app (whose secret must sign its webhooks).
phone_numbers = Table(
    "phone_numbers",
    metadata,
    Column("phone_number_id", String(64), primary_key=True),
    Column("app_id", String(64), nullable=False),
    Column("waba_id", String(64), nullable=True),
    Column("display_phone_number", String(32), nullable=True),
    # Sealed (aad = phone_number_id).
    Column("access_token", Text, nullable=True),
    # active | disabled | deleted (a deleted row is kept so its version keeps growing if re-added)
    Column("state", String(16), nullable=False),
    # Bumped on every change: NumberConfigured consumers keep the highest they saw.
    Column("version", Integer, nullable=False),
    Column("throughput_per_s", Integer, nullable=True),
    Column("auto_register", Boolean, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Index(None, "app_id"),
)

# Who did what through the admin API (successes and refusals); details never hold secrets.
audit_log = Table(
    "audit_log",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("actor", String(200), nullable=False),
    Column("role", String(32), nullable=True),
    Column("action", String(100), nullable=False),
    Column("target_type", String(64), nullable=False),
    Column("target_id", String(256), nullable=True),
    Column("outcome", String(32), nullable=False),
    Column("details", JSON, nullable=True),
    Index(None, "at"),
    Index(None, "target_type", "target_id"),
)

inbox = inbox_table(metadata)
# What this service's consumers could not handle, until replayed (tasklane_common.messaging.deadletters).
dead_letters = dead_letters_table(metadata)
# Unused until the gateway publishes events that follow its own writes (user.unregistered).
outbox = outbox_table(metadata)
