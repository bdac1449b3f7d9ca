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
    # --- added with issue 15 (optional) ---
    # Set on a task reminder: its kind (``lead``: coming up, ``due``: due now).
    reminder: str | None = None
    # When the message this answers reached the gateway: the reply-latency SLO runs from there
    # (webhook in -> reply accepted by the Graph API), not from when the agent asked.
    received_at: datetime | None = None


class TaskCreated(Event):
    event_type = "task.created"

    task_id: str
    user_id: str
    title: str
    due_at: datetime | None = None
    priority: str = "normal"
    # --- added with issue 4 (optional: older consumers ignore them) ---
    due_has_time: bool = False
    org_id: str | None = None
    project_id: str | None = None
    assignee_id: str | None = None
    recurrence: str | None = None


class AgentReplied(Event):
    """The agent answered a message: what it understood and how long it took."""

    event_type = "agent.replied"

    user_id: str
    in_reply_to: str
    intent: str
    engine: str
    processing_ms: float
    # --- added with issue 15 (optional: older producers leave them out) ---
    # The business number the message came to, and whether the assistant understood it (False:
    # it answered with its fallback, "I did not understand").
    phone_number_id: str | None = None
    understood: bool | None = None


class TaskUpdated(Event):
    """A task changed: ``changes`` names each field that moved, with its new value."""

    event_type = "task.updated"

    task_id: str
    user_id: str
    actor_id: str | None = None
    changes: dict[str, Any] = Field(default_factory=dict)


class TaskCompleted(Event):
    event_type = "task.completed"

    task_id: str
    user_id: str
    actor_id: str | None = None
    next_task_id: str | None = None  # the next occurrence of a recurring task


class TaskDeleted(Event):
    event_type = "task.deleted"

    task_id: str
    user_id: str
    actor_id: str | None = None


class ProjectCreated(Event):
    event_type = "project.created"

    project_id: str
    org_id: str
    owner_id: str
    name: str


class ProjectMemberAdded(Event):
    event_type = "project.member_added"

    project_id: str
    user_id: str
    actor_id: str | None = None


class ProjectMemberRemoved(Event):
    event_type = "project.member_removed"

    project_id: str
    user_id: str
    actor_id: str | None = None


class ProjectRenamed(Event):
    event_type = "project.renamed"

    project_id: str
    name: str
    actor_id: str | None = None


class ProjectDeleted(Event):
    """The project is gone; its tasks were unlinked (each a ``task.updated``) and kept."""

    event_type = "project.deleted"

    project_id: str
    actor_id: str | None = None
