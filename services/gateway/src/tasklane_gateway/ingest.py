"""Turning a parsed webhook into published events, exactly once from the consumers' view.

The rule is "nothing accepted is lost": Meta gets a 200 only after the broker confirmed every new
event. In one transaction the dedup keys are claimed and the users resolved, then the events are
published with confirms *before* the commit. If the publish fails the transaction rolls back, so
Meta's retry is not mistaken for a duplicate. If the commit fails after a confirmed publish, the
retry publishes again with the same deterministic event ids, and the consumers' inboxes drop it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from tasklane_common.logging import get_logger
from tasklane_common.runtime import ServiceRuntime
from tasklane_gateway.events import notification_envelope, status_envelope
from tasklane_gateway.expiry import keep_expired, split_expired
from tasklane_gateway.repository import GatewayRepository
from tasklane_gateway.settings import GatewaySettings
from tasklane_gateway.triage import Triage
from tasklane_gateway.webhook import ParsedWebhook

log = get_logger(__name__)


@dataclass(frozen=True)
class IngestResult:
    messages: int
    statuses: int
    duplicates: int
    skipped: int
    ignored: int
    # Changes of other webhook fields (account, template, quality updates...), published.
    notifications: int = 0
    # New messages older than Meta's retry horizon: kept, not acted on (counted in ``messages``).
    expired: int = 0

    def as_dict(self) -> dict[str, int]:
        return {
            "messages": self.messages,
            "statuses": self.statuses,
            "duplicates": self.duplicates,
            "skipped": self.skipped,
            "ignored": self.ignored,
            "notifications": self.notifications,
            "expired": self.expired,
        }


class WebhookIngestor:
    def __init__(
        self,
        runtime: ServiceRuntime,
        settings: GatewaySettings,
        *,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self._runtime = runtime
        assert runtime.outbox is not None, "the gateway has an outbox"
        self.triage = Triage(settings, runtime.outbox)
        self._clock = clock or (lambda: datetime.now(UTC))
        self._horizon = timedelta(days=settings.stale_after_days)

    def now(self) -> datetime:
        """When a webhook is received: the time its rate-limit window and replies are judged by."""
        return self._clock()

    def cache_health(self) -> dict[str, Any]:
        """The contacts lookup cache, for the health report."""
        return {"status": "healthy", **self.triage.book.cache.stats()}

    async def ingest(self, webhook: ParsedWebhook, received_at: datetime) -> IngestResult:
        """Publish the items not seen before. Raises PublishError (nothing committed) if the
        broker does not confirm, and SQLAlchemy errors if the database fails."""
        # A batch may carry one item twice: the first occurrence stands for both.
        messages = list({m.dedup_key: m for m in reversed(webhook.messages)}.values())[::-1]
        statuses = list({s.dedup_key: s for s in reversed(webhook.statuses)}.values())[::-1]
        notes = list({n.dedup_key: n for n in reversed(webhook.notifications)}.values())[::-1]
        keys = [m.dedup_key for m in messages] + [s.dedup_key for s in statuses]
        keys += [n.dedup_key for n in notes]
        total = len(webhook.messages) + len(webhook.statuses) + len(webhook.notifications)
        if not keys:
            return IngestResult(0, 0, 0, webhook.skipped, webhook.ignored)
        async with self._runtime.db.transaction() as session:
            repo = GatewayRepository(session)
            fresh = await repo.claim_items(keys, received_at)
            new_messages = [m for m in messages if m.dedup_key in fresh]
            new_statuses = [s for s in statuses if s.dedup_key in fresh]
            new_notes = [n for n in notes if n.dedup_key in fresh]
            current, expired = split_expired(new_messages, received_at, self._horizon)
            # Users resolved or registered, rate limit applied: what to publish for the messages.
            triaged = await self.triage.route(session, current, received_at)
            envelopes = triaged.envelopes + await keep_expired(session, expired, received_at)
            envelopes += [status_envelope(s, received_at) for s in new_statuses]
            envelopes += [notification_envelope(n, received_at) for n in new_notes]
            if envelopes:
                await self._runtime.publish(envelopes)
        triaged.committed()
        if triaged.replies and self._runtime.relay is not None:
            self._runtime.relay.notify()
        if expired:
            log.warning(
                "messages_expired",
                count=len(expired),
                oldest_sent_at=min(m.sent_at for m in expired).isoformat(),
                reason="first seen after Meta's retry horizon: kept, not acted on",
            )
        result = IngestResult(
            messages=len(new_messages),
            statuses=len(new_statuses),
            duplicates=total - len(new_messages) - len(new_statuses) - len(new_notes),
            skipped=webhook.skipped,
            ignored=webhook.ignored,
            notifications=len(new_notes),
            expired=len(expired),
        )
        for m in new_messages:
            log.info(
                "message_received",
                wamid=m.wamid,
                wa_id=m.sender,
                type=m.message_type,
                user_id=triaged.user_ids.get(m.wamid),
            )
        if triaged.throttled or triaged.unregistered:
            log.info("messages_held", throttled=triaged.throttled, unregistered=triaged.unregistered)
        return result
