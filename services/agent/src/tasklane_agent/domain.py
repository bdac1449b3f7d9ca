"""The task domain, as the rest of the agent sees it (rows are mapped to these by the repository)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from tasklane_agent.nlu.priority import Priority

Status = Literal["open", "done"]
Role = Literal["user", "assistant"]


@dataclass(frozen=True)
class Task:
    id: str
    user_id: str
    title: str
    status: Status
    priority: Priority
    # UTC. For a date-only deadline: 00:00 of that day in the user's timezone, due_has_time False.
    due_at: datetime | None
    due_has_time: bool
    source_wamid: str | None
    created_at: datetime
    updated_at: datetime
    completed_at: datetime | None = None


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
