"""Every queue of the system and what it subscribes to, declared in one place.

Each service declares the whole topology at start-up (declarations are idempotent). A queue
therefore exists, and collects its events, from the moment any service first runs, even if its
own consumer is deployed later; and a publish that no queue would take is refused by the broker
(``mandatory``) instead of vanishing.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class QueueSpec:
    name: str
    bindings: tuple[str, ...]


AGENT_INBOUND = QueueSpec("agent.inbound", ("message.received",))
# The wamid of each reply the sender sent: a reaction to it names the task the reply was about.
AGENT_SENT = QueueSpec("agent.sent", ("message.sent",))
SENDER_REPLIES = QueueSpec("sender.replies", ("reply.requested",))
SENDER_STATUSES = QueueSpec("sender.statuses", ("status.received",))
# Inbound messages open the 24-hour window and get their read receipt and typing indicator.
SENDER_INBOUND = QueueSpec("sender.inbound", ("message.received",))
# Phone numbers and their (sealed) access tokens, configured in the gateway.
SENDER_INTEGRATIONS = QueueSpec("sender.integrations", ("integration.*",))
ANALYTICS_EVENTS = QueueSpec("analytics.events", ("#",))
# Every service's audit rows and dead-letter records, for analytics' operations read models.
ANALYTICS_OPERATIONS = QueueSpec("analytics.operations", ("audit.recorded", "dead_letter.changed"))

ALL_QUEUES: tuple[QueueSpec, ...] = (
    AGENT_INBOUND,
    AGENT_SENT,
    SENDER_REPLIES,
    SENDER_STATUSES,
    SENDER_INBOUND,
    SENDER_INTEGRATIONS,
    ANALYTICS_EVENTS,
    ANALYTICS_OPERATIONS,
)

EXCHANGE = "tasklane.events"
# Heartbeats and operators' commands (tasklane_common.control): state, not history, so kept off
# the events exchange (and so out of analytics' event log and every durable queue).
CONTROL_EXCHANGE = "tasklane.control"
DEAD_LETTER_EXCHANGE = "tasklane.dlx"


def dead_letter_queue(name: str) -> str:
    return f"{name}.dlq"


def topic_matches(pattern: str, routing_key: str) -> bool:
    """AMQP topic matching: ``*`` is one word, ``#`` zero or more."""
    return _match(pattern.split("."), routing_key.split("."))


def _match(pat: list[str], key: list[str]) -> bool:
    if not pat:
        return not key
    head, rest = pat[0], pat[1:]
    if head == "#":
        return any(_match(rest, key[i:]) for i in range(len(key) + 1))
    if not key:
        return False
    return (head in ("*", key[0])) and _match(rest, key[1:])
