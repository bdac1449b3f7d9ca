"""What happens to a message from a sender without a mapping.

A number's access policy decides: ``open`` registers unknown senders automatically (each one a user
alone, until they share a team in the agent), ``mapped`` serves only the numbers an admin mapped.
The policy is the number's own in the integrations (stored as ``phone_numbers.auto_register``), or,
for a number not in the integrations, the gateway's ``access_policy`` setting (``open`` by default,
so the zero-config demo works). A message from an unmapped sender on a ``mapped`` number is not
processed: the sender is counted in ``unregistered_contacts``, every such message yields a
``user.unregistered`` event, and the sender gets one registration reply at most every 24 hours per
number (a ``reply.requested`` through the outbox, so it leaves once the webhook committed).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from tasklane_common.logging import get_logger
from tasklane_common.messaging import Envelope, deterministic_id, new_envelope
from tasklane_common.messaging.contracts.agent import ReplyRequested
from tasklane_common.messaging.contracts.gateway import UserUnregistered
from tasklane_common.messaging.outbox import Outbox
from tasklane_gateway import contacts_repository as repo
from tasklane_gateway.contacts import Identity
from tasklane_gateway.events import PRODUCER
from tasklane_gateway.settings import GatewaySettings
from tasklane_gateway.webhook import InboundMessage

log = get_logger(__name__)

PROMPT_INTERVAL = timedelta(hours=24)


def is_system(message: InboundMessage) -> bool:
    """Notices Meta writes on the user's behalf (number changed...): never answered."""
    return message.message_type == "system"


def unregistered_user_id(identity: Identity) -> str:
    """``reply.requested`` names a user; an unregistered sender has none, so a stable stand-in."""
    return deterministic_id("unregistered", identity.phone_number_id, identity.sender)


@dataclass
class Unregistered:
    events: list[Envelope] = field(default_factory=list)
    prompted: int = 0


class Registration:
    def __init__(self, settings: GatewaySettings, outbox: Outbox) -> None:
        self._default = settings.access_policy == "open"
        self._text = settings.registration_reply_text
        self._outbox = outbox

    async def auto_registers(self, session: AsyncSession, phone_number_id: str) -> bool:
        own = await repo.auto_register_of(session, phone_number_id)
        return self._default if own is None else own

    async def unknown_sender(
        self,
        session: AsyncSession,
        identity: Identity,
        messages: list[InboundMessage],
        now: datetime,
    ) -> Unregistered:
        """Count the sender's messages, maybe prompt them, and say so in events."""
        last_prompted = await repo.note_unregistered(
            session,
            phone_number_id=identity.phone_number_id,
            sender=identity.sender,
            wa_id=identity.wa_id,
            bsuid=identity.bsuid,
            profile_name=identity.profile_name,
            messages=len(messages),
            now=now,
        )
        trigger = next((m for m in messages if not is_system(m)), None)
        if trigger is not None and last_prompted is not None and now - last_prompted < PROMPT_INTERVAL:
            trigger = None
        out = Unregistered()
        if trigger is not None:
            await repo.mark_prompted(session, identity.phone_number_id, identity.sender, now)
            reply_id = deterministic_id("registration-reply", trigger.wamid)
            await self._outbox.add(
                session,
                ReplyRequested(
                    reply_id=reply_id,
                    phone_number_id=identity.phone_number_id,
                    to=identity.sender,
                    user_id=unregistered_user_id(identity),
                    kind="text",
                    content={"body": self._text, "preview_url": False},
                    in_reply_to=trigger.wamid,
                ),
                event_id=reply_id,
            )
            out.prompted = 1
        for message in messages:
            event = UserUnregistered(
                phone_number_id=identity.phone_number_id,
                wa_id=identity.sender,
                wamid=message.wamid,
                bsuid=identity.bsuid,
                profile_name=identity.profile_name,
                prompted=message is trigger,
            )
            out.events.append(
                new_envelope(
                    event,
                    producer=PRODUCER,
                    event_id=deterministic_id("user.unregistered", message.wamid),
                    occurred_at=now,
                )
            )
        log.info(
            "sender_unregistered",
            wa_id=identity.sender,
            phone_number_id=identity.phone_number_id,
            messages=len(messages),
            prompted=trigger is not None,
        )
        return out
