"""What becomes of each new inbound message: published, throttled, or held for registration.

Runs inside the webhook's transaction, after the dedup keys were claimed, so every decision here
is taken once per message whatever Meta retries. Rows are locked in a fixed order (users and
unregistered senders by (number, sender), rate counters by user id) so that concurrent webhooks
cannot deadlock.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from tasklane_common.messaging import Envelope, deterministic_id, new_envelope
from tasklane_common.messaging.contracts.gateway import UserNumberChanged
from tasklane_common.messaging.outbox import Outbox
from tasklane_common.runtime import ServiceRuntime
from tasklane_gateway.contacts import ContactBook, Identity, Lookup
from tasklane_gateway.contacts_repository import Contact
from tasklane_gateway.events import PRODUCER, message_envelope
from tasklane_gateway.ratelimit import InboundRateLimit
from tasklane_gateway.registration import Registration, is_system
from tasklane_gateway.settings import GatewaySettings
from tasklane_gateway.tables import inbound_rate, throttled_messages, unregistered_contacts
from tasklane_gateway.webhook import InboundMessage

NUMBER_CHANGED = "user_changed_number"
# A sender silent this long is forgotten (and prompted again if they come back).
UNREGISTERED_RETENTION = timedelta(days=90)
# Rate-limit windows are one minute; an hour of them is plenty for an operator to look at.
RATE_RETENTION = timedelta(hours=1)


def retain_contacts(runtime: ServiceRuntime, settings: GatewaySettings) -> None:
    """Prune the contacts tables that only matter for a while."""
    runtime.retain(
        inbound_rate, aged_by=inbound_rate.c.window_start, key=inbound_rate.c.user_id, keep=RATE_RETENTION
    )
    runtime.retain(
        throttled_messages,
        aged_by=throttled_messages.c.received_at,
        key=throttled_messages.c.wamid,
        keep=timedelta(days=settings.dedup_retention_days),
    )
    runtime.retain(
        unregistered_contacts,
        aged_by=unregistered_contacts.c.last_seen_at,
        key=unregistered_contacts.c.sender,
        keep=UNREGISTERED_RETENTION,
    )


@dataclass
class Triaged:
    # message.received for the admitted messages, then every other event, in Meta's order.
    envelopes: list[Envelope] = field(default_factory=list)
    user_ids: dict[str, str] = field(default_factory=dict)
    throttled: int = 0
    unregistered: int = 0
    # reply.requested rows were added to the outbox: wake the relay once committed.
    replies: int = 0
    lookup: Lookup | None = None

    def committed(self) -> None:
        if self.lookup is not None:
            self.lookup.committed()


def new_number_of(message: InboundMessage) -> str | None:
    """The new wa_id of a ``user_changed_number`` notice (``wa_id``; ``new_wa_id`` in older
    API versions)."""
    system = message.system or {}
    if message.message_type != "system" or system.get("type") != NUMBER_CHANGED:
        return None
    for key in ("wa_id", "new_wa_id"):
        value = system.get(key)
        if isinstance(value, str | int) and not isinstance(value, bool) and str(value).strip():
            return str(value).strip()
    return None


class Triage:
    def __init__(self, settings: GatewaySettings, outbox: Outbox) -> None:
        self.book = ContactBook(settings.contacts_cache_ttl_s, settings.contacts_cache_max_entries)
        self.registration = Registration(settings, outbox)
        self.rate_limit = InboundRateLimit(
            settings.inbound_rate_limit_per_minute, settings.slow_down_reply_text, outbox
        )

    async def route(self, session: AsyncSession, messages: list[InboundMessage], now: datetime) -> Triaged:
        out = Triaged()
        if not messages:
            return out
        lookup = out.lookup = await self.book.lookup(session)
        by_sender: dict[tuple[str, str], tuple[Identity, list[InboundMessage]]] = {}
        for message in messages:
            identity = Identity.of(message)
            by_sender.setdefault(identity.ref, (identity, []))[1].append(message)
        known = await lookup.resolve((i for i, _ in by_sender.values()), now)
        extra: list[Envelope] = []
        auto: dict[str, bool] = {}
        for ref, (identity, sent) in sorted(by_sender.items()):
            if ref in known:
                continue
            number = identity.phone_number_id
            if number not in auto:
                auto[number] = await self.registration.auto_registers(session, number)
            if auto[number]:
                known[ref] = await lookup.register(identity, now)
                continue
            held = await self.registration.unknown_sender(session, identity, sent, now)
            extra += held.events
            out.unregistered += len(sent)
            out.replies += held.prompted

        per_user: dict[str, tuple[Contact, list[InboundMessage]]] = {}
        for message in messages:
            contact = known.get(Identity.of(message).ref)
            if contact is None:
                continue
            out.user_ids[message.wamid] = contact.user_id
            new_number = new_number_of(message)
            if new_number is not None:
                extra += await self._number_changed(lookup, contact, message, new_number, now)
            if not is_system(message):
                per_user.setdefault(contact.user_id, (contact, []))[1].append(message)

        throttled: set[str] = set()
        for _user_id, (contact, sent) in sorted(per_user.items()):
            admission = await self.rate_limit.admit(session, contact, sent, now)
            throttled.update(m.wamid for m in admission.throttled)
            extra += admission.events
            out.replies += admission.slowed_down
        out.throttled = len(throttled)
        out.envelopes = [
            message_envelope(m, out.user_ids[m.wamid], now)
            for m in messages
            if m.wamid in out.user_ids and m.wamid not in throttled
        ] + extra
        return out

    async def _number_changed(
        self, lookup: Lookup, contact: Contact, message: InboundMessage, new_wa_id: str, now: datetime
    ) -> list[Envelope]:
        old_wa_id = contact.wa_id
        moved = await lookup.change_number(contact, new_wa_id, now)
        if moved is None or old_wa_id is None:
            return []
        event = UserNumberChanged(
            user_id=moved.user_id,
            phone_number_id=moved.phone_number_id,
            old_wa_id=old_wa_id,
            new_wa_id=new_wa_id,
        )
        return [
            new_envelope(
                event,
                producer=PRODUCER,
                event_id=deterministic_id("user.number_changed", message.wamid),
                occurred_at=now,
            )
        ]
