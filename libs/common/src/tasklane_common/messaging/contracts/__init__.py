"""Event contracts, one module per producing service. Additive changes only.

Routing keys are the event types (``message.received``...). A consumer validates the payload
against the producer's contract; unknown extra fields are kept (``extra="allow"``) so a newer
producer never breaks an older consumer.
"""

from tasklane_common.messaging.contracts import agent, gateway, runtime, sender
from tasklane_common.messaging.envelope import Event

ALL_EVENTS: tuple[type[Event], ...] = (
    gateway.MessageReceived,
    gateway.StatusReceived,
    gateway.UserUnregistered,
    gateway.MessageThrottled,
    gateway.MessageExpired,
    gateway.UserNumberChanged,
    gateway.WhatsAppNotification,
    gateway.NumberConfigured,
    agent.ReplyRequested,
    agent.TaskCreated,
    agent.AgentReplied,
    sender.MessageSent,
    sender.MessageDelivered,
    sender.MessageRead,
    sender.MessageFailed,
    sender.SenderAlert,
    runtime.ReplicaHeartbeat,
    runtime.ControlCommand,
    runtime.AuditRecorded,
    runtime.DeadLetterChanged,
)

__all__ = ["ALL_EVENTS", "agent", "gateway", "runtime", "sender"]
