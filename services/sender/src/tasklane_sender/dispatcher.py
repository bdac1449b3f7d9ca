"""The worker that turns queued outbound messages into Graph API calls.

One loop per replica: claim due messages (``FOR UPDATE SKIP LOCKED``, so replicas never take the
same row), mark them ``sending`` with a lease and commit; call the Graph API outside any
transaction; then settle each message in its own short transaction (``sent`` with its wamid and a
``message.sent`` event through the outbox, a rescheduled retry, or ``failed`` with a
``message.failed`` event). It wakes when the reply consumer commits and polls otherwise.

Messages to one recipient are sent one after the other, in the order they were queued; a retry
can still let a later message overtake an earlier one (Meta does not guarantee order either).

Crash window (at-least-once towards WhatsApp): if the process dies, or the database is
unreachable, after the Graph API accepted a message but before ``sent`` is committed, the row
stays ``sending``; when its lease expires it is claimed again and sent a second time. The Graph
API has no idempotency key, so this window can only be narrowed (the result is committed right
after the call, with a few quick retries), not closed. Every claim counts as an attempt, so a
message that keeps crashing its sender is failed after ``max_attempts`` instead of looping.
"""

from __future__ import annotations

import asyncio
import contextlib
from datetime import UTC, datetime, timedelta

from opentelemetry import trace
from tenacity import AsyncRetrying, stop_after_attempt, wait_exponential_jitter

from tasklane_common.logging import get_logger
from tasklane_common.messaging import Outbox
from tasklane_common.runtime import ServiceRuntime
from tasklane_common.telemetry import extract_context, tracer
from tasklane_sender import tracking
from tasklane_sender.errors import backoff_s
from tasklane_sender.graph import GraphClient, SendOutcome
from tasklane_sender.repository import OutboundMessage, OutboundRepository
from tasklane_sender.settings import SenderSettings

log = get_logger(__name__)


def _now() -> datetime:
    return datetime.now(UTC)


