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

from tasklane_common.control import consumer_pauses_table
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
    # The WhatsApp id (phone number); None for a user Meta identifies only by a business-scoped id.
    Column("wa_id", String(256), nullable=True),
    Column("profile_name", String(256), nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    # Meta's business-scoped user id ("US.1349...") and the user's @username, when Meta sends them.
    Column("bsuid", String(256), nullable=True),
    Column("username", String(256), nullable=True),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    # auto (registered by its first message) | admin (made or changed through the mappings API)
    Column("source", String(16), nullable=False),
    # NULLs are distinct in both: many users may lack a wa_id or a bsuid, none may share one.
    UniqueConstraint("phone_number_id", "wa_id"),
    UniqueConstraint("phone_number_id", "bsuid"),
    Index(None, "phone_number_id", "username"),
)

# One row (id 1): bumped by every change of a mapping, read by every webhook, so each replica's
# in-process lookup cache notices the change at its next webhook.
mapping_version = Table(
    "mapping_version",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("version", BigInteger, nullable=False),
)

# Senders without a mapping on a number that does not register them automatically.
unregistered_contacts = Table(
    "unregistered_contacts",
    metadata,
    Column("phone_number_id", String(256), primary_key=True),
    # The wa_id, or the business-scoped id when Meta omitted the phone number.
    Column("sender", String(256), primary_key=True),
    Column("wa_id", String(256), nullable=True),
    Column("bsuid", String(256), nullable=True),
    Column("profile_name", String(256), nullable=True),
    Column("first_seen_at", DateTime(timezone=True), nullable=False),
    Column("last_seen_at", DateTime(timezone=True), nullable=False),
    # The registration reply goes out at most once per 24 hours per sender and number.
    Column("last_prompted_at", DateTime(timezone=True), nullable=True),
    Column("message_count", Integer, nullable=False),
    Index(None, "last_seen_at"),
)

# Per-user inbound message counts per fixed one-minute window, shared by every replica.
inbound_rate = Table(
    "inbound_rate",
    metadata,
    Column("user_id", String(36), primary_key=True),
    Column("window_start", DateTime(timezone=True), primary_key=True),
    Column("count", Integer, nullable=False),
    Index(None, "window_start"),
)

# Messages over the per-user rate limit: acknowledged to Meta, kept here, not processed.
throttled_messages = Table(
    "throttled_messages",
    metadata,
    Column("wamid", String(256), primary_key=True),
    Column("phone_number_id", String(256), nullable=False),
    Column("user_id", String(36), nullable=False),
    Column("message_type", String(64), nullable=False),
    Column("received_at", DateTime(timezone=True), nullable=False),
    # The message.received payload it would have had.
    Column("event", JSON, nullable=False),
    Index(None, "received_at"),
    Index(None, "user_id"),
)

# Messages older than Meta's retry horizon when first seen: kept for an operator, never acted on.
expired_messages = Table(
    "expired_messages",
    metadata,
    Column("wamid", String(256), primary_key=True),
    Column("phone_number_id", String(256), nullable=False),
    Column("message_type", String(64), nullable=False),
    Column("sent_at", DateTime(timezone=True), nullable=False),
    Column("received_at", DateTime(timezone=True), nullable=False),
    # The message as parsed (cleaned), sender included: enough to act on it by hand.
    Column("message", JSON, nullable=False),
    Index(None, "received_at"),
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
# The queues an operator paused (tasklane_common.control).
consumer_pauses = consumer_pauses_table(metadata)
# Unused until the gateway publishes events that follow its own writes (user.unregistered).
outbox = outbox_table(metadata)
