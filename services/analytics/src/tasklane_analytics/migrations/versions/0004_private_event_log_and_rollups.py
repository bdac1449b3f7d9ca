"""A private event log (no message text, people as keyed pseudonyms, JSONB) and hourly rollups.

Existing events are scrubbed in place with the service's pseudonym key (the rows written before
kept the payload as the producers sent it: texts, phone numbers), stamped with the moment their
fact happened, and the payload becomes JSONB on PostgreSQL. No rollups are derived here: an
operator rebuilds the hours still in the log with the recompute endpoint (docs/analytics.md).

Revision ID: 0004
Revises: 0003
"""

from collections.abc import Sequence
from datetime import UTC
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

from tasklane_analytics.eventlog.moments import moment
from tasklane_analytics.eventlog.privacy import Pseudonymizer, safe, scrub
from tasklane_common.db.migration_ops import real_schema
from tasklane_common.messaging import Envelope

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The logical schema; the connection's translate map names the real one (none on SQLite).
S = "analytics"
PAGE = 1000


def _scrub_existing() -> None:
    events = sa.table(
        "events",
        sa.column("event_id", sa.String),
        sa.column("type", sa.String),
        sa.column("occurred_at", sa.DateTime(timezone=True)),
        sa.column("correlation_id", sa.String),
        sa.column("producer", sa.String),
        sa.column("payload", sa.JSON),
        sa.column("at_ms", sa.BigInteger),
        schema=real_schema(),
    )
    bind = op.get_bind()
    if bind.execute(sa.select(sa.func.count()).select_from(events)).scalar_one() == 0:
        return
    config = op.get_context().config
    settings: Any = config.attributes.get("settings") if config is not None else None
    if settings is None or not hasattr(settings, "pseudonym_key_bytes"):
        raise RuntimeError("scrubbing the event log needs the analytics settings (its pseudonym key)")
    pseudonym = Pseudonymizer(settings.pseudonym_key_bytes())
    after = ""
    while True:
        rows = bind.execute(
            sa.select(events).where(events.c.event_id > after).order_by(events.c.event_id).limit(PAGE)
        ).all()
        if not rows:
            return
        updates = []
        for r in rows:
            at = r.occurred_at if r.occurred_at.tzinfo else r.occurred_at.replace(tzinfo=UTC)
            payload = scrub(r.type, r.payload if isinstance(r.payload, dict) else {}, pseudonym)
            envelope = Envelope(
                id=r.event_id, type=r.type, occurred_at=at, correlation_id="-", producer="-", payload=payload
            )
            updates.append(
                {
                    "k": r.event_id,
                    "payload": payload,
                    "at_ms": moment(envelope),
                    "correlation_id": safe(r.correlation_id)[:200],
                }
            )
        bind.execute(
            events.update()
            .where(events.c.event_id == sa.bindparam("k"))
            .values(
                payload=sa.bindparam("payload"),
                at_ms=sa.bindparam("at_ms"),
                correlation_id=sa.bindparam("correlation_id"),
            ),
            updates,
        )
        after = rows[-1].event_id


