"""Messaging: envelope and contracts, the transport interface, outbox, inbox and consumers."""

from tasklane_common.messaging.broker import Broker, Delivery, OutgoingMessage, connect_broker
from tasklane_common.messaging.consumer import Consumer, HandlerContext
from tasklane_common.messaging.deadletters import DeadLetters, dead_letters_table
from tasklane_common.messaging.envelope import Envelope, Event, deterministic_id, new_envelope
from tasklane_common.messaging.inbox import inbox_table
from tasklane_common.messaging.outbox import Outbox, OutboxRelay, outbox_table

__all__ = [
    "Broker",
    "Consumer",
    "DeadLetters",
    "Delivery",
    "Envelope",
    "Event",
    "HandlerContext",
    "Outbox",
    "OutboxRelay",
    "OutgoingMessage",
    "connect_broker",
    "dead_letters_table",
    "deterministic_id",
    "inbox_table",
    "new_envelope",
    "outbox_table",
]
