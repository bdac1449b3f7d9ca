"""Dead letters: what a service could not handle, kept in its database until an operator replays it.

Every service consumes the dead-letter queues (``<queue>.dlq``) of the queues it consumes and
stores each message as a row of its ``dead_letters`` table, then acks it. A message has one
record, keyed ``(queue, event_id, origin)`` with ``origin`` empty (older rows may carry the replay
that produced them): the same death arriving twice (a lost ack, an event published twice) is
stored once, and the death of a replay goes back to the record it was replayed from, which
becomes replayable again with its reason, time and death count updated. A replayed record whose
replay has not died again is not replayed again (``AlreadyReplayed``): that is how one poison
message used to become thousands of rows.

A replay publishes the original body and headers straight into the original queue (the default
exchange, routing key = queue name): the other queues bound to the same routing key received
the event when it was first published and do not get it twice. The consumer's inbox still
guards the queue itself, so replaying an event that was processed after all changes nothing.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import orjson
from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    DateTime,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    delete,
    func,
    select,
    update,
)
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncSession

from tasklane_common.db.dialect import upsert_insert
from tasklane_common.db.engine import Database
from tasklane_common.errors import PublishError
from tasklane_common.logging import get_logger
from tasklane_common.messaging.broker import Broker, Delivery, DeliveryCallback, OutgoingMessage
from tasklane_common.messaging.failures import (
    REPLAY_COUNT,
    REPLAYED_FROM,
    InFlight,
    holding_while_database_down,
    requeue_delay,
    settle,
)
from tasklane_common.messaging.topology import QueueSpec, dead_letter_queue

log = get_logger(__name__)

# Headers describing a death (RabbitMQ's and ours): a replayed message starts a fresh life.
DEATH_HEADERS = frozenset(
    {
        "x-death",
        "x-delivery-count",
        "x-tasklane-reason",
        "x-tasklane-queue",
        "x-tasklane-dead-at",
    }
)
DEATH_HEADER_PREFIXES = ("x-first-death-", "x-last-death-")
MAX_REASON = 1000


def dead_letters_table(metadata: MetaData) -> Table:
    return Table(
        "dead_letters",
        metadata,
        Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
        # The logical name of the queue the message died in (and is replayed to).
        Column("queue", String(200), nullable=False),
        Column("event_id", String(200), nullable=False),
        Column("origin", String(64), nullable=False),
        Column("event_type", String(200), nullable=True),
        Column("reason", Text, nullable=False),
        Column("body", LargeBinary, nullable=False),
        Column("headers", JSON, nullable=False),
        Column("dead_at", DateTime(timezone=True), nullable=False),
        Column("replayed_at", DateTime(timezone=True), nullable=True),
        Column("replay_count", Integer, nullable=False),
        UniqueConstraint("queue", "event_id", "origin"),
        # Listing newest first by id; pruned by dead_at (tasklane_common.db.retention).
        Index(None, "dead_at"),
    )


def dead_letter_spec(queue: QueueSpec) -> QueueSpec:
    """The dead-letter queue of ``queue``, as something a broker can consume."""
    return QueueSpec(dead_letter_queue(queue.name), ())


def json_safe(value: Any) -> Any:
    """AMQP header values (timestamps, bytes, decimals in ``x-death``) as JSON values."""
    if isinstance(value, Mapping):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(v) for v in value]
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, bytes | bytearray):
        return bytes(value).decode(errors="replace")
    if isinstance(value, Decimal):
        return float(value)
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


def reason_of(headers: Mapping[str, Any]) -> str:
    """Why a message died: our own reason when we dead-lettered it, else RabbitMQ's ``x-death``."""
    ours = headers.get("x-tasklane-reason")
    if ours:
        return str(json_safe(ours))[:MAX_REASON]
    deaths = headers.get("x-death")
    death = deaths[0] if isinstance(deaths, list | tuple) and deaths else None
    if isinstance(death, Mapping):
        reason = str(json_safe(death.get("reason") or "unknown"))
        deliveries = headers.get("x-delivery-count")
        if reason == "delivery_limit" and isinstance(deliveries, int):
            return f"delivery_limit: returned to {death.get('queue')} after {deliveries} redeliveries"
        return f"{reason} in {json_safe(death.get('queue'))} (x-death count {json_safe(death.get('count'))})"
    first = headers.get("x-first-death-reason")
    if first:
        return str(json_safe(first))
    return "unknown: the message carries no x-tasklane-reason nor x-death header"