def upgrade() -> None:
    with op.batch_alter_table("events", schema=real_schema()) as batch:
        batch.add_column(sa.Column("at_ms", sa.BigInteger, nullable=True))
        batch.add_column(sa.Column("trace_id", sa.String(32), nullable=True))
    _scrub_existing()
    with op.batch_alter_table("events", schema=real_schema()) as batch:
        batch.alter_column("at_ms", existing_type=sa.BigInteger, nullable=False)
    if op.get_bind().dialect.name == "postgresql":
        op.alter_column(
            "events",
            "payload",
            type_=JSONB,
            postgresql_using="payload::jsonb",
            existing_nullable=False,
            schema=real_schema(),
        )
    # Nothing reads by correlation id or by type and envelope time any more; each index costs
    # every insert of every event.
    op.drop_index("ix_events_type_occurred_ms", "events", schema=S)
    op.drop_index("ix_events_correlation_id", "events", schema=S)
    op.create_index("ix_events_occurred_at", "events", ["occurred_at"], schema=S)
    op.create_index("ix_events_at_ms", "events", ["at_ms"], schema=S)

    op.create_table(
        "rollups",
        sa.Column("metric", sa.String(40), nullable=False),
        sa.Column("phone_number_id", sa.String(64), nullable=False),
        sa.Column("hour", sa.DateTime(timezone=True), nullable=False),
        sa.Column("dim", sa.String(64), nullable=False),
        sa.Column("value", sa.BigInteger, nullable=False),
        sa.PrimaryKeyConstraint("metric", "phone_number_id", "hour", "dim", name="pk_rollups"),
        schema=S,
    )
    op.create_table(
        "hourly_users",
        sa.Column("phone_number_id", sa.String(64), nullable=False),
        sa.Column("hour", sa.DateTime(timezone=True), nullable=False),
        sa.Column("user", sa.String(40), nullable=False),
        sa.PrimaryKeyConstraint("phone_number_id", "hour", "user", name="pk_hourly_users"),
        schema=S,
    )
    op.create_table(
        "turns",
        sa.Column("correlation_id", sa.String(200), nullable=False),
        sa.Column("phone_number_id", sa.String(64), nullable=False),
        sa.Column("received_ms", sa.BigInteger),
        sa.Column("first_sent_ms", sa.BigInteger),
        sa.Column("counted_ms", sa.BigInteger),
        sa.Column("prev_counted_ms", sa.BigInteger),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("correlation_id", name="pk_turns"),
        schema=S,
    )
    op.create_index("ix_turns_received_ms", "turns", ["received_ms"], schema=S)
    op.create_index("ix_turns_updated_at", "turns", ["updated_at"], schema=S)
    op.create_table(
        "priced",
        sa.Column("wamid", sa.String(200), nullable=False),
        sa.Column("phone_number_id", sa.String(64), nullable=False),
        sa.Column("category", sa.String(64), nullable=False),
        sa.Column("at_ms", sa.BigInteger, nullable=False),
        sa.Column("hour", sa.DateTime(timezone=True), nullable=False),
        sa.Column("prev_hour", sa.DateTime(timezone=True)),
        sa.PrimaryKeyConstraint("wamid", name="pk_priced"),
        schema=S,
    )
    op.create_index("ix_priced_hour", "priced", ["hour"], schema=S)
    op.create_table(
        "deadlines",
        sa.Column("task_id", sa.String(100), nullable=False),
        sa.Column("due_ms", sa.BigInteger),
        sa.Column("closed_ms", sa.BigInteger),
        sa.Column("overdue_counted", sa.Boolean, nullable=False),
        sa.PrimaryKeyConstraint("task_id", name="pk_deadlines"),
        schema=S,
    )
    op.create_index("ix_deadlines_due_ms", "deadlines", ["due_ms"], schema=S)


def downgrade() -> None:
    for table in ("deadlines", "priced", "turns", "hourly_users", "rollups"):
        op.drop_table(table, schema=S)
    op.drop_index("ix_events_at_ms", "events", schema=S)
    op.drop_index("ix_events_occurred_at", "events", schema=S)
    op.create_index("ix_events_correlation_id", "events", ["correlation_id"], schema=S)
    op.create_index("ix_events_type_occurred_ms", "events", ["type", "occurred_ms"], schema=S)
    if op.get_bind().dialect.name == "postgresql":
        op.alter_column(
            "events", "payload", type_=sa.JSON, postgresql_using="payload::json", schema=real_schema()
        )
    with op.batch_alter_table("events", schema=real_schema()) as batch:
        batch.drop_column("trace_id")
        batch.drop_column("at_ms")
    # The scrubbed texts and numbers are gone for good: nothing to restore.
