"""What both consumers (one delivery at a time, or in batches) share: their identity and
in-flight accounting, and what they do when handling a delivery fails.

- Invalid input (``PermanentError``) is dead-lettered at once, with its reason.
- While the database is unreachable nothing is wrong with the message: the consumer keeps the
  delivery and waits for the database (up to ``MAX_HOLD_S``, well under RabbitMQ's 30-minute
  consumer timeout), so an outage does not spend the message's delivery attempts.
- Any other failure returns the message to the broker after a backoff that grows with its
  delivery count; on its last allowed delivery the consumer dead-letters it itself, with the
  error as the reason (the broker's own delivery-limit dead-lettering would carry none).
- Cancellation (shutdown, a lost connection) is never retried: the broker redelivers.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable
from typing import TypeVar

from sqlalchemy import Table
from tenacity import (
    AsyncRetrying,
    retry_if_exception_type,
    retry_if_not_exception_type,
    stop_after_attempt,
    wait_exponential_jitter,
)

from tasklane_common.db.engine import Database
from tasklane_common.errors import PermanentError
from tasklane_common.logging import get_logger
from tasklane_common.messaging.broker import Delivery
from tasklane_common.messaging.topology import QueueSpec

log = get_logger(__name__)

# Set on a dead letter's replay (tasklane_common.messaging.deadletters): which record, which replay.
REPLAYED_FROM = "x-tasklane-replayed-from"
REPLAY_COUNT = "x-tasklane-replay-count"
T = TypeVar("T")
# Told the outcome of each delivery: (event type, outcome, seconds handling took or None).
Observer = Callable[[str, str, float | None], None]


def _unobserved(_type: str, _outcome: str, _seconds: float | None) -> None:
    return None


# Retry in-process only real errors, never PermanentError nor BaseExceptions like cancellation.
RETRYABLE = retry_if_exception_type(Exception) & retry_if_not_exception_type(PermanentError)
MAX_HOLD_S = 600.0
MAX_REQUEUE_DELAY_S = 30.0


def requeue_delay(delivery_count: int) -> float:
    return min(MAX_REQUEUE_DELAY_S, 0.5 * 2.0**delivery_count) * random.uniform(0.5, 1.0)


async def settle(action: Awaitable[None], *, consumer: str, what: str) -> None:
    """Ack, requeue or dead-letter without letting a dead channel break the consumer: if the
    settlement is lost, the broker redelivers the message and the inbox absorbs it."""
    try:
        await action
    except Exception as exc:
        log.warning("settle_failed", consumer=consumer, action=what, error=f"{type(exc).__name__}: {exc}")


async def give_back(delivery: Delivery, *, consumer: str, delivery_limit: int, error: str) -> None:
    """Return a message whose handling failed (not permanently) to the broker, or dead-letter it
    with ``error`` if this was its last allowed delivery."""
    if delivery.delivery_count >= delivery_limit:
        reason = f"gave up after {delivery.delivery_count + 1} deliveries: {error}"
        await settle(delivery.dead_letter(reason[:1000]), consumer=consumer, what="dead_letter")
        return
    await asyncio.sleep(requeue_delay(delivery.delivery_count))
    await settle(delivery.requeue(), consumer=consumer, what="requeue")


async def holding_while_database_down(
    db: Database, attempt: Callable[[], Awaitable[T]], *, consumer: str, event_ids: list[str]
) -> T:
    """Run ``attempt``; if it fails while the database is unreachable, wait for the database
    (up to ``MAX_HOLD_S``) and run it again, instead of giving the message back to the broker."""
    loop = asyncio.get_running_loop()
    hold_until = loop.time() + MAX_HOLD_S
    while True:
        try:
            return await attempt()
        except PermanentError:
            raise
        except Exception as exc:
            if await db.reachable() or loop.time() >= hold_until:
                raise
            log.warning(
                "database_unreachable_holding",
                consumer=consumer,
                event_ids=event_ids[:5],
                error=f"{type(exc).__name__}: {exc}",
            )
            await db.wait_reachable(hold_until)


class InFlight:
    """Counts the deliveries a consumer holds, so that shutdown can wait for them."""

    def __init__(self) -> None:
        self.count = 0
        self._idle = asyncio.Event()
        self._idle.set()

    def add(self, n: int = 1) -> None:
        self.count += n
        self._idle.clear()

    def done(self, n: int = 1) -> None:
        self.count -= n
        if self.count == 0:
            self._idle.set()

    async def wait_idle(self, timeout: float) -> bool:
        try:
            await asyncio.wait_for(self._idle.wait(), timeout)
            return True
        except TimeoutError:
            return False


class ConsumerBase:
    """Fields and drain of a consumer of ``queue`` in ``service``, whose inbox is ``inbox``."""

    def __init__(
        self,
        *,
        service: str,
        queue: QueueSpec,
        db: Database,
        inbox: Table,
        delivery_limit: int,
        attempts: int,
    ) -> None:
        self.name = f"{service}:{queue.name}"
        self.queue = queue
        self._service = service
        self._db = db
        self._inbox = inbox
        self._delivery_limit = delivery_limit
        self._attempts = attempts
        self._in_flight = InFlight()
        self.handled = 0
        self.duplicates = 0
        # Set by the runtime to the service's metrics (tasklane_common.metrics).
        self.observe: Observer = _unobserved
        # Deliveries given up on (dead-lettered) or given back after failing (requeued).
        self.failed = 0

    @property
    def in_flight(self) -> int:
        return self._in_flight.count

    async def drain(self, timeout: float) -> bool:
        return await self._in_flight.wait_idle(timeout)

    async def _dead_letter(self, delivery: Delivery, reason: str, **context: object) -> None:
        """Give up on a delivery for good: to the dead-letter queue with ``reason``, logged."""
        replay = {
            key: delivery.headers[header]
            for key, header in (("replay_of_dead_letter", REPLAYED_FROM), ("replay_count", REPLAY_COUNT))
            if header in delivery.headers
        }
        # One line per death; a replay's death names the record it returns to, so an operator
        # sees one poison message dying again rather than a new one.
        log.error("message_dead_lettered", consumer=self.name, reason=reason, **replay, **context)
        self.failed += 1
        await settle(delivery.dead_letter(reason), consumer=self.name, what="dead_letter")

    def _retrying(self) -> AsyncRetrying:
        """In-process retries of one handling: a few, quick, never for PermanentError."""
        return AsyncRetrying(
            stop=stop_after_attempt(self._attempts),
            wait=wait_exponential_jitter(multiplier=0.1, max=2.0),
            retry=RETRYABLE,
            reraise=True,
        )
