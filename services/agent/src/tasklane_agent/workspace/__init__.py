"""Every operation on tasks, projects and teams, for one actor: the tools all engines and the REST API use.

A ``Workspace`` is bound to who acts (a user, or an admin key of the REST API) when it is built.
No method takes a user id to act for: a tool call can only name tasks, and a task the actor cannot
see does not exist for it (``NotFound``), whatever a message or a model asks. Nothing commits here;
what must leave the service (events, notices to teammates, reminder plans) is collected in
``core.effects`` and written by the caller in the same transaction.

One class composed of parts, each a module of this package: ``core`` (who acts, visibility, the
effects, the repositories in ``core.store``), ``tasks``, ``projects`` and ``teams``. A part calls
another through what it was given (projects and teams change tasks through ``tasks``), never by
inheriting it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from tasklane_agent.domain import Profile
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
    WorkspaceCore,
    WorkspaceError,
    clean_title,
)
from tasklane_agent.workspace.projects import ProjectTools
from tasklane_agent.workspace.tasks import TaskTools
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
    "WorkspaceCore",
    "WorkspaceError",
    "clean_title",
    "is_overdue",
]


class Workspace:
    """Every tool for one actor (see the module docstring)."""

    def __init__(
        self,
        session: Any,
        actor: Profile | None,
        *,
        now: datetime,
        seed: str,
        org_id: str | None = None,
        planner: ReminderPlanner | None = None,
        source_wamid: str | None = None,
    ) -> None:
        """``actor`` None is the admin API: every task of ``org_id`` (or all). ``seed`` is what ids
        made here derive from (the inbound message's envelope id); ``source_wamid`` the WhatsApp
        message that asked for what is created here."""
        self.core = WorkspaceCore(
            session, actor, now=now, seed=seed, org_id=org_id, planner=planner, source_wamid=source_wamid
        )
        self.tasks = TaskTools(self.core)
        self.projects = ProjectTools(self.core, self.tasks)
        self.teams = TeamTools(self.core, self.tasks)
