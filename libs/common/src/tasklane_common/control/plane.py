"""One service replica's side of the control plane.

Every ``interval_s`` the replica re-reads its service's paused queues (converging if it missed a
command) and broadcasts a ``ReplicaHeartbeat``: its consumers (paused or not, in flight,
processed, failed), its readiness and what the service reports about itself. It receives the
``ControlCommand``s for its service on a queue of its own (every replica gets each one) and
executes them: pause and resume are recorded in the service's ``consumer_pauses`` table, newest
command first, then applied locally; dead-letter commands run against the service's store, whose
row locks make the same command on every replica replay or delete each record once.

A service registers more commands (``command``) and reports (``report``); audit rows and
dead-letter changes leave through the outbox (``emit``) so analytics receives every one.
"""

from __future__ import annotations

import asyncio
import os
import socket
import uuid
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Table, select
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncSession

from tasklane_common.control.audit import audit_event
from tasklane_common.control.pauses import paused_queues, set_paused
from tasklane_common.errors import PermanentError, PublishError
from tasklane_common.logging import get_logger, scrub_text
from tasklane_common.messaging.broker import Delivery, DeliveryCallback, OutgoingMessage
from tasklane_common.messaging.contracts.runtime import (
    AuditRecorded,
    ConsumerState,
    ControlCommand,
    DeadLetterChanged,
    OutboxState,
    ReplicaHeartbeat,
)
from tasklane_common.messaging.envelope import Envelope, Event, new_envelope
from tasklane_common.metrics.sampling import outbox_state

if TYPE_CHECKING:
    from tasklane_common.runtime import ServiceRuntime

log = get_logger(__name__)

CommandHandler = Callable[[ControlCommand], Awaitable[None]]
Reporter = Callable[[], Awaitable[Any]]


def heartbeat_routing_key(service: str) -> str:
    return f"runtime.heartbeat.{service}"


def command_routing_key(service: str) -> str:
    return f"control.{service}"


def replica_id() -> str:
    """Unique per process: the pod name (the hostname in Kubernetes), the pid, a random tail."""
    return f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"


def trace_id_of(headers: dict[str, Any]) -> str | None:
    parent = headers.get("traceparent")
    if isinstance(parent, str):
        parts = parent.split("-")
        if len(parts) == 4 and len(parts[1]) == 32:
            return parts[1]
    return None


