"""The parts every workspace tool shares: who acts, the errors, the effects collected for the
caller, and the lookups that enforce visibility (see :mod:`tasklane_agent.workspace`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from tasklane_agent.domain import Profile, Project, Task
from tasklane_agent.domain.deadlines import stored_due, zone
from tasklane_agent.domain.priority import Priority
from tasklane_agent.storage import Store
from tasklane_agent.storage.rows import snapshot
from tasklane_agent.storage.tasks import TaskScope
from tasklane_common.messaging import deterministic_id
from tasklane_common.messaging.envelope import Event

MAX_TITLE = 300
UNSET: Any = object()


class WorkspaceError(Exception):
    """A tool call that cannot be carried out; ``code`` is stable, the message is for logs/LLMs."""

    code = "invalid"


class NotFound(WorkspaceError):
    code = "not_found"


class Forbidden(WorkspaceError):
    code = "forbidden"


class Conflict(WorkspaceError):
    code = "conflict"


class DateOutOfRange(WorkspaceError):
    """A due date outside 1970 to 2200: a typo ("31/12/9999"), past what dates can do safely."""

    code = "date_range"


EARLIEST_DUE = datetime(1970, 1, 1, tzinfo=UTC)
LATEST_DUE = datetime(2200, 1, 1, tzinfo=UTC)


def check_due(due_at: datetime | None) -> None:
    if due_at is not None and not EARLIEST_DUE <= due_at < LATEST_DUE:
        raise DateOutOfRange(f"due dates must fall between 1970 and 2200, not {due_at.date()}")


def stored_deadline(due_at: datetime | None, has_time: bool) -> datetime | None:
    """The stored deadline (``deadlines.stored_due``), refused rather than crashed on past what
    dates can hold: "31/12/9999 23:59" west of UTC is past year 9999 in UTC."""
    try:
        due = stored_due(due_at, has_time)
    except OverflowError:
        raise DateOutOfRange("due dates must fall between 1970 and 2200") from None
    check_due(due)
    return due


class ReminderPlanner(Protocol):
    """Keeps a task's reminders in line with it (see ``reminders``)."""

    async def plan(self, task: Task, owner_timezone: str) -> None: ...


@dataclass(frozen=True)
class Notice:
    """Something a teammate must be told, rendered later in their language."""

    to: Profile
    key: str
    params: dict[str, Any]
    # Reply buttons: (id, catalogue key of the label).
    buttons: tuple[tuple[str, str], ...] = ()


@dataclass
class Effects:
    events: list[tuple[Event, str]] = field(default_factory=list)
    notices: list[Notice] = field(default_factory=list)
    # Before-images of the tasks changed (None: created now), for "undo".
    before: dict[str, dict[str, Any] | None] = field(default_factory=dict)


@dataclass(frozen=True)
class TaskChanges:
    title: str | None = None
    priority: Priority | None = None
    due_at: datetime | None = UNSET  # None clears the due date
    due_has_time: bool = False
    recurrence: str | None = UNSET
    project_id: str | None = UNSET
    assignee_id: str | None = UNSET


def clean_title(title: str) -> str:
    title = " ".join(title.split())
    if not title:
        raise WorkspaceError("a task needs a title")
    return title if len(title) <= MAX_TITLE else title[: MAX_TITLE - 1] + "…"


class WorkspaceCore:
    """Who acts, what they may see, and what their actions leave for the caller: the part every
    tool of a :class:`~tasklane_agent.workspace.Workspace` shares."""

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
        """``actor`` None is the admin API: every task of ``org_id`` (or all). ``source_wamid`` is
        the WhatsApp message that asked for what is created here."""
        self.source_wamid = source_wamid
        self.actor = actor
        self.org_id = actor.org_id if actor is not None else org_id
        self.now = now.astimezone(UTC)
        self.scope = TaskScope(actor.user_id if actor else None, None if actor else org_id)
        self.store = Store.on(session)
        self.planner = planner
        self.effects = Effects()
        self._seed = seed
        self._ids = 0

    @property
    def actor_id(self) -> str | None:
        return self.actor.user_id if self.actor else None

    @property
    def seed(self) -> str:
        """What ids made in this workspace derive from (the inbound message's envelope id)."""
        return self._seed

    @property
    def ids_made(self) -> int:
        """How many ids this workspace has made: the next one is ``new_id``'s ``ids_made + 1``."""
        return self._ids

    @property
    def tz(self) -> ZoneInfo:
        return zone(self.actor.timezone if self.actor else None)

    def new_id(self, kind: str) -> str:
        # Stable across a replay of the same inbound message (the seed is its envelope id).
        self._ids += 1
        return deterministic_id(kind, self._seed, str(self._ids))

    def emit(self, event: Event, key: str) -> None:
        self.effects.events.append((event, deterministic_id(event.event_type, self._seed, key)))

    def remember(self, task: Task) -> None:
        if task.id not in self.effects.before:
            self.effects.before[task.id] = snapshot(task)

    async def replan(self, task: Task, *, zone: str | None = None) -> None:
        """Plan the task's reminders in the timezone of whoever does it (its assignee, or its
        owner), unless ``zone`` says which."""
        if self.planner is None:
            return
        if zone is None:
            doer_id = task.assignee_id or task.user_id
            doer = self.actor if self.actor and self.actor.user_id == doer_id else None
            doer = doer or await self.store.profiles.get(doer_id)
            zone = doer.timezone if doer else "UTC"
        await self.planner.plan(task, zone)

    async def task(self, task_id: str, *, lock: bool = False) -> Task:
        task = await self.store.tasks.get(task_id, self.scope, for_update=lock)
        if task is None:
            raise NotFound(f"no task {task_id!r} visible to you")
        return task

    async def teammate(self, user_id: str, owner_id: str) -> Profile:
        """``user_id`` as someone who may work on ``owner_id``'s task: they share a team. Sharing
        a number is not enough, or any stranger could hand their text to any user."""
        found = await self.store.profiles.get(user_id)
        if found is None or not await self.store.teams.share_team(owner_id, user_id):
            raise NotFound("no such teammate in your team")
        return found

    async def notify(self, to: Profile, key: str, params: dict[str, Any]) -> None:
        """Tell ``to`` what the actor did, only while they share a team: what a notice carries (a
        title, a project's name) is the actor's text, and the business number must not carry it
        to anyone outside the actor's team."""
        if self.actor is not None and (
            to.user_id == self.actor.user_id
            or not await self.store.teams.share_team(self.actor.user_id, to.user_id)
        ):
            return
        self.effects.notices.append(Notice(to, key, params))

    async def may_see(self, project: Project) -> bool:
        return self.actor is None or await self.store.projects.is_member(project.id, self.actor.user_id)

    async def project_for_task(self, project_id: str | None) -> Project | None:
        if project_id is None:
            return None
        project = await self.store.projects.get(project_id)
        if project is None or not await self.may_see(project):
            raise NotFound(f"no project {project_id!r} visible to you")
        return project

    async def project(self, project_id: str) -> Project:
        project = await self.store.projects.get(project_id)
        if project is None or not await self.may_see(project):
            raise NotFound(f"no project {project_id!r} visible to you")
        return project
