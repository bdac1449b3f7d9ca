"""The sender schema: outbound messages (the delivery queue itself), their status history, inbox
and outbox."""

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
    text,
)

from tasklane_common.control import consumer_pauses_table
from tasklane_common.db import service_metadata
from tasklane_common.messaging import dead_letters_table, inbox_table, outbox_table

SCHEMA = "sender"
metadata = service_metadata(SCHEMA)

outbound_messages = Table(
    "outbound_messages",
    metadata,
    Column("reply_id", String(64), primary_key=True),
    Column("correlation_id", String(200), nullable=False),
    Column("causation_id", String(200)),
    Column("user_id", String(200), nullable=False),
    Column("phone_number_id", String(64), nullable=False),
    # The recipient (``recipients``): a phone number's digits (the Graph API call adds the "+"),
    # or the business-scoped user id of a user who hides their number.
    Column("to", String(200), nullable=False),
    Column("kind", String(32), nullable=False),
    Column("content", JSON, nullable=False),
    # queued | sending | sent | delivered | read | failed
    Column("status", String(32), nullable=False),
    Column("wamid", String(256), unique=True),
    Column("attempts", Integer, nullable=False, default=0),
    # When a queued message is due; for a sending one, when its lease expires.
    Column("next_attempt_at", DateTime(timezone=True), nullable=False),
    Column("lease_until", DateTime(timezone=True)),
    Column("last_error", Text),
    Column("error_code", BigInteger),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("sent_at", DateTime(timezone=True)),
    # When the message this replies to reached the gateway (none for reminders and notices): the
    # start of the reply-latency SLO.
    Column("received_at", DateTime(timezone=True)),
    # W3C trace context of the conversation turn, so the Graph API call joins its trace.
    Column("trace_context", JSON),
    # What was asked for, when the window made it go as a template instead (kind/content).
    Column("original_kind", String(32)),
    Column("original_content", JSON),
    # The dispatcher's work queue: only pending rows are indexed. A full (status, ...) index fills
    # with dead entries of the updates every message goes through (queued, sending, sent, ...)
    # and makes each claim scan them.
    Index(
        None,
        "next_attempt_at",
        postgresql_where=text("status IN ('queued', 'sending')"),
        sqlite_where=text("status IN ('queued', 'sending')"),
    ),
    # The per-recipient ordering check of every claim.
    Index(None, "phone_number_id", "to", "created_at"),
)

message_statuses = Table(
    "message_statuses",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("wamid", String(256), nullable=False),
    Column("status", String(32), nullable=False),
    Column("status_at", DateTime(timezone=True), nullable=False),
    Column("errors", JSON),
    Column("pricing", JSON),
    # False while no outbound message carries this wamid (yet): kept for reconciliation.
    Column("known", Boolean, nullable=False),
    Column("received_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("wamid", "status"),
    Index(None, "known"),
)

# The business phone numbers configured in the gateway (NumberConfigured), newest version wins.
numbers = Table(
    "numbers",
    metadata,
    Column("phone_number_id", String(64), primary_key=True),
    Column("app_id", String(64), nullable=False),
    Column("waba_id", String(64)),
    Column("display_phone_number", String(32)),
    # Sealed with the shared secrets key, associated data = phone_number_id; never in clear.
    Column("access_token_sealed", Text),
    # active | disabled | deleted
    Column("state", String(16), nullable=False),
    Column("version", BigInteger, nullable=False),
    Column("throughput_per_s", Integer),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

# The 24-hour customer-service window per (business number, user): when the user last wrote.
windows = Table(
    "windows",
    metadata,
    Column("phone_number_id", String(64), primary_key=True),
    # The recipient as outbound messages name it (digits), or the business-scoped id.
    Column("wa_id", String(200), primary_key=True),
    Column("last_inbound_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Index(None, "last_inbound_at"),
)

# Per business number, shared by every replica (tasklane_sender.pacing): its throughput schedule
# and whether it is paused.
number_states = Table(
    "number_states",
    metadata,
    Column("phone_number_id", String(64), primary_key=True),
    # The earliest moment its next message may go (GCRA's theoretical arrival time); pushed into
    # the future by Meta's throttling answers.
    Column("next_slot_at", DateTime(timezone=True), nullable=False),
    # The Graph code and reason of the last push back (130429, 131048...), for operators.
    Column("hold_code", BigInteger),
    Column("hold_reason", Text),
    # Consecutive throughput refusals, escalating the push back; forgotten after a quiet minute.
    # Refusals of sends claimed before ``throttled_at`` changed belong to the burst it counted.
    Column("throttle_strikes", Integer, nullable=False),
    Column("throttled_at", DateTime(timezone=True)),
    # Set by a throughput refusal: from this moment one probe call may go (the claim then moves it
    # a lease ahead while the probe is out); its answer decides whether the number sends at its
    # full rate again (accepted) or is held once more (refused). None: no probe pending.
    Column("probe_until", DateTime(timezone=True)),
    # Set while paused (authentication or account errors): nothing is sent until resumed.
    Column("paused_at", DateTime(timezone=True)),
    Column("pause_code", BigInteger),
    Column("pause_reason", Text),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

# The pair rate per (business number, recipient): GCRA schedule and Meta's 131056 back-off.
recipient_pacing = Table(
    "recipient_pacing",
    metadata,
    Column("phone_number_id", String(64), primary_key=True),
    # The recipient exactly as outbound_messages.to names it (digits or business-scoped id).
    Column("to", String(200), primary_key=True),
    Column("next_slot_at", DateTime(timezone=True), nullable=False),
    # X of Meta's 4^X seconds after consecutive 131056 answers; forgotten after a quiet minute.
    Column("strikes", Integer, nullable=False),
    Column("struck_at", DateTime(timezone=True)),
    # Rows whose schedule lies in the past are pruned (they constrain nothing).
    Index(None, "next_slot_at"),
)

inbox = inbox_table(metadata)
# What this service's consumers could not handle, until replayed (tasklane_common.messaging.deadletters).
dead_letters = dead_letters_table(metadata)
# The queues an operator paused (tasklane_common.control).
consumer_pauses = consumer_pauses_table(metadata)
outbox = outbox_table(metadata)
