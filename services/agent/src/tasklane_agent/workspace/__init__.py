"""Every operation on tasks, projects and teams, for one actor: the tools all engines and the REST API use.

A ``Workspace`` is bound to who acts (a user, or an admin key of the REST API) when it is built.
No method takes a user id to act for: a tool call can only name tasks, and a task the actor cannot
see does not exist for it (``NotFound``), whatever a message or a model asks. Nothing commits here;
what must leave the service (events, notices to teammates, reminder plans) is collected in
``effects`` and written by the caller in the same transaction.
"""

from __future__ import annotations

from tasklane_agent.domain.deadlines import is_overdue
from tasklane_agent.workspace.core import (
    UNSET,
    Conflict,
    Effects,
    Forbidden,
    NotFound,
    Notice,
    ReminderPlanner,
    TaskChanges,
    WorkspaceError,
    clean_title,
)
from tasklane_agent.workspace.teams import TeamTools

__all__ = [
    "UNSET",
    "Conflict",
    "Effects",
    "Forbidden",
    "NotFound",
    "Notice",
    "ReminderPlanner",
    "TaskChanges",
    "Workspace",
    "WorkspaceError",
    "clean_title",
    "is_overdue",
]


class Workspace(TeamTools):
    """Every tool for one actor (see the module docstring)."""