class Dispatcher:
    def __init__(self, runtime: ServiceRuntime, settings: SenderSettings, graph: GraphClient) -> None:
        assert runtime.outbox is not None, "the sender publishes through its outbox"
        self._runtime = runtime
        self._outbox: Outbox = runtime.outbox
        self._settings = settings
        self.graph = graph
        self._wake = asyncio.Event()
        self._stopping = False
        self._task: asyncio.Task[None] | None = None
        self.sent = 0
        self.failed = 0
        self.retried = 0

    def notify(self) -> None:
        """Dispatch now rather than at the next poll (called after a reply is committed)."""
        self._wake.set()

    def start(self) -> None:
        self._stopping = False
        self._task = asyncio.create_task(self._run(), name="sender-dispatcher")

    async def stop(self) -> None:
        """Finish the calls in flight (up to the shutdown grace), then stop."""
        if self._task is None:
            return
        self._stopping = True
        self._wake.set()
        try:
            await asyncio.wait_for(asyncio.shield(self._task), self._settings.shutdown_grace_s)
        except TimeoutError:
            # Claimed messages keep their lease and are taken again after it expires.
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        self._task = None

    async def _run(self) -> None:
        backoff = self._settings.poll_interval_s
        while not self._stopping:
            self._wake.clear()
            try:
                if await self.dispatch_once() >= self._settings.dispatch_batch:
                    continue
                backoff = self._settings.poll_interval_s
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # database down: keep polling, slower
                backoff = min(backoff * 2, 30.0)
                log.warning("dispatch_failed", error=f"{type(exc).__name__}: {exc}", retry_in_s=backoff)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=backoff)

    async def dispatch_once(self) -> int:
        """Claim one batch of due messages and send them; returns how many were claimed."""
        now = _now()
        async with self._runtime.db.transaction() as session:
            claimed = await OutboundRepository(session).claim_due(
                now=now,
                limit=self._settings.dispatch_batch,
                lease_s=self._settings.lease_s,
                skip_phone_number_ids=self.graph.blocked_phone_number_ids(now),
            )
        if not claimed:
            return 0
        by_recipient: dict[tuple[str, str], list[OutboundMessage]] = {}
        for message in claimed:
            by_recipient.setdefault((message.phone_number_id, message.to), []).append(message)
        await asyncio.gather(*(self._send_in_order(group) for group in by_recipient.values()))
        if self._runtime.relay is not None:
            self._runtime.relay.notify()
        return len(claimed)

    async def _send_in_order(self, messages: list[OutboundMessage]) -> None:
        for message in messages:
            try:
                await self._deliver(message)
            except Exception as exc:  # its lease expires and another attempt follows
                log.error("delivery_crashed", reply_id=message.reply_id, error=f"{type(exc).__name__}: {exc}")

    async def _deliver(self, message: OutboundMessage) -> None:
        # Continues the conversation turn's trace: the Graph API call and the events it leads
        # to (message.sent/failed, through the outbox) belong to the user's message.
        with tracer("sender").start_as_current_span(
            "whatsapp send",
            context=extract_context(message.trace_context),
            kind=trace.SpanKind.CLIENT,
            attributes={"messaging.message.id": message.reply_id, "tasklane.attempt": message.attempts},
        ):
            await self._deliver_in_span(message)

    async def _deliver_in_span(self, message: OutboundMessage) -> None:
        if message.attempts > self._settings.max_attempts:
            outcome = SendOutcome(
                "failed",
                reason=f"gave up after {self._settings.max_attempts} attempts "
                "(the last one did not report back; it may have been delivered)",
            )
        else:
            outcome = await self.graph.send(message)
        async for attempt in AsyncRetrying(
            stop=stop_after_attempt(3), reraise=True, wait=wait_exponential_jitter(multiplier=0.05, max=1.0)
        ):
            with attempt:
                await self._settle(message, outcome)

    async def _settle(self, message: OutboundMessage, outcome: SendOutcome) -> None:
        now = _now()
        s = self._settings
        async with self._runtime.db.transaction() as session:
            repo = OutboundRepository(session)
            if outcome.verdict == "sent":
                assert outcome.wamid is not None
                await repo.lock_wamid(outcome.wamid)
                settled = await repo.mark_sent(message, wamid=outcome.wamid, now=now)
                if settled is not None:
                    await tracking.emit(
                        session, self._outbox, settled, "sent", at=now, causation_id=message.causation_id
                    )
                    await tracking.reconcile(session, self._outbox, settled, now=now)
                    self.sent += 1
            elif outcome.verdict == "blocked":
                settled = await repo.reschedule(
                    message,
                    at=outcome.retry_at or now,
                    error=outcome.reason,
                    code=None,
                    now=now,
                    count_attempt=False,
                )
            elif outcome.verdict == "retry" and message.attempts < s.max_attempts:
                delay = backoff_s(
                    message.attempts, outcome.error_code, initial=s.backoff_initial_s, maximum=s.backoff_max_s
                )
                settled = await repo.reschedule(
                    message,
                    at=now + timedelta(seconds=delay),
                    error=outcome.reason,
                    code=outcome.error_code,
                    now=now,
                )
                self.retried += 1
                log.info(
                    "send_retry_scheduled",
                    reply_id=message.reply_id,
                    attempt=message.attempts,
                    error_code=outcome.error_code,
                    http_status=outcome.http_status,
                    retry_in_s=round(delay, 2),
                    reason=outcome.reason,
                )
            else:
                reason = outcome.reason
                if outcome.verdict == "retry":
                    reason = f"gave up after {message.attempts} attempts: {reason}"
                settled = await repo.mark_failed(message, error=reason, code=outcome.error_code, now=now)
                if settled is not None:
                    await tracking.emit(
                        session,
                        self._outbox,
                        settled,
                        "failed",
                        at=now,
                        causation_id=message.causation_id,
                        error_code=outcome.error_code,
                        reason=reason,
                    )
                    self.failed += 1
                    log.warning(
                        "send_failed",
                        reply_id=message.reply_id,
                        error_code=outcome.error_code,
                        http_status=outcome.http_status,
                        reason=reason,
                    )
        if settled is None:
            log.warning("lease_lost", reply_id=message.reply_id, verdict=outcome.verdict)
