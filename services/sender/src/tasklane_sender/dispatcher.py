"""The worker that turns queued outbound messages into Graph API calls.

One loop per replica, pipelined: while fewer than ``dispatch_batch`` messages (capped, see
``Dispatcher.__init__``) are in flight it
claims due ones (``FOR UPDATE SKIP LOCKED``, so replicas never take the same row) in one
transaction that also gives each its send-not-before slot from the shared pacing schedules
(``pacing``), marks them ``sending`` with a lease and commits. Each claimed message then waits for
its slot (``asyncio.sleep``), is sent outside any transaction, and is settled: ``sent`` with its
wamid and a ``message.sent`` event through the outbox, queued again (retry, throttle, pause...), or
``failed`` with a ``message.failed`` event (``outcomes``). Settles are committed in small batches
(one transaction for up to ``_SETTLE_BATCH`` answers) so that a high rate does not cost one commit
per message. The loop wakes when a reply is committed, when in-flight room frees up, or when the
claim says budget returns; it polls otherwise. Nothing spins: a paused number, an open breaker or
an exhausted schedule keeps its messages out of the claim until their time.

Messages to one recipient are sent one after the other, in the order they were queued (the claim
takes one per recipient and none while another is in flight); a retry can still let a later
message overtake an earlier one (Meta does not guarantee order either).

Crash window: see docs/sender.md. Every claim counts as an attempt, so a message that keeps
crashing its sender is failed after ``max_attempts`` instead of looping.

Shutdown (``stop``): no new claim; every claimed message whose Graph API call has not started
(waiting for its slot or for a call slot) goes back to ``queued`` at once, its attempt and its
pair slot given back, so another replica sends it now rather than after its lease; the calls in
flight get the rest of the budget to finish and be settled. A call still running then is
cancelled and its message keeps its lease (Meta may have accepted it: its status, or the lease's
expiry, settles it).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from opentelemetry import trace
from tenacity import AsyncRetrying, stop_after_attempt, wait_exponential_jitter

from tasklane_common.logging import get_logger
from tasklane_common.messaging import Outbox
from tasklane_common.runtime import ServiceRuntime
from tasklane_common.telemetry import extract_context, inject_headers, tracer
from tasklane_sender import claims, windows
from tasklane_sender.graph import RELEASED, GraphClient, SendOutcome
from tasklane_sender.identifiers import MAY_HAVE_BEEN_DELIVERED
from tasklane_sender.outcomes import Settlement
from tasklane_sender.pacing import Limits
from tasklane_sender.repository import OutboundMessage
from tasklane_sender.send_spans import mark_send
from tasklane_sender.settings import SenderSettings

log = get_logger(__name__)

# Answers committed per settle transaction, and settle transactions at once per replica.
_SETTLE_BATCH = 50
_SETTLE_CONCURRENCY = 4


# An answer waiting for its settle batch: the message, the answer, the trace context of its send,
# and the future its sender awaits.
_Pending = tuple[OutboundMessage, SendOutcome, dict[str, Any], "asyncio.Future[OutboundMessage | None]"]


def _now() -> datetime:
    return datetime.now(UTC)


class Dispatcher:
    def __init__(self, runtime: ServiceRuntime, settings: SenderSettings, graph: GraphClient) -> None:
        assert runtime.outbox is not None, "the sender publishes through its outbox"
        self._runtime = runtime
        self._outbox: Outbox = runtime.outbox
        self._settings = settings
        self._limits = Limits.of(settings)
        self.graph = graph
        self._wake = asyncio.Event()
        # Set on shutdown: wakes the deliveries waiting for their slot.
        self._stop = asyncio.Event()
        self._stopping = False
        self._task: asyncio.Task[None] | None = None
        self._in_flight: set[asyncio.Task[None]] = set()
        # A new claim is worth a transaction once this much room is free (or nothing is in flight).
        # Capped so that, even if every call takes request_timeout_s, the last message in flight
        # gets its Graph API slot within half its lease (the other half covers its own call):
        # the lease check in ``graph`` then only skips a call when things are slower still.
        rounds = max(1, int(settings.lease_s / (2 * settings.request_timeout_s)))
        self._capacity = max(1, min(settings.dispatch_batch, settings.graph_concurrency * rounds))
        self._min_claim = max(1, self._capacity // 4)
        self._pending: list[_Pending] = []
        self._settlers: set[asyncio.Task[None]] = set()
        self.sent = 0
        self.failed = 0
        self.retried = 0
        # Told when each reply (not a read receipt) was asked for, once the Graph API accepted it.
        self.on_replied: Callable[[datetime], None] | None = None
        # Per phone number: the pacing interval (seconds) and this replica's latest send (loop time).
        self._spacing: dict[str, float] = {}
        self._last_send: dict[str, float] = {}

    def notify(self) -> None:
        """Dispatch now rather than at the next poll (a reply was committed, a number resumed)."""
        self._wake.set()

    def start(self) -> None:
        self._stopping = False
        self._stop.clear()
        self.graph.closing = False
        self._task = asyncio.create_task(self._run(), name="sender-dispatcher")

    async def stop(self, budget_s: float | None = None) -> None:
        """Release what has not been sent, let the calls in flight finish and settle within
        ``budget_s`` (default ``shutdown_grace_s``), then stop (see the module doc)."""
        if self._task is None:
            return
        self._stopping = True
        self.graph.closing = True
        self._stop.set()
        self._wake.set()
        budget = self._settings.shutdown_grace_s if budget_s is None else budget_s
        try:
            await asyncio.wait_for(asyncio.shield(self._drain()), budget)
        except TimeoutError:
            # Claimed messages keep their lease and are taken again after it expires.
            for task in [self._task, *self._in_flight, *self._settlers]:
                task.cancel()
            await asyncio.gather(self._task, *self._in_flight, *self._settlers, return_exceptions=True)
        self._task = None

    async def _drain(self) -> None:
        assert self._task is not None
        await self._task
        while self._in_flight or self._settlers:
            await asyncio.gather(*self._in_flight, *self._settlers, return_exceptions=True)

    async def _run(self) -> None:
        backoff = self._settings.poll_interval_s
        while not self._stopping:
            self._wake.clear()
            timeout = self._settings.poll_interval_s
            free = self._capacity - len(self._in_flight)
            if free >= self._min_claim or (free > 0 and not self._in_flight):
                try:
                    claimed, retry_at = await self.dispatch_once(free)
                    backoff = self._settings.poll_interval_s
                    if claimed >= free:
                        continue  # more may be due: claim again once room frees up
                    if retry_at is not None:
                        timeout = min(timeout, max(0.001, (retry_at - _now()).total_seconds()))
                except asyncio.CancelledError:
                    raise
                except Exception as exc:  # database down: keep polling, slower
                    backoff = min(backoff * 2, 30.0)
                    timeout = backoff
                    log.warning("dispatch_failed", error=f"{type(exc).__name__}: {exc}", retry_in_s=backoff)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=timeout)

    async def dispatch_once(self, limit: int | None = None) -> tuple[int, datetime | None]:
        """Claim up to ``limit`` due messages and start sending each at its slot; returns how many
        were claimed and when budget this claim lacked returns (None: nothing was held back)."""
        now = _now()
        # Taken before the claim, so that it is no later than the lease the claim writes.
        deadline = asyncio.get_running_loop().time() + self._settings.lease_s
        limit = limit or self._capacity
        async with self._runtime.db.transaction() as session:
            claim = await claims.claim_due(
                session,
                now=now,
                limit=limit,
                lease_s=self._settings.lease_s,
                limits=self._limits,
                skip_phone_number_ids=self.graph.blocked_phone_number_ids(now),
            )
            prepared = await windows.prepare(session, claim.messages, self._settings, now)
        self._spacing.update(claim.spacing)
        for message in claim.messages:
            ready = prepared[message.reply_id]
            if ready.failure is not None:
                self._start(self._settle(message, SendOutcome("failed", reason=ready.failure)))
            else:
                ready_message = replace(message, kind=ready.kind, content=ready.content)
                self._start(self._deliver(ready_message, deadline))
        return len(claim.messages), claim.retry_at

    def _start(self, coro: object) -> None:
        task: asyncio.Task[None] = asyncio.create_task(coro)  # type: ignore[arg-type]
        self._in_flight.add(task)
        task.add_done_callback(self._finished)

    def _finished(self, task: asyncio.Task[None]) -> None:
        self._in_flight.discard(task)
        if not task.cancelled() and task.exception() is not None:
            # The type only: an exception's text (and its arguments) may carry a header or a token.
            log.error("delivery_crashed", error=type(task.exception()).__name__)
        if self._capacity - len(self._in_flight) == self._min_claim:
            self._wake.set()

    async def _wait_for_slot(self, message: OutboundMessage) -> None:
        """Sleep until the message's slot, and keep this replica's sends from one number at least
        half an interval apart: after a stall, the messages whose slots passed meanwhile catch up
        at twice the number's rate, not in one burst. The shared slots already hold the rate over
        time; catching up keeps a stall from costing throughput for good (measured: at 80 msg/s
        on a busy machine, spacing a full interval reached only 95 % of the limit), and the extra
        it sends over one second stays within the one second of burst Meta's limit allows."""
        if message.send_at is None:
            return
        delay = (message.send_at - _now()).total_seconds()
        if delay > 0:
            await self._sleep(delay)
        loop = asyncio.get_running_loop()
        spacing = self._spacing.get(message.phone_number_id, 0.0) / 2
        at = max(loop.time(), self._last_send.get(message.phone_number_id, 0.0) + spacing)
        self._last_send[message.phone_number_id] = at
        if at > loop.time():
            await self._sleep(at - loop.time())

    async def _sleep(self, seconds: float) -> None:
        """``asyncio.sleep`` that ends early when the dispatcher stops."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stop.wait(), seconds)

    async def _deliver(self, message: OutboundMessage, deadline: float) -> None:
        await self._wait_for_slot(message)
        if self._stopping:
            # Not sent yet: back to the queue for another replica, at once (see the module doc).
            await self._settle(message, SendOutcome("blocked", reason=RELEASED, retry_at=_now()))
            return
        # Continues the conversation turn's trace: the Graph API call and the events it leads
        # to (message.sent/failed, through the outbox) belong to the user's message.
        with tracer("sender").start_as_current_span(
            "whatsapp send",
            context=extract_context(message.trace_context),
            kind=trace.SpanKind.CLIENT,
            attributes={"messaging.message.id": message.reply_id, "tasklane.attempt": message.attempts},
        ) as span:
            if message.attempts > self._settings.max_attempts:
                outcome = SendOutcome(
                    "failed",
                    reason=f"gave up after {self._settings.max_attempts} attempts: the last one "
                    "never reported back (its sender stopped or lost its lease during the call); "
                    f"{MAY_HAVE_BEEN_DELIVERED}",
                    may_have_arrived=True,
                )
            else:
                outcome = await self.graph.send(message, deadline=deadline)
            mark_send(span, outcome)
            await self._settle(message, outcome)
            answered = message.received_at
            if outcome.verdict == "sent" and answered is not None and self.on_replied is not None:
                # Only answers to a user's message count: a reminder or a notice has no
                # "webhook in" to measure from.
                self.on_replied(answered)

    async def _settle(self, message: OutboundMessage, outcome: SendOutcome) -> None:
        """Hand the answer to a settle batch and wait until it is committed; a lost lease or a
        failed commit leaves the row to its lease (it is claimed again when that expires)."""
        future: asyncio.Future[OutboundMessage | None] = asyncio.get_running_loop().create_future()
        self._pending.append((message, outcome, inject_headers(), future))
        if len(self._settlers) < _SETTLE_CONCURRENCY:
            settler = asyncio.create_task(self._settle_pending(), name="sender-settle")
            self._settlers.add(settler)
            settler.add_done_callback(self._settlers.discard)
        try:
            settled = await future
        except Exception as exc:
            log.error("settle_failed", reply_id=message.reply_id, error=f"{type(exc).__name__}: {exc}")
            return
        if settled is None:
            log.warning("lease_lost", reply_id=message.reply_id, verdict=outcome.verdict)

    async def _settle_pending(self) -> None:
        while self._pending:
            batch, self._pending = self._pending[:_SETTLE_BATCH], self._pending[_SETTLE_BATCH:]
            try:
                results = await self._commit(batch)
            except Exception:
                # One bad answer must not cost the others: settle them one by one.
                results = []
                for item in batch:
                    try:
                        results += await self._commit([item])
                    except Exception as exc:
                        results.append(exc)
            for (*_, future), result in zip(batch, results, strict=True):
                if future.done():
                    continue
                if isinstance(result, Exception):
                    future.set_exception(result)
                else:
                    future.set_result(result)
            if self._runtime.relay is not None:
                self._runtime.relay.notify()
            # A settled message may free its recipient's next one: claim now, not at the poll.
            self._wake.set()

    async def _commit(self, batch: list[_Pending]) -> list[OutboundMessage | Exception | None]:
        async for attempt in AsyncRetrying(
            stop=stop_after_attempt(3), reraise=True, wait=wait_exponential_jitter(multiplier=0.05, max=1.0)
        ):
            with attempt:
                async with self._runtime.db.transaction() as session:
                    settlement = Settlement(session, self._outbox, self._settings, now=_now())
                    items = [(message, outcome, headers) for message, outcome, headers, _ in batch]
                    results: list[OutboundMessage | Exception | None] = list(
                        await settlement.settle_many(items)
                    )
                    await settlement.apply_effects()
                tally = settlement.tally
                self.sent += tally.sent
                self.failed += tally.failed
                self.retried += tally.retried
                return results
        raise AssertionError("unreachable")