class ControlPlane:
    def __init__(self, runtime: ServiceRuntime, table: Table | None, *, interval_s: float) -> None:
        self.runtime = runtime
        self.service = runtime.service
        self.table = table
        self.interval_s = interval_s
        self.replica = replica_id()
        self.started_at = datetime.now(UTC)
        self.paused: set[str] = set()
        self.reports: dict[str, Reporter] = {}
        self.commands: dict[str, CommandHandler] = {"pause": self._pause, "resume": self._resume}
        self._listeners: list[tuple[tuple[str, ...], DeliveryCallback]] = []
        self._task: asyncio.Task[None] | None = None
        self._lock = asyncio.Lock()
        if runtime.dead_letters is not None:
            self.commands["dead_letter.replay"] = self._replay
            self.commands["dead_letter.delete"] = self._delete
            self.commands["dead_letter.sync"] = self._sync
            runtime.dead_letters.on_change = self.letter_changed

    # -- what a service adds -------------------------------------------------------------------

    def command(self, action: str, handler: CommandHandler) -> None:
        self.commands[action] = handler

    def report(self, name: str, reporter: Reporter) -> None:
        self.reports[name] = reporter

    def listen(self, bindings: Sequence[str], callback: DeliveryCallback) -> None:
        """Receive control messages (heartbeats, say) from the time the service starts."""
        self._listeners.append((tuple(bindings), callback))

    # -- lifecycle -----------------------------------------------------------------------------

    async def load(self) -> None:
        """Before the consumers start: which of them must start paused."""
        if self.table is not None:
            self.paused = await paused_queues(self.runtime.db, self.table) & self._queues()

    async def start(self) -> None:
        broker = self.runtime.broker
        await broker.subscribe([command_routing_key(self.service)], self._on_command)
        for bindings, callback in self._listeners:
            await broker.subscribe(bindings, callback)
        self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is None:
            return
        task.cancel()
        # Bounded: a heartbeat stuck in a broker call must not hold up the service's shutdown.
        await asyncio.wait({task}, timeout=self.runtime.settings.broker.publish_timeout_s)

    def _queues(self) -> set[str]:
        return {c.queue.name for c in self.runtime.consumers}

    async def _run(self) -> None:
        while True:
            try:
                await self.converge()
            except Exception as exc:  # the database may be down: the next round tries again
                log.warning("control_converge_failed", error=f"{type(exc).__name__}: {exc}")
            try:
                await self.beat()
            except Exception as exc:
                log.warning("heartbeat_failed", error=f"{type(exc).__name__}: {exc}")
            await asyncio.sleep(self.interval_s)

    async def converge(self) -> None:
        """Apply the recorded paused state to this replica's consumers."""
        if self.table is None:
            return
        wanted = await paused_queues(self.runtime.db, self.table) & self._queues()
        for queue in sorted(self._queues()):
            await self._apply(queue, queue in wanted)

    async def _apply(self, queue: str, paused: bool) -> None:
        async with self._lock:
            if paused and queue not in self.paused:
                await self.runtime.broker.pause(queue)
                self.paused.add(queue)
                log.info("consumer_paused", service=self.service, queue=queue, replica=self.replica)
            elif not paused and queue in self.paused:
                self.paused.discard(queue)
                await self.runtime.broker.resume(queue)
                log.info("consumer_resumed", service=self.service, queue=queue, replica=self.replica)

    # -- heartbeats ----------------------------------------------------------------------------

    def heartbeat(
        self, readiness: dict[str, Any], reports: dict[str, Any], outbox: OutboxState | None = None
    ) -> ReplicaHeartbeat:
        consumers = [
            ConsumerState(
                queue=c.queue.name,
                paused=c.queue.name in self.paused,
                in_flight=c.in_flight,
                processed=c.handled,
                failed=c.failed,
                duplicates=c.duplicates,
            )
            for c in self.runtime.consumers
        ]
        return ReplicaHeartbeat(
            service=self.service,
            replica=self.replica,
            started_at=self.started_at,
            at=datetime.now(UTC),
            interval_s=self.interval_s,
            consumers=consumers,
            readiness=readiness,
            reports=reports,
            outbox=outbox,
        )

    async def beat(self) -> None:
        reports: dict[str, Any] = {}
        for name, reporter in self.reports.items():
            try:
                reports[name] = await reporter()
            except Exception as exc:
                reports[name] = {"error": type(exc).__name__}
        beat = self.heartbeat(await self.runtime.readiness(), reports, await self._outbox())
        envelope = new_envelope(beat, producer=self.service)
        await self.runtime.broker.broadcast(
            OutgoingMessage(
                routing_key=heartbeat_routing_key(self.service),
                body=envelope.to_bytes(),
                message_id=envelope.id,
            )
        )

    async def _outbox(self) -> OutboxState | None:
        """The outbox's backlog and oldest age, for analytics' outbox alerts: a relay that cannot
        publish is seen from outside only by the age of what waits."""
        outbox = self.runtime.outbox
        if outbox is None:
            return None
        try:
            backlog, age = await outbox_state(self.runtime.db, outbox.table)
        except Exception as exc:  # the database is away: the readiness says so, the age is unknown
            log.debug("heartbeat_outbox_unknown", error=type(exc).__name__)
            return None
        return OutboxState(backlog=backlog, oldest_age_s=round(age, 1))

    # -- commands ------------------------------------------------------------------------------

    async def _on_command(self, delivery: Delivery) -> None:
        try:
            command = Envelope.from_bytes(delivery.body).open(ControlCommand)
        except PermanentError as exc:
            log.warning("control_command_invalid", error=str(exc)[:300])
            return
        if command.service != self.service:
            return
        handler = self.commands.get(command.action)
        if handler is None:
            log.warning("control_command_unknown", action=command.action, command_id=command.command_id)
            return
        try:
            await handler(command)
        except Exception as exc:
            # The state it would have set is re-read periodically; a dead-letter command can be
            # sent again (it is idempotent).
            log.error(
                "control_command_failed",
                action=command.action,
                command_id=command.command_id,
                error=f"{type(exc).__name__}: {exc}",
            )

    async def _pause(self, command: ControlCommand) -> None:
        await self._set(command, paused=True)

    async def _resume(self, command: ControlCommand) -> None:
        await self._set(command, paused=False)

    async def _set(self, command: ControlCommand, *, paused: bool) -> None:
        """``command.queue``, or without one every queue this service consumes (a drain)."""
        if command.queue is None:
            for queue in sorted(self._queues()):
                await self._set_one(command, queue, paused=paused)
            return
        if command.queue not in self._queues():
            log.warning("control_unknown_queue", queue=command.queue, action=command.action)
            return
        await self._set_one(command, command.queue, paused=paused)

    async def _set_one(self, command: ControlCommand, queue: str, *, paused: bool) -> None:
        if self.table is None:
            # No table (a service built without one): the command holds until this replica stops.
            await self._apply(queue, paused)
            return
        table = self.table
        async with self.runtime.db.transaction() as session:
            changed = await set_paused(
                session,
                table,
                queue=queue,
                paused=paused,
                issued_at=command.issued_at,
                actor=command.actor,
                command_id=command.command_id,
            )
            if changed:
                await self.emit(session, self.audit_of(command, target_type="queue", target_id=queue))
            # The newest command recorded decides, not this one: it may be a late copy.
            now_paused = (
                await session.execute(select(table.c.paused).where(table.c.queue == queue))
            ).scalar_one()
        self.runtime.relay_notify()
        await self._apply(queue, bool(now_paused))

    def audit_of(
        self,
        command: ControlCommand,
        *,
        target_type: str,
        target_id: str | None,
        outcome: str = "ok",
        details: dict[str, Any] | None = None,
    ) -> AuditRecorded:
        return audit_event(
            service=self.service,
            at=datetime.now(UTC),
            actor=command.actor,
            role=command.role,
            action=f"{target_type}.{command.action}" if "." not in command.action else command.action,
            target_type=target_type,
            target_id=target_id,
            outcome=outcome,
            source=command.source,
            details={"command_id": command.command_id, "replica": self.replica, **(details or {})},
        )

    async def _replay(self, command: ControlCommand) -> None:
        letters = self.runtime.dead_letters
        assert letters is not None
        result = await letters.replay_matching(queue=command.queue, ids=command.ids, limit=command.limit)
        if result.replayed or result.error:
            async with self.runtime.db.transaction() as session:
                await self.emit(
                    session,
                    self.audit_of(
                        command,
                        target_type="dead_letter",
                        target_id=",".join(str(r.id) for r in result.replayed)[:256] or None,
                        outcome="ok" if result.error is None else "partial",
                        details={"replayed": len(result.replayed), "error": result.error},
                    ),
                )
            self.runtime.relay_notify()

    async def _delete(self, command: ControlCommand) -> None:
        letters = self.runtime.dead_letters
        assert letters is not None
        if not command.ids:
            return
        deleted = await letters.delete(command.ids)
        if deleted:
            async with self.runtime.db.transaction() as session:
                await self.emit(
                    session,
                    self.audit_of(
                        command,
                        target_type="dead_letter",
                        target_id=",".join(str(i) for i in deleted)[:256],
                        details={"deleted": len(deleted)},
                    ),
                )
            self.runtime.relay_notify()

    async def _sync(self, command: ControlCommand) -> None:
        """Announce every record again (a read model built after the records were)."""
        letters = self.runtime.dead_letters
        assert letters is not None
        async with self.runtime.db.transaction() as session:
            rows = (
                await session.execute(
                    select(letters.table).order_by(letters.table.c.id.desc()).limit(command.limit)
                )
            ).all()
            for row in rows:
                await self.letter_changed(session, row)
        self.runtime.relay_notify()

    # -- events out ----------------------------------------------------------------------------

    async def emit(self, session: AsyncSession, event: Event) -> None:
        """Through the outbox, in ``session``'s transaction; a service without one (analytics)
        publishes directly, and a broker that does not confirm only costs that event."""
        if self.runtime.outbox is not None:
            await self.runtime.outbox.add(session, event)
            return
        try:
            await self.runtime.publish([new_envelope(event, producer=self.service)])
        except PublishError as exc:
            log.warning("control_event_unpublished", type=event.event_type, error=str(exc))

    async def record_admin_action(
        self,
        *,
        actor: str | None,
        role: str | None,
        action: str,
        target_type: str | None,
        target_id: str | None,
        outcome: str,
        source: str | None,
        details: dict[str, Any] | None = None,
    ) -> None:
        """Forward an admin action a service only logged so far to the audit trail (its own
        transaction). Losing it must not fail the request it describes: errors are logged."""
        event = audit_event(
            service=self.service,
            at=datetime.now(UTC),
            actor=actor,
            role=role,
            action=action,
            target_type=target_type,
            target_id=target_id,
            outcome=outcome,
            source=source,
            details=details,
        )
        try:
            async with self.runtime.db.transaction() as session:
                await self.emit(session, event)
        except Exception as exc:
            log.error("audit_forward_failed", action=action, error=type(exc).__name__)
            return
        self.runtime.relay_notify()

    async def letter_changed(self, session: AsyncSession, row: Row[Any], *, deleted: bool = False) -> None:
        headers = dict(row.headers or {})
        await self.emit(
            session,
            DeadLetterChanged(
                service=self.service,
                letter_id=int(row.id),
                queue=row.queue,
                event_id=row.event_id,
                event_type_name=row.event_type,
                reason=scrub_text(row.reason),
                # Headers are the transport's (reasons, deaths, trace context), never the body.
                headers={k: scrub_text(str(v))[:500] for k, v in headers.items()},
                trace_id=trace_id_of(headers),
                dead_at=_aware(row.dead_at),
                replayed_at=_aware(row.replayed_at) if row.replayed_at is not None else None,
                replay_count=int(row.replay_count),
                deleted=deleted,
            ),
        )


def _aware(at: datetime) -> datetime:
    return at if at.tzinfo else at.replace(tzinfo=UTC)
