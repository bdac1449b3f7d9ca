"""Turning a parsed webhook into published events, exactly once from the consumers' view.

The rule is "nothing accepted is lost": Meta gets a 200 only after the broker confirmed every new
event. In one transaction the dedup keys are claimed and the users resolved, then the events are
published with confirms *before* the commit. If the publish fails the transaction rolls back, so
Meta's retry is not mistaken for a duplicate. If the commit fails after a confirmed publish, the
retry publishes again with the same deterministic event ids, and the consumers' inboxes drop it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from tasklane_common.logging import get_logger
from tasklane_common.messaging import Envelope, deterministic_id, new_envelope
from tasklane_common.messaging.contracts.gateway import MessageReceived, StatusReceived
from tasklane_common.runtime import ServiceRuntime
from tasklane_gateway.repository import GatewayRepository
from tasklane_gateway.webhook import InboundMessage, InboundStatus, ParsedWebhook

log = get_logger(__name__)

PRODUCER = "gateway"


@dataclass(frozen=True)
class IngestResult:
    messages: int
    statuses: int
    duplicates: int
    skipped: int
    ignored: int

    def as_dict(self) -> dict[str, int]:
        return {
            "messages": self.messages,
            "statuses": self.statuses,
            "duplicates": self.duplicates,
            "skipped": self.skipped,
            "ignored": self.ignored,
        }


def message_envelope(message: InboundMessage, user_id: str, received_at: datetime) -> Envelope:
    event = MessageReceived(
        wamid=message.wamid,
        phone_number_id=message.phone_number_id,
        display_phone_number=message.display_phone_number,
        user_id=user_id,
        wa_id=message.wa_id,
        profile_name=message.profile_name,
        message_type=message.message_type,
        text=message.text,
        reply_id=message.reply_id,
        context_wamid=message.context_wamid,
        sent_at=message.sent_at,
        received_at=received_at,
        raw=message.raw,
    )
    # The event id is the conversation turn's correlation id too (new_envelope's default).
    return new_envelope(
        event,
        producer=PRODUCER,
        event_id=deterministic_id("message.received", message.wamid),
        occurred_at=received_at,
    )


def status_envelope(status: InboundStatus, received_at: datetime) -> Envelope:
    event = StatusReceived(
        wamid=status.wamid,
        status=status.status,
        phone_number_id=status.phone_number_id,
        recipient_id=status.recipient_id,
        status_at=status.status_at,
        errors=status.errors,
        pricing=status.pricing,
        biz_opaque_callback_data=status.biz_opaque_callback_data,
    )
    return new_envelope(
        event,
        producer=PRODUCER,
        event_id=deterministic_id("status.received", status.wamid, status.status),
        occurred_at=received_at,
    )


class WebhookIngestor:
    def __init__(self, runtime: ServiceRuntime) -> None:
        self._runtime = runtime

    async def ingest(self, webhook: ParsedWebhook, received_at: datetime) -> IngestResult:
        """Publish the items not seen before. Raises PublishError (nothing committed) if the
        broker does not confirm, and SQLAlchemy errors if the database fails."""
        # A batch may carry one item twice: the first occurrence stands for both.
        messages = list({m.dedup_key: m for m in reversed(webhook.messages)}.values())[::-1]
        statuses = list({s.dedup_key: s for s in reversed(webhook.statuses)}.values())[::-1]
        keys = [m.dedup_key for m in messages] + [s.dedup_key for s in statuses]
        total = len(webhook.messages) + len(webhook.statuses)
        if not keys:
            return IngestResult(0, 0, 0, webhook.skipped, webhook.ignored)
        async with self._runtime.db.transaction() as session:
            repo = GatewayRepository(session)
            fresh = await repo.claim_items(keys, received_at)
            new_messages = [m for m in messages if m.dedup_key in fresh]
            new_statuses = [s for s in statuses if s.dedup_key in fresh]
            # Sorted so that concurrent webhooks lock user rows in the same order.
            user_ids: dict[tuple[str, str], str] = {}
            for m in sorted(new_messages, key=lambda m: (m.phone_number_id, m.sender)):
                ident = (m.phone_number_id, m.sender)
                if ident not in user_ids:
                    user_ids[ident] = await repo.user_for(*ident, m.profile_name, received_at)
            envelopes = [
                message_envelope(m, user_ids[(m.phone_number_id, m.sender)], received_at)
                for m in new_messages
            ] + [status_envelope(s, received_at) for s in new_statuses]
            if envelopes:
                await self._runtime.publish(envelopes)
        result = IngestResult(
            messages=len(new_messages),
            statuses=len(new_statuses),
            duplicates=total - len(new_messages) - len(new_statuses),
            skipped=webhook.skipped,
            ignored=webhook.ignored,
        )
        for m in new_messages:
            log.info(
                "message_received",
                wamid=m.wamid,
                wa_id=m.sender,
                type=m.message_type,
                user_id=user_ids[(m.phone_number_id, m.sender)],
            )
        return result
