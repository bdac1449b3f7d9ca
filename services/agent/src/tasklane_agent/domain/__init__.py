"""The agent's domain: tasks, projects, people and conversations, with their rules (deadlines,
priorities, languages, recurrence, names). Pure: it imports nothing from understanding
(``nlu``), persistence (``storage``) or the engines; they all import it."""

from tasklane_agent.domain.language import LANGS, Lang
from tasklane_agent.domain.model import (
    ConversationState,
    Profile,
    Progress,
    Project,
    Role,
    Status,
    Task,
    Turn,
)
from tasklane_agent.domain.priority import PRIORITY_RANK, Priority

__all__ = [
    "LANGS",
    "PRIORITY_RANK",
    "ConversationState",
    "Lang",
    "Priority",
    "Profile",
    "Progress",
    "Project",
    "Role",
    "Status",
    "Task",
    "Turn",
]
