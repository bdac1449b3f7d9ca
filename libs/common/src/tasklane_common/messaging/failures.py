"""What a consumer does when handling a delivery fails: the policy both consumers share.

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
from collections.abc import Awaitable

from tenacity import retry_if_exception_type, retry_if_not_exception_type

from tasklane_common.errors import PermanentError
from tasklane_common.logging import get_logger
from tasklane_common.messaging.broker import Delivery

log = get_logger(__name__)

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
