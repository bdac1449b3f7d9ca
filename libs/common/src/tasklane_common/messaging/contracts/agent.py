"""Events published by the agent."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import Field

from tasklane_common.messaging.envelope import Event


class ReplyRequested(Event):
    """Ask the sender to deliver a message to a user.

    ``kind`` is the WhatsApp message type (``text``, ``interactive``...); ``content`` is the body of
    that type as the Graph API expects it, so the sender stays free of conversation logic.
    """

    event_type = "reply.requested"

    reply_id: str
    phone_number_id: str
    to: str
    user_id: str
    kind: str = "text"
    content: dict[str, Any] = Field(default_factory=dict)
    in_reply_to: str | None = None


class TaskCreated(Event):
    event_type = "task.created"

    task_id: str
    user_id: str
    title: str
    due_at: datetime | None = None
    priority: str = "normal"


class AgentReplied(Event):
    """The agent answered a message: what it understood and how long it took."""

    event_type = "agent.replied"

    user_id: str
    in_reply_to: str
    intent: str
    engine: str
    processing_ms: float