def _dead_at(headers: Mapping[str, Any]) -> datetime:
    ours = headers.get("x-tasklane-dead-at")
    if isinstance(ours, str):
        try:
            parsed = datetime.fromisoformat(ours)
            return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
        except ValueError:
            pass
    deaths = headers.get("x-death")
    if isinstance(deaths, list | tuple) and deaths and isinstance(deaths[0], Mapping):
        at = deaths[0].get("time")
        if isinstance(at, datetime):
            return at if at.tzinfo else at.replace(tzinfo=UTC)
    return datetime.now(UTC)


def _replay_of(headers: Mapping[str, Any]) -> tuple[int, int] | None:
    """(record id, replay count) when the message is a replay of a dead letter."""
    try:
        return int(str(json_safe(headers[REPLAYED_FROM]))), int(str(json_safe(headers.get(REPLAY_COUNT, 0))))
    except (KeyError, ValueError):
        return None


def letter_row(queue: QueueSpec, delivery: Delivery) -> dict[str, Any]:
    """The ``dead_letters`` row of a delivery from ``queue``'s dead-letter queue."""
    event_id: str | None = None
    event_type: str | None = None
    try:
        parsed = orjson.loads(delivery.body)
    except orjson.JSONDecodeError:
        parsed = None
    if isinstance(parsed, dict):
        if isinstance(parsed.get("id"), str) and parsed["id"]:
            event_id = parsed["id"][:200]
        if isinstance(parsed.get("type"), str):
            event_type = parsed["type"][:200]
    if event_id is None:
        # Not an envelope: the message id, or for anonymous garbage, what the bytes are.
        event_id = delivery.message_id or "sha256:" + hashlib.sha256(delivery.body).hexdigest()
    headers = dict(delivery.headers)
    return {
        "queue": queue.name,
        "event_id": event_id[:200],
        "origin": "",
        "event_type": event_type,
        "reason": reason_of(headers),
        "body": bytes(delivery.body),
        "headers": json_safe(headers),
        "dead_at": _dead_at(headers),
        "replayed_at": None,
        "replay_count": 0,
    }


def replay_headers(headers: Mapping[str, Any], *, replayed_from: int, count: int) -> dict[str, Any]:
    kept = {
        k: v for k, v in headers.items() if k not in DEATH_HEADERS and not k.startswith(DEATH_HEADER_PREFIXES)
    }
    return {**kept, REPLAYED_FROM: str(replayed_from), REPLAY_COUNT: count}


class AlreadyReplayed(Exception):
    """The record was replayed and its replay has not died again: replaying it again would
    only make another copy of the message."""

    def __init__(self, letter_id: int, replay_count: int) -> None:
        super().__init__(f"dead letter {letter_id} was already replayed ({replay_count} times)")
        self.letter_id = letter_id
        self.replay_count = replay_count


def deaths_of(row: Row[Any]) -> int:
    """How often the message died: once, then once per replay that came back (every replay but
    an outstanding or successful last one)."""
    return int(row.replay_count) + (1 if row.replayed_at is None else 0)


@dataclass(frozen=True)
class Replayed:
    id: int
    queue: str
    event_id: str
    replayed_at: datetime
    replay_count: int


@dataclass
class BulkReplay:
    replayed: list[Replayed]
    matched: int
    error: str | None = None
    # With a dry run: the ids that would be replayed (nothing is published).
    would_replay: list[int] | None = None


# Told of each change of a record (captured, died again, replayed, deleted), in its transaction.
LetterChanged = Callable[..., Awaitable[None]]


