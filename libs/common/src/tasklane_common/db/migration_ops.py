"""Alembic operations for the tables every service takes from ``tasklane_common``: its inbox, its
outbox and its dead letters; and ``real_schema`` for the operations that need the schema's name.

Versioned by name: a migration calls the version it was written against, so a later change to
these tables arrives as a new function and a new migration in each service, never as an edit that
would rewrite a history already applied somewhere.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


def real_schema() -> str | None:
    """The schema the migration runs in (None on SQLite). ALTER TABLE, SQLite's batch rebuild and
    raw data updates escape the connection's translate map, so they must name it."""
    config = op.get_context().config
    assert config is not None
    schema: str | None = config.attributes["schema"]
    return schema


def create_inbox_v1(schema: str) -> None:
    op.create_table(
        "inbox",
        sa.Column("consumer", sa.String(100), nullable=False),
        sa.Column("event_id", sa.String(200), nullable=False),
        sa.Column("processed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("consumer", "event_id", name="pk_inbox"),
        schema=schema,
    )
    op.create_index("ix_inbox_processed_at", "inbox", ["processed_at"], schema=schema)


def create_outbox_v1(schema: str) -> None:
    op.create_table(
        "outbox",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("event_id", sa.String(64), nullable=False),
        sa.Column("routing_key", sa.String(200), nullable=False),
        sa.Column("body", sa.LargeBinary(), nullable=False),
        sa.Column("headers", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_outbox"),
        sa.UniqueConstraint("event_id", name="uq_outbox_event_id"),
        schema=schema,
    )


def drop_inbox_v1(schema: str) -> None:
    op.drop_table("inbox", schema=schema)


def drop_outbox_v1(schema: str) -> None:
    op.drop_table("outbox", schema=schema)


def create_dead_letters_v1(schema: str) -> None:
    op.create_table(
        "dead_letters",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("queue", sa.String(200), nullable=False),
        sa.Column("event_id", sa.String(200), nullable=False),
        sa.Column("origin", sa.String(64), nullable=False),
        sa.Column("event_type", sa.String(200), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("body", sa.LargeBinary(), nullable=False),
        sa.Column("headers", sa.JSON(), nullable=False),
        sa.Column("dead_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("replayed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("replay_count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_dead_letters"),
        sa.UniqueConstraint("queue", "event_id", "origin", name="uq_dead_letters_queue_event_id_origin"),
        schema=schema,
    )
    op.create_index("ix_dead_letters_dead_at", "dead_letters", ["dead_at"], schema=schema)


def drop_dead_letters_v1(schema: str) -> None:
    op.drop_index("ix_dead_letters_dead_at", table_name="dead_letters", schema=schema)
    op.drop_table("dead_letters", schema=schema)


def collapse_dead_letters_v1() -> None:
    """One record per (queue, event_id): the rows that replays of a message used to multiply into
    become its oldest row, with their replays summed and the newest death's reason, time, headers
    and replay state (so a record whose last copy was unreplayed is replayable again)."""
    schema = real_schema()
    t = f'"{schema}".dead_letters' if schema else "dead_letters"
    same = f"d.queue = {t}.queue AND d.event_id = {t}.event_id"

    def newest(column: str) -> str:
        return f"(SELECT d.{column} FROM {t} d WHERE {same} ORDER BY d.id DESC LIMIT 1)"

    op.execute(
        f"UPDATE {t} SET origin = '', "
        f"replay_count = (SELECT SUM(d.replay_count) FROM {t} d WHERE {same}), "
        f"reason = {newest('reason')}, dead_at = {newest('dead_at')}, headers = {newest('headers')}, "
        f"replayed_at = {newest('replayed_at')} "
        f"WHERE id = (SELECT MIN(d.id) FROM {t} d WHERE {same}) "
        f"AND (SELECT COUNT(*) FROM {t} d WHERE {same}) > 1"
    )
    op.execute(f"DELETE FROM {t} WHERE id > (SELECT MIN(d.id) FROM {t} d WHERE {same})")


def create_consumer_pauses_v1(schema: str) -> None:
    """The paused queues of a service (tasklane_common.control.pauses)."""
    op.create_table(
        "consumer_pauses",
        sa.Column("queue", sa.String(200), nullable=False),
        sa.Column("paused", sa.Boolean(), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("command_id", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("queue", name="pk_consumer_pauses"),
        schema=schema,
    )


def drop_consumer_pauses_v1(schema: str) -> None:
    op.drop_table("consumer_pauses", schema=schema)
