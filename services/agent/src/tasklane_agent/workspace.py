"""Every operation on tasks and projects, for one actor: the tools all engines and the REST API use.

A ``Workspace`` is bound to who acts (a user, or an admin key of the REST API) when it is built.
No method takes a user id to act for: a tool call can only name tasks, and a task the actor cannot
see does not exist for it (``NotFound``), whatever a message or a model asks. Nothing commits here;
what must leave the service (events, notices to teammates, reminder plans) is collected in
``effects`` and written by the caller in the same transaction.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from tasklane_agent.domain import PRIORITY_RANK, Profile, Progress, Project, Task
from tasklane_agent.names import name_key
from tasklane_agent.nlu.priority import Priority
from tasklane_agent.nlu.recurrence import Recurrence
from tasklane_agent.profiles import ProfileRepository
from tasklane_agent.projects_repository import ProjectRepository
from tasklane_agent.rows import task_values, utc
from tasklane_agent.tasks_repository import TaskFilter, TaskRepository, TaskScope
from tasklane_common.messaging import deterministic_id
from tasklane_common.messaging.contracts.agent import (
    ProjectCreated,
    ProjectMemberAdded,
    TaskCompleted,
    TaskCreated,
    TaskDeleted,
    TaskUpdated,
)
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


class ReminderPlanner(Protocol):
    """Keeps a task's reminders in line with it (see ``reminders``)."""

    async def plan(self, task: Task, owner_timezone: str) -> None: ...


@dataclass(frozen=True)
class Notice:
    """Something a teammate must be told, rendered later in their language."""

    to: Profile
    key: str
    params: dict[str, Any]


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