class DeadLetters:
    """One service's dead letters: captured from its dead-letter queues, listed and replayed."""

    def __init__(self, *, service: str, db: Database, broker: Broker, table: Table) -> None:
        self.name = f"{service}:dead-letters"
        self.table = table
        # Set by the control plane: announces the record to analytics (``dead_letter.changed``).
        self.on_change: LetterChanged | None = None
        self._db = db
        self._broker = broker
        self._in_flight = InFlight()
        self.captured = 0
        self.duplicates = 0
        # Set by the runtime to the service's metrics: told each new death's queue.
        self.on_captured: Callable[[str], None] = lambda _queue: None

    # -- capture -------------------------------------------------------------------------------

    def capture(self, queue: QueueSpec) -> DeliveryCallback:
        """The callback consuming ``queue``'s dead-letter queue."""

        async def on_dead_letter(delivery: Delivery) -> None:
            self._in_flight.add()
            try:
                await self._capture(queue, delivery)
            finally:
                self._in_flight.done()

        return on_dead_letter

    async def drain(self, timeout: float) -> bool:
        return await self._in_flight.wait_idle(timeout)

    async def _capture(self, queue: QueueSpec, delivery: Delivery) -> None:
        row = letter_row(queue, delivery)
        try:
            stored = await holding_while_database_down(
                self._db, lambda: self._store(row), consumer=self.name, event_ids=[row["event_id"]]
            )
        except Exception as exc:
            # Not acked, so not lost: back to the dead-letter queue (which has no delivery limit).
            log.warning(
                "dead_letter_capture_failed",
                queue=queue.name,
                event_id=row["event_id"],
                error=f"{type(exc).__name__}: {exc}",
            )
            await asyncio.sleep(requeue_delay(min(delivery.delivery_count, 6)))
            await settle(delivery.requeue(), consumer=self.name, what="requeue")
            return
        await settle(delivery.ack(), consumer=self.name, what="ack")
        if stored:
            self.captured += 1
            self.on_captured(queue.name)
            # The body is not logged: it holds users' messages and phone numbers.
            log.info(
                "dead_letter_captured", queue=queue.name, event_id=row["event_id"], type=row["event_type"]
            )
        else:
            self.duplicates += 1

    async def _store(self, row: dict[str, Any]) -> bool:
        """True when this is a new death (a new record, or a replay that died again)."""
        async with self._db.transaction() as session:
            stored = await self._store_in(session, row)
            if stored and self.on_change is not None:
                t = self.table
                record = (
                    await session.execute(
                        select(t)
                        .where(t.c.queue == row["queue"], t.c.event_id == row["event_id"])
                        .order_by(t.c.dead_at.desc())
                        .limit(1)
                    )
                ).first()
                if record is not None:
                    await self.on_change(session, record)
            return stored

    async def _store_in(self, session: AsyncSession, row: dict[str, Any]) -> bool:
        t = self.table
        replay = _replay_of(row["headers"])
        if replay is not None:
            letter_id, count = replay
            # Only the death of the outstanding replay counts: a redelivered copy of an
            # older death (or of this one, once recorded) changes nothing.
            died_again = await session.execute(
                update(t)
                .where(t.c.id == letter_id, t.c.replay_count == count, t.c.replayed_at.is_not(None))
                .values(
                    replayed_at=None,
                    reason=row["reason"],
                    headers=row["headers"],
                    dead_at=row["dead_at"],
                )
            )
            if died_again.rowcount:  # type: ignore[attr-defined]
                return True
            known = await session.execute(select(t.c.id).where(t.c.id == letter_id))
            if known.first() is not None:
                return False
            # Replayed from a row since collapsed into the message's record (migration
            # 'dead letter records'): that record takes the death, if it is not dead already.
            collapsed = await session.execute(
                update(t)
                .where(
                    t.c.queue == row["queue"],
                    t.c.event_id == row["event_id"],
                    t.c.origin == "",
                    t.c.replayed_at.is_not(None),
                )
                .values(
                    replayed_at=None, reason=row["reason"], headers=row["headers"], dead_at=row["dead_at"]
                )
            )
            if collapsed.rowcount:  # type: ignore[attr-defined]
                return True
            # The record was pruned meanwhile: the message starts a new one.
            row = {**row, "replay_count": count}
        insert = upsert_insert(session, t).values(**row).on_conflict_do_nothing()
        result = await session.execute(insert)
        return bool(result.rowcount)  # type: ignore[attr-defined]

    # -- reading -------------------------------------------------------------------------------

    def _matching(self, queue: str | None, replayed: bool | None) -> list[Any]:
        t = self.table
        conditions: list[Any] = []
        if queue is not None:
            conditions.append(t.c.queue == queue)
        if replayed is not None:
            conditions.append(t.c.replayed_at.is_not(None) if replayed else t.c.replayed_at.is_(None))
        return conditions

    async def find(
        self,
        *,
        queue: str | None = None,
        replayed: bool | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> list[Row[Any]]:
        """Newest first: ``limit`` of them after the first ``offset``."""
        t = self.table
        query = (
            select(t)
            .where(*self._matching(queue, replayed))
            .order_by(t.c.id.desc())
            .limit(limit)
            .offset(offset)
        )
        async with self._db.read() as session:
            return list((await session.execute(query)).all())

    async def get(self, letter_id: int) -> Row[Any] | None:
        async with self._db.read() as session:
            return (
                await session.execute(select(self.table).where(self.table.c.id == letter_id))
            ).one_or_none()

    async def count(self, *, queue: str | None = None, replayed: bool | None = None) -> int:
        query = select(func.count()).select_from(self.table).where(*self._matching(queue, replayed))
        async with self._db.read() as session:
            return int((await session.execute(query)).scalar_one())

    # -- replay --------------------------------------------------------------------------------

    async def replay(self, letter_id: int, *, only_unreplayed: bool = False) -> Replayed | None:
        """Publish the dead letter into its original queue (with confirms), then mark it replayed.

        None if there is no such dead letter (or, with ``only_unreplayed``, it was replayed
        already). Raises ``AlreadyReplayed`` when it was replayed and that replay has not died
        again, ``PublishError`` when the broker does not confirm: nothing is marked.
        The row stays locked meanwhile, so two operators replaying it at once replay it in turn.
        """
        t = self.table
        async with self._db.transaction() as session:
            row = (
                await session.execute(select(t).where(t.c.id == letter_id).with_for_update())
            ).one_or_none()
            if row is None or (only_unreplayed and row.replayed_at is not None):
                return None
            if row.replayed_at is not None:
                raise AlreadyReplayed(row.id, row.replay_count)
            count = row.replay_count + 1
            await self._broker.publish_to_queue(
                row.queue,
                [
                    OutgoingMessage(
                        routing_key=row.event_type or row.queue,
                        body=row.body,
                        message_id=row.event_id,
                        correlation_id=_correlation_id(row.body),
                        headers=replay_headers(row.headers or {}, replayed_from=row.id, count=count),
                    )
                ],
            )
            now = datetime.now(UTC)
            await session.execute(
                update(t).where(t.c.id == row.id).values(replayed_at=now, replay_count=count)
            )
            if self.on_change is not None:
                await self.on_change(
                    session, (await session.execute(select(t).where(t.c.id == row.id))).one()
                )
        log.info(
            "dead_letter_replayed", queue=row.queue, event_id=row.event_id, id=row.id, replay_count=count
        )
        return Replayed(row.id, row.queue, row.event_id, now, count)

    async def delete(self, ids: list[int]) -> list[int]:
        """Forget these records (an operator decided they need no replay); the ids deleted."""
        t = self.table
        async with self._db.transaction() as session:
            rows = (await session.execute(select(t).where(t.c.id.in_(ids)).with_for_update())).all()
            if rows:
                await session.execute(delete(t).where(t.c.id.in_([r.id for r in rows])))
            if self.on_change is not None:
                for row in rows:
                    await self.on_change(session, row, deleted=True)
        if rows:
            log.info("dead_letters_deleted", ids=[r.id for r in rows])
        return [int(r.id) for r in rows]

    async def replay_matching(
        self, *, queue: str | None, ids: list[int] | None, limit: int, dry_run: bool = False
    ) -> BulkReplay:
        """Replay up to ``limit`` replayable dead letters (never replayed, or whose replay died
        again), oldest first, optionally only of ``queue`` or among ``ids``. The candidates are
        chosen once, before anything is published, so a replay that dies again during the request
        is not replayed again by it. Stops at the first unconfirmed publish: the result says what
        went out and why the rest did not. ``dry_run`` only says what would be replayed."""
        t = self.table
        query = select(t.c.id).where(t.c.replayed_at.is_(None)).order_by(t.c.id).limit(limit)
        if queue is not None:
            query = query.where(t.c.queue == queue)
        if ids is not None:
            query = query.where(t.c.id.in_(ids))
        async with self._db.read() as session:
            candidates = list((await session.execute(query)).scalars().all())
        result = BulkReplay(replayed=[], matched=len(candidates))
        if dry_run:
            result.would_replay = candidates
            return result
        for letter_id in candidates:
            try:
                replayed = await self.replay(letter_id, only_unreplayed=True)
            except PublishError as exc:
                result.error = str(exc)
                break
            if replayed is not None:  # None: another operator's replay got there first
                result.replayed.append(replayed)
        return result


def _correlation_id(body: bytes) -> str | None:
    try:
        parsed = orjson.loads(body)
    except orjson.JSONDecodeError:
        return None
    value = parsed.get("correlation_id") if isinstance(parsed, dict) else None
    return value if isinstance(value, str) else None
