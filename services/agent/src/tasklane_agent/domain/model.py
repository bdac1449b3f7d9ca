"""The agent's domain, as the rest of the agent sees it (rows are mapped to these by repositories).

A user is a person on one business number (``org_id``, the phone number id they write to). Users
of one number are strangers to each other until they share a *team* (``storage.teams``): an
admin's, or one they joined by accepting an invitation. Only teammates are found by name, get
tasks assigned, join each other's projects, and are told what the others did.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from tasklane_agent.domain.language import Lang
from tasklane_agent.domain.priority import Priority

Status = Literal["open", "done"]
Role = Literal["user", "assistant"]


@dataclass(frozen=True)
class Task:
    id: str
    user_id: str  # the owner: who created it
    title: str
    status: Status
    priority: Priority
    # UTC. A date-only deadline (due_has_time False) is a calendar day, stored floating as 00:00 UTC
    # of that day (see ``deadlines``).
    due_at: datetime | None
    due_has_time: bool
    source_wamid: str | None
    created_at: datetime
    updated_at: datetime
    completed_at: datetime | None = None
    org_id: str | None = None
    project_id: str | None = None
    assignee_id: str | None = None
    # Recurrence.to_rule() text: completing the task schedules the next occurrence.
    recurrence: str | None = None
    deleted_at: datetime | None = None


@dataclass(frozen=True)
class Project:
    id: str
    org_id: str
    owner_id: str
    name: str
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class Profile:
    """A user as the agent knows them: where to reach them, how to talk to them."""

    user_id: str
    org_id: str
    address: str  # wa_id, or the business-scoped user id of a user who hides their number
    name: str | None
    lang: Lang
    lang_source: str  # country | detected | user
    timezone: str
    timezone_source: str  # country | default | user
    updated_at: datetime | None = None  # their last message (or change), UTC


@dataclass(frozen=True)
class Progress:
    project: Project
    done: int
    open: int
    overdue: int
    next_due: Task | None
    members: tuple[Profile, ...] = ()


@dataclass(frozen=True)
class Turn:
    """One message of a conversation, kept as recent memory."""

    id: str
    user_id: str
    wamid: str
    role: Role
    text: str
    intent: str | None
    created_at: datetime


@dataclass
class ConversationState:
    """What the next message may refer to: the last list shown, the tasks just talked about, a
    question waiting for an answer, and the before-images of the last change (for "undo")."""

    user_id: str
    last_list: list[str] = field(default_factory=list)
    focus: list[str] = field(default_factory=list)
    pending: dict[str, Any] | None = None
    last_action: dict[str, Any] | None = None
    # When the conversation last moved (the previous turn): a follow-up without a pronoun only
    # means the task in focus while the exchange is fresh. Read, never written (saving stamps it).
    seen_at: datetime | None = None
