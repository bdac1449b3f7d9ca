"""The agent's persistence: its tables and one small repository per kind of row. Repositories
take a session and never commit; the turn or the request that uses them does."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tasklane_agent.storage.profiles import ProfileRepository
from tasklane_agent.storage.projects import ProjectRepository
from tasklane_agent.storage.tasks import TaskRepository
from tasklane_agent.storage.teams import TeamRepository


@dataclass(frozen=True)
class Store:
    """The repositories a workspace works through, all on one session (one transaction)."""

    tasks: TaskRepository
    projects: ProjectRepository
    profiles: ProfileRepository
    teams: TeamRepository

    @classmethod
    def on(cls, session: Any) -> Store:
        return cls(
            TaskRepository(session),
            ProjectRepository(session),
            ProfileRepository(session),
            TeamRepository(session),
        )