class Workspace:
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
        self.tasks = TaskRepository(session)
        self.projects = ProjectRepository(session)
        self.profiles = ProfileRepository(session)
        self.planner = planner
        self.effects = Effects()
        self._seed = seed
        self._ids = 0

    # ------------------------------------------------------------------ helpers

    @property
    def actor_id(self) -> str | None:
        return self.actor.user_id if self.actor else None

    @property
    def seed(self) -> str:
        """What ids made in this workspace derive from (the inbound message's envelope id)."""
        return self._seed

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.actor.timezone if self.actor else "UTC")

    def _new_id(self, kind: str) -> str:
        # Stable across a replay of the same inbound message (the seed is its envelope id).
        self._ids += 1
        return deterministic_id(kind, self._seed, str(self._ids))

    def _emit(self, event: Event, key: str) -> None:
        self.effects.events.append((event, deterministic_id(event.event_type, self._seed, key)))

    def _remember(self, task: Task) -> None:
        if task.id not in self.effects.before:
            # JSON-ready: it is kept in the conversation state until the next change.
            self.effects.before[task.id] = {
                k: v.isoformat() if isinstance(v, datetime) else v for k, v in task_values(task).items()
            }

    async def _replan(self, task: Task) -> None:
        if self.planner is None:
            return
        # The owner's zone: a date-only deadline is stored as 00:00 of the day in it. The
        # reminder itself goes to whoever does the task (its assignee, or its owner).
        owner = self.actor if self.actor and self.actor.user_id == task.user_id else None
        owner = owner or await self.profiles.get(task.user_id)
        await self.planner.plan(task, owner.timezone if owner else "UTC")

    async def task(self, task_id: str) -> Task:
        task = await self.tasks.get(task_id, self.scope)
        if task is None:
            raise NotFound(f"no task {task_id!r} visible to you")
        return task

    # ------------------------------------------------------------------ tasks

    async def create_task(
        self,
        title: str,
        *,
        priority: Priority = "normal",
        due_at: datetime | None = None,
        due_has_time: bool = False,
        recurrence: str | None = None,
        project_id: str | None = None,
        assignee_id: str | None = None,
        owner_id: str | None = None,
        source_wamid: str | None = None,
    ) -> Task:
        owner = self.actor_id or owner_id
        if owner is None:
            raise WorkspaceError("owner_id is required when no user acts")
        if recurrence is not None:
            Recurrence.from_rule(recurrence)  # refuses a malformed rule before it is stored
        project = await self._project_for_task(project_id)
        if assignee_id is not None:
            await self._teammate(assignee_id)  # refused before anything is written
        task = Task(
            id=self._new_id("task"),
            user_id=owner,
            title=clean_title(title),
            status="open",
            priority=priority,
            due_at=utc(due_at),
            due_has_time=due_has_time and due_at is not None,
            source_wamid=source_wamid or self.source_wamid,
            created_at=self.now,
            updated_at=self.now,
            org_id=self.org_id,
            project_id=project.id if project else None,
            recurrence=recurrence,
        )
        await self.tasks.insert(task)
        self.effects.before[task.id] = None
        self._emit(
            TaskCreated(
                task_id=task.id, user_id=owner, title=task.title, due_at=task.due_at, priority=priority
            ),
            task.id,
        )
        if assignee_id is not None and assignee_id != owner:
            task = await self._assign(task, assignee_id)
        await self._replan(task)
        return task

    async def get_task(self, task_id: str) -> Task:
        return await self.task(task_id)

    async def list_tasks(self, f: TaskFilter) -> list[Task]:
        return await self.tasks.query(self.scope, f)

    async def count_tasks(self, f: TaskFilter) -> int:
        return await self.tasks.count(self.scope, f)

    async def tasks_by_id(self, task_ids: list[str]) -> list[Task]:
        return await self.tasks.get_many(task_ids, self.scope)

    async def find_tasks(self, query: str, *, status: str | None = "open", limit: int = 10) -> list[Task]:
        """Tasks whose title holds every word of ``query``; failing that, any of its words, best
        matches first."""
        words = tuple(w for w in name_key(query).split() if len(w) > 1) or tuple(name_key(query).split())
        if not words:
            return []
        found = await self.tasks.query(self.scope, TaskFilter(status=status, title_words=words, limit=limit))
        if found or len(words) == 1:
            return found
        scored: dict[str, tuple[int, Task]] = {}
        for word in words:
            if len(word) < 3:
                continue
            for task in await self.tasks.query(
                self.scope, TaskFilter(status=status, title_words=(word,), limit=limit)
            ):
                hits = scored.get(task.id, (0, task))[0] + 1
                scored[task.id] = (hits, task)
        best = max((hits for hits, _ in scored.values()), default=0)
        return [task for hits, task in scored.values() if hits == best][:limit]

    async def update_task(self, task_id: str, changes: TaskChanges) -> Task:
        task = await self.task(task_id)
        if changes.assignee_id not in (UNSET, None):
            await self._teammate(changes.assignee_id, task.org_id)  # refused before anything is written
        self._remember(task)
        updated = task
        moved: dict[str, Any] = {}
        if changes.title is not None:
            updated = dataclasses.replace(updated, title=clean_title(changes.title))
            moved["title"] = updated.title
        if changes.priority is not None:
            updated = dataclasses.replace(updated, priority=changes.priority)
            moved["priority"] = changes.priority
        if changes.due_at is not UNSET:
            due = utc(changes.due_at)
            updated = dataclasses.replace(
                updated, due_at=due, due_has_time=bool(changes.due_has_time and due is not None)
            )
            moved["due_at"] = due.isoformat() if due else None
        if changes.recurrence is not UNSET:
            if changes.recurrence is not None:
                Recurrence.from_rule(changes.recurrence)
            updated = dataclasses.replace(updated, recurrence=changes.recurrence)
            moved["recurrence"] = changes.recurrence
        if changes.project_id is not UNSET:
            project = await self._project_for_task(changes.project_id)
            updated = dataclasses.replace(updated, project_id=project.id if project else None)
            moved["project_id"] = updated.project_id
        updated = dataclasses.replace(updated, updated_at=self.now)
        await self.tasks.save(updated)
        if changes.assignee_id is not UNSET:
            updated = await self._assign(updated, changes.assignee_id)
            moved["assignee_id"] = updated.assignee_id
        if moved:
            self._emit(
                TaskUpdated(task_id=task.id, user_id=task.user_id, actor_id=self.actor_id, changes=moved),
                f"{task.id}:{self._ids}:{len(self.effects.events)}",
            )
        await self._replan(updated)
        return updated

    async def complete_task(self, task_id: str) -> tuple[Task, Task | None]:
        """The completed task, and the next occurrence when it repeats."""
        task = await self.task(task_id)
        if task.status == "done":
            return task, None
        self._remember(task)
        done = dataclasses.replace(task, status="done", completed_at=self.now, updated_at=self.now)
        await self.tasks.save(done)
        following = await self._next_occurrence(done)
        self._emit(
            TaskCompleted(
                task_id=task.id,
                user_id=task.user_id,
                actor_id=self.actor_id,
                next_task_id=following.id if following else None,
            ),
            f"{task.id}:done",
        )
        if self.actor is not None and task.user_id != self.actor.user_id:
            owner = await self.profiles.get(task.user_id)
            if owner is not None:
                self.effects.notices.append(
                    Notice(owner, "notice_completed", {"who": self.actor.name or "", "title": task.title})
                )
        await self._replan(done)
        return done, following

    async def _next_occurrence(self, done: Task) -> Task | None:
        if not done.recurrence or done.due_at is None:
            return None
        owner = await self.profiles.get(done.user_id)
        tz = ZoneInfo(owner.timezone if owner else "UTC")
        rule = Recurrence.from_rule(done.recurrence)
        following_at = rule.next_after(done.due_at.astimezone(tz))
        # Completing late must not schedule an occurrence that is already overdue.
        while following_at.astimezone(UTC) < self.now and rule.freq != "yearly":
            following_at = rule.next_after(following_at)
        following = dataclasses.replace(
            done,
            id=self._new_id("task"),
            status="open",
            completed_at=None,
            due_at=following_at.astimezone(UTC),
            created_at=self.now,
            updated_at=self.now,
        )
        await self.tasks.insert(following)
        self.effects.before[following.id] = None
        self._emit(
            TaskCreated(
                task_id=following.id,
                user_id=following.user_id,
                title=following.title,
                due_at=following.due_at,
                priority=following.priority,
            ),
            following.id,
        )
        await self._replan(following)
        return following

    async def reopen_task(self, task_id: str) -> Task:
        task = await self.task(task_id)
        if task.status == "open":
            return task
        self._remember(task)
        reopened = dataclasses.replace(task, status="open", completed_at=None, updated_at=self.now)
        await self.tasks.save(reopened)
        self._emit(
            TaskUpdated(
                task_id=task.id, user_id=task.user_id, actor_id=self.actor_id, changes={"status": "open"}
            ),
            f"{task.id}:reopen",
        )
        await self._replan(reopened)
        return reopened

    async def may_delete(self, task: Task) -> bool:
        """Only a task's owner, or the owner of its project, may delete it (admins may)."""
        if self.actor is None or task.user_id == self.actor.user_id:
            return True
        project = await self.projects.get(task.project_id) if task.project_id else None
        return project is not None and project.owner_id == self.actor.user_id

    async def delete_task(self, task_id: str) -> Task:
        task = await self.task(task_id)
        if not await self.may_delete(task):
            raise Forbidden("only the task's owner (or its project's owner) can delete it")
        self._remember(task)
        deleted = dataclasses.replace(task, deleted_at=self.now, updated_at=self.now)
        await self.tasks.save(deleted)
        self._emit(TaskDeleted(task_id=task.id, user_id=task.user_id, actor_id=self.actor_id), task.id)
        await self._replan(deleted)
        return deleted

    async def undo(self, before: dict[str, dict[str, Any] | None]) -> list[Task]:
        """Put the tasks of a previous change back as they were (created ones are deleted)."""
        restored: list[Task] = []
        for task_id, image in before.items():
            current = await self.tasks.get(task_id, self.scope, deleted=True)
            if current is None:
                continue
            self._remember(current)
            if image is None:
                back = dataclasses.replace(current, deleted_at=self.now, updated_at=self.now)
            else:
                back = dataclasses.replace(current, **_image_fields(image), updated_at=self.now)
            await self.tasks.save(back)
            self._emit(
                TaskUpdated(
                    task_id=task_id, user_id=back.user_id, actor_id=self.actor_id, changes={"undo": True}
                ),
                f"{task_id}:undo",
            )
            await self._replan(back)
            restored.append(back)
        return restored

    async def _teammate(self, user_id: str, org_id: str | None = None) -> Profile:
        found = await self.profiles.get(user_id)
        if found is None or found.org_id != (org_id or self.org_id):
            raise NotFound("no such teammate in your organisation")
        return found

    async def _assign(self, task: Task, assignee_id: str | None) -> Task:
        assignee = await self._teammate(assignee_id, task.org_id) if assignee_id is not None else None
        assigned = dataclasses.replace(task, assignee_id=assignee_id, updated_at=self.now)
        await self.tasks.save(assigned)
        if task.project_id and assignee_id:
            await self.projects.add_member(task.project_id, assignee_id, self.now)
        if assignee is not None and assignee.user_id != self.actor_id:
            self.effects.notices.append(
                Notice(
                    assignee,
                    "notice_assigned",
                    {
                        "who": self.actor.name if self.actor else "",
                        "title": assigned.title,
                        "due_at": assigned.due_at.isoformat() if assigned.due_at else None,
                        "due_has_time": assigned.due_has_time,
                    },
                )
            )
        return assigned

    # ------------------------------------------------------------------ people and projects

    async def teammates_named(self, name: str) -> list[Profile]:
        if self.org_id is None:
            return []
        return await self.profiles.in_org_named(self.org_id, name)

    async def find_projects(self, name: str) -> list[Project]:
        """Projects matching ``name``: the exact one alone when it exists."""
        if self.org_id is not None:
            exact = await self.projects.by_name(self.org_id, name)
            if exact is not None and await self._may_see(exact):
                return [exact]
        found = await self.projects.search(self.org_id, name, member=self.actor_id)
        return found

    async def _may_see(self, project: Project) -> bool:
        return self.actor is None or await self.projects.is_member(project.id, self.actor.user_id)

    async def _project_for_task(self, project_id: str | None) -> Project | None:
        if project_id is None:
            return None
        project = await self.projects.get(project_id)
        if project is None or not await self._may_see(project):
            raise NotFound(f"no project {project_id!r} visible to you")
        return project

    async def project(self, project_id: str) -> Project:
        project = await self.projects.get(project_id)
        if project is None or not await self._may_see(project):
            raise NotFound(f"no project {project_id!r} visible to you")
        return project

    async def list_projects(self, *, limit: int = 50, offset: int = 0) -> list[Project]:
        if self.actor is not None:
            return (await self.projects.of_member(self.actor.user_id))[offset : offset + limit]
        return await self.projects.in_org(self.org_id, limit=limit, offset=offset)

    async def create_project(self, name: str, *, owner_id: str | None = None) -> Project:
        name = " ".join(name.split())[:200]
        owner = self.actor_id or owner_id
        if not name_key(name):
            raise WorkspaceError("a project needs a name")
        if owner is None or self.org_id is None:
            raise WorkspaceError("owner_id and org_id are required when no user acts")
        if await self.projects.by_name(self.org_id, name) is not None:
            raise Conflict(f"a project named {name!r} exists already")
        project = Project(self._new_id("project"), self.org_id, owner, name, self.now, self.now)
        await self.projects.insert(project)
        await self.projects.add_member(project.id, owner, self.now)
        self._emit(
            ProjectCreated(project_id=project.id, org_id=self.org_id, owner_id=owner, name=name), project.id
        )
        return project

    async def add_member(self, project_id: str, member: Profile) -> bool:
        project = await self.project(project_id)
        if member.org_id != project.org_id:
            raise NotFound("no such teammate in your organisation")
        added = await self.projects.add_member(project.id, member.user_id, self.now)
        if added:
            self._emit(
                ProjectMemberAdded(project_id=project.id, user_id=member.user_id, actor_id=self.actor_id),
                f"{project.id}:{member.user_id}",
            )
            if member.user_id != self.actor_id:
                self.effects.notices.append(
                    Notice(
                        member,
                        "notice_added",
                        {"who": self.actor.name if self.actor else "", "project": project.name},
                    )
                )
        return added

    async def progress(self, project_id: str) -> Progress:
        project = await self.project(project_id)
        counts = await self.tasks.counts_by_status(project.id)
        scope = TaskScope(None, project.org_id)
        open_tasks = await self.tasks.query(scope, TaskFilter(project_id=project.id, limit=500))
        overdue = [t for t in open_tasks if _overdue(t, self.now, self.tz)]
        dated = [t for t in open_tasks if t.due_at is not None and not _overdue(t, self.now, self.tz)]
        dated.sort(key=lambda t: (t.due_at or self.now, PRIORITY_RANK[t.priority]))
        members = await self.profiles.many(await self.projects.members(project.id))
        return Progress(
            project=project,
            done=counts.get("done", 0),
            open=counts.get("open", 0),
            overdue=len(overdue),
            next_due=dated[0] if dated else None,
            members=tuple(members.values()),
        )

    # ------------------------------------------------------------------ REST API (H4): admin tools
    # Used by ``tasklane_agent.api``; they keep to the actor's visibility like every tool above.

    async def replayed_task(self) -> Task | None:
        """The task the next ``create_task`` here would make, when a workspace with the same seed
        made it already (a retried API request with the same ``Idempotency-Key``), deleted or not."""
        task_id = deterministic_id("task", self._seed, str(self._ids + 1))
        return await self.tasks.get(task_id, self.scope, deleted=True)

    async def projects_page(
        self, *, member: str | None = None, limit: int = 50, offset: int = 0
    ) -> tuple[list[Project], int]:
        """A page of the projects in reach (those of ``member`` only, when given) and their total.
        A user only ever reaches their own projects."""
        member = self.actor_id or member
        found = await self.projects.page(self.org_id, member, limit=limit, offset=offset)
        return found, await self.projects.count(self.org_id, member)

    async def rename_project(self, project_id: str, name: str) -> Project:
        project = await self.project(project_id)
        self._may_manage(project)
        name = " ".join(name.split())[:200]
        if not name_key(name):
            raise WorkspaceError("a project needs a name")
        taken = await self.projects.by_name(project.org_id, name)
        if taken is not None and taken.id != project.id:
            raise Conflict(f"a project named {name!r} exists already")
        await self.projects.rename(project.id, name, self.now)
        return dataclasses.replace(project, name=name, updated_at=self.now)

    async def delete_project(self, project_id: str, *, unlink_open: bool = False) -> list[Task]:
        """Delete a project; its tasks stay, unlinked (each one a ``task.updated``). A project with
        open tasks is only deleted with ``unlink_open``: they would silently lose their project."""
        project = await self.project(project_id)
        self._may_manage(project)
        still_open = (await self.tasks.counts_by_status(project.id)).get("open", 0)
        if still_open and not unlink_open:
            raise Conflict(f"the project has {still_open} open task(s); finish or move them first")
        unlinked: list[Task] = []
        linked = TaskFilter(status=None, project_id=project.id, limit=200)
        while batch := await self.tasks.query(TaskScope(None, project.org_id), linked):
            for task in batch:
                unlinked.append(await self.update_task(task.id, TaskChanges(project_id=None)))
        await self.projects.delete(project.id)
        return unlinked

    async def remove_member(self, project_id: str, user_id: str) -> bool:
        """True when ``user_id`` was a member. Their tasks stay theirs (and assigned ones assigned)."""
        project = await self.project(project_id)
        if user_id == project.owner_id:
            raise Conflict("the project's owner cannot leave it")
        if self.actor is not None and user_id != self.actor.user_id:
            self._may_manage(project)
        return await self.projects.remove_member(project.id, user_id)

    def _may_manage(self, project: Project) -> None:
        if self.actor is not None and project.owner_id != self.actor.user_id:
            raise Forbidden("only the project's owner can do this")


def _overdue(task: Task, now: datetime, tz: ZoneInfo) -> bool:
    if task.due_at is None or task.status != "open":
        return False
    if task.due_has_time:
        return task.due_at < now
    return task.due_at.astimezone(tz).date() + timedelta(days=1) <= now.astimezone(tz).date()


def is_overdue(task: Task, now: datetime, tz: ZoneInfo) -> bool:
    """A timed deadline is overdue once passed; a date-only one once its day (in ``tz``) is over."""
    return _overdue(task, now, tz)


_RESTORABLE = ("title", "status", "priority", "due_at", "due_has_time", "completed_at", "project_id",
               "assignee_id", "recurrence", "deleted_at")  # fmt: skip


def _image_fields(image: dict[str, Any]) -> dict[str, Any]:
    fields = {k: image[k] for k in _RESTORABLE if k in image}
    for key in ("due_at", "completed_at", "deleted_at"):
        value = fields.get(key)
        if isinstance(value, str):
            fields[key] = datetime.fromisoformat(value)
    return fields
