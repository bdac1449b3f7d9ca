"""The task tools of a workspace: create, find, change, complete (and the next occurrence of a
repeating task), delete, undo."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from tasklane_agent.domain import Task
from tasklane_agent.domain.deadlines import is_overdue, local_due, zone
from tasklane_agent.domain.names import name_key
from tasklane_agent.domain.priority import Priority
from tasklane_agent.domain.recurrence import Recurrence
from tasklane_agent.storage.rows import restorable
from tasklane_agent.storage.tasks import TaskFilter, TaskScope
from tasklane_agent.workspace.core import (
    UNSET,
    Forbidden,
    TaskChanges,
    WorkspaceCore,
    WorkspaceError,
    clean_title,
    stored_deadline,
)
from tasklane_common.messaging import deterministic_id
from tasklane_common.messaging.contracts.agent import (
    ProjectMemberAdded,
    TaskCompleted,
    TaskCreated,
    TaskDeleted,
    TaskUpdated,
)

# What ``task.updated`` reports when it moves.
_CHANGEABLE = ("title", "priority", "due_at", "due_has_time", "recurrence", "project_id", "assignee_id")


class TaskTools:
    """Tasks: create, find, change, complete, reopen, delete, undo; and the actor's timezone,
    which moves their date-only tasks with it."""

    def __init__(self, core: WorkspaceCore) -> None:
        self.core = core
        self.store = core.store

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
        owner = self.core.actor_id or owner_id
        if owner is None:
            raise WorkspaceError("owner_id is required when no user acts")
        if recurrence is not None:
            Recurrence.from_rule(recurrence)  # refuses a malformed rule before it is stored
        project = await self.core.project_for_task(project_id)
        due = stored_deadline(due_at, due_has_time)
        if assignee_id is not None:
            await self.core.teammate(assignee_id, owner)  # refused before anything is written
        task = Task(
            id=self.core.new_id("task"),
            user_id=owner,
            title=clean_title(title),
            status="open",
            priority=priority,
            due_at=due,
            due_has_time=due_has_time and due is not None,
            source_wamid=source_wamid or self.core.source_wamid,
            created_at=self.core.now,
            updated_at=self.core.now,
            org_id=self.core.org_id,
            project_id=project.id if project else None,
            recurrence=recurrence,
        )
        await self.store.tasks.insert(task)
        self.core.effects.before[task.id] = None
        self.core.emit(
            _created(task, assignee_id if assignee_id != owner else None),
            task.id,
        )
        if assignee_id is not None and assignee_id != owner:
            task = await self._assign(task, assignee_id)
        await self.core.replan(task)
        return task

    async def get_task(self, task_id: str) -> Task:
        return await self.core.task(task_id)

    async def list_tasks(self, f: TaskFilter) -> list[Task]:
        """In due order as the actor sees it (a date-only day starts at their midnight)."""
        offset = self.core.now.astimezone(self.core.tz).utcoffset() if self.core.actor is not None else None
        return await self.store.tasks.query(self.core.scope, f, utc_offset=offset)

    async def count_tasks(self, f: TaskFilter) -> int:
        return await self.store.tasks.count(self.core.scope, f)

    async def tasks_by_id(self, task_ids: list[str]) -> list[Task]:
        return await self.store.tasks.get_many(task_ids, self.core.scope)

    async def find_tasks(self, query: str, *, status: str | None = "open", limit: int = 10) -> list[Task]:
        """Tasks whose title holds every word of ``query``; failing that, any of its words, best
        matches first."""
        return (await self.match_tasks(query, status=status, limit=limit))[0]

    async def match_tasks(
        self, query: str, *, status: str | None = "open", limit: int = 10
    ) -> tuple[list[Task], bool]:
        """``find_tasks``, and whether the matches hold every word (True) or only some: a change
        must not be made on a partial match without asking ("the dentist call" is not "call the
        bank")."""
        words = tuple(w for w in name_key(query).split() if len(w) > 1) or tuple(name_key(query).split())
        if not words:
            return [], True
        found = await self.store.tasks.query(
            self.core.scope, TaskFilter(status=status, title_words=words, limit=limit)
        )
        if found or len(words) == 1:
            return found, True
        scored: dict[str, tuple[int, Task]] = {}
        for word in words:
            if len(word) < 3:
                continue
            for task in await self.store.tasks.query(
                self.core.scope, TaskFilter(status=status, title_words=(word,), limit=limit)
            ):
                hits = scored.get(task.id, (0, task))[0] + 1
                scored[task.id] = (hits, task)
        best = max((hits for hits, _ in scored.values()), default=0)
        return [task for hits, task in scored.values() if hits == best][:limit], False

    async def update_task(self, task_id: str, changes: TaskChanges) -> Task:
        """Apply ``changes``; a change to what the task already is writes and emits nothing."""
        task = await self.core.task(task_id, lock=True)
        if changes.assignee_id not in (UNSET, None):
            await self.core.teammate(changes.assignee_id, task.user_id)  # refused before anything is written
        updated = task
        if changes.title is not None:
            updated = dataclasses.replace(updated, title=clean_title(changes.title))
        if changes.priority is not None:
            updated = dataclasses.replace(updated, priority=changes.priority)
        if changes.due_at is not UNSET:
            due = stored_deadline(changes.due_at, changes.due_has_time)
            updated = dataclasses.replace(
                updated, due_at=due, due_has_time=bool(changes.due_has_time and due is not None)
            )
        if changes.recurrence is not UNSET:
            if changes.recurrence is not None:
                Recurrence.from_rule(changes.recurrence)
            updated = dataclasses.replace(updated, recurrence=changes.recurrence)
        if changes.project_id is not UNSET:
            project = await self.core.project_for_task(changes.project_id)
            updated = dataclasses.replace(updated, project_id=project.id if project else None)
        reassign = changes.assignee_id is not UNSET and changes.assignee_id != task.assignee_id
        if updated == task and not reassign:
            return task
        self.core.remember(task)
        updated = dataclasses.replace(updated, updated_at=self.core.now)
        await self.store.tasks.save(updated)
        if reassign:
            updated = await self._assign(updated, changes.assignee_id)
        moved = {
            name: value.isoformat() if isinstance(value, datetime) else value
            for name in _CHANGEABLE
            if (value := getattr(updated, name)) != getattr(task, name)
        }
        self.core.emit(
            TaskUpdated(task_id=task.id, user_id=task.user_id, actor_id=self.core.actor_id, changes=moved),
            f"{task.id}:{self.core.ids_made}:{len(self.core.effects.events)}",
        )
        await self.core.replan(updated)
        return updated

    async def complete_task(self, task_id: str) -> tuple[Task, Task | None]:
        """The completed task, and the next occurrence when it repeats. Completing a done task
        changes nothing, even when two replicas (or API calls) complete it at once."""
        task = await self.core.task(task_id, lock=True)
        if task.status == "done":
            return task, None
        self.core.remember(task)
        done = dataclasses.replace(task, status="done", completed_at=self.core.now, updated_at=self.core.now)
        await self.store.tasks.save(done)
        following = await self._next_occurrence(done)
        self.core.emit(
            TaskCompleted(
                task_id=task.id,
                user_id=task.user_id,
                actor_id=self.core.actor_id,
                next_task_id=following.id if following else None,
            ),
            f"{task.id}:done",
        )
        if self.core.actor is not None and task.user_id != self.core.actor.user_id:
            owner = await self.store.profiles.get(task.user_id)
            if owner is not None:
                await self.core.notify(
                    owner, "notice_completed", {"who": self.core.actor.name or "", "title": task.title}
                )
        await self.core.replan(done)
        return done, following

    async def _next_occurrence(self, done: Task) -> Task | None:
        if not done.recurrence or done.due_at is None:
            return None
        owner = await self.store.profiles.get(done.user_id)
        tz = zone(owner.timezone if owner else None)
        rule = Recurrence.from_rule(done.recurrence)
        # A timed series repeats on the owner's wall clock; a date-only one day by day (floating).
        series_zone = tz if done.due_has_time else ZoneInfo("UTC")
        following_at = rule.next_after(local_due(done.due_at, done.due_has_time, series_zone))
        # One id per (series task, the date after it): completing, reopening and completing again
        # — even days later, or after an undo — finds the occurrence it made, never a second one.
        following_id = deterministic_id("occurrence", done.id, following_at.astimezone(UTC).isoformat())
        # Completing late must not schedule an occurrence that is already overdue.
        late = dataclasses.replace(done, status="open")
        while rule.freq != "yearly" and is_overdue(
            dataclasses.replace(late, due_at=following_at.astimezone(UTC)), self.core.now, tz
        ):
            following_at = rule.next_after(following_at)
        made = await self.store.tasks.get(following_id, TaskScope(None, None), deleted=True)
        if made is not None and made.deleted_at is None:
            return made
        # A copy of the task just completed (its priority, assignee... now), not of an old revival.
        following = dataclasses.replace(
            done,
            id=following_id,
            status="open",
            completed_at=None,
            deleted_at=None,
            due_at=following_at.astimezone(UTC),
            created_at=made.created_at if made else self.core.now,
            updated_at=self.core.now,
        )
        if made is None:
            await self.store.tasks.insert(following)
            self.core.effects.before[following.id] = None
        else:
            self.core.remember(made)
            await self.store.tasks.save(following)
        self.core.emit(
            _created(following, following.assignee_id),
            following.id,
        )
        await self.core.replan(following)
        return following

    async def reopen_task(self, task_id: str) -> Task:
        task = await self.core.task(task_id, lock=True)
        if task.status == "open":
            return task
        self.core.remember(task)
        reopened = dataclasses.replace(task, status="open", completed_at=None, updated_at=self.core.now)
        await self.store.tasks.save(reopened)
        self.core.emit(
            TaskUpdated(
                task_id=task.id, user_id=task.user_id, actor_id=self.core.actor_id, changes={"status": "open"}
            ),
            f"{task.id}:reopen",
        )
        await self.core.replan(reopened)
        return reopened

    async def may_delete(self, task: Task) -> bool:
        """Only a task's owner, or the owner of its project, may delete it (admins may)."""
        if self.core.actor is None or task.user_id == self.core.actor.user_id:
            return True
        project = await self.store.projects.get(task.project_id) if task.project_id else None
        return project is not None and project.owner_id == self.core.actor.user_id

    async def delete_task(self, task_id: str) -> Task:
        task = await self.core.task(task_id, lock=True)
        if not await self.may_delete(task):
            raise Forbidden("only the task's owner (or its project's owner) can delete it")
        self.core.remember(task)
        deleted = dataclasses.replace(task, deleted_at=self.core.now, updated_at=self.core.now)
        await self.store.tasks.save(deleted)
        self.core.emit(
            TaskDeleted(task_id=task.id, user_id=task.user_id, actor_id=self.core.actor_id), task.id
        )
        await self.core.replan(deleted)
        return deleted

    def undo_record(self) -> dict[str, Any] | None:
        """What "undo" needs to put this workspace's changes back: the before-images, and the
        time of the change (a task changed again since is not put back)."""
        if not self.core.effects.before:
            return None
        return {"before": dict(self.core.effects.before), "at": self.core.now.isoformat()}

    async def undo(self, record: dict[str, Any]) -> tuple[list[Task], int]:
        """Put the tasks of a previous change back as they were (created ones are deleted).
        Returns them, and how many were left alone because they changed since (a teammate's
        edit, a deletion by the owner) — undo never overwrites someone's later change."""
        at = datetime.fromisoformat(str(record["at"])) if record.get("at") else None
        restored: list[Task] = []
        skipped = 0
        for task_id, image in dict(record.get("before") or {}).items():
            current = await self.store.tasks.get(task_id, self.core.scope, deleted=True, for_update=True)
            if current is None:
                continue
            if at is None or current.updated_at != at:
                skipped += 1
                continue
            self.core.remember(current)
            if image is None:
                back = dataclasses.replace(current, deleted_at=self.core.now, updated_at=self.core.now)
            else:
                back = dataclasses.replace(current, **restorable(image), updated_at=self.core.now)
            await self.store.tasks.save(back)
            self.core.emit(
                TaskUpdated(
                    task_id=task_id, user_id=back.user_id, actor_id=self.core.actor_id, changes={"undo": True}
                ),
                f"{task_id}:undo",
            )
            await self.core.replan(back)
            restored.append(back)
        return restored, skipped

    async def set_timezone(self, zone: str) -> None:
        """The acting user's timezone, from now on (``WorkspaceError`` for an unknown zone)."""
        if self.core.actor is None:
            raise WorkspaceError("no user to set a timezone for")
        try:
            ZoneInfo(zone)
        except (ZoneInfoNotFoundError, ValueError):
            raise WorkspaceError(f"{zone!r} is not an IANA timezone name such as Europe/Madrid") from None
        await self.store.profiles.update(
            self.core.actor.user_id, self.core.now, timezone=zone, timezone_source="user"
        )
        await self.rezone(self.core.actor.timezone, zone)

    async def rezone(self, old_zone: str, new_zone: str) -> int:
        """The actor moved to ``new_zone``: the reminders they receive are planned again there
        (date-only deadlines keep their day: they are floating). Returns how many were replanned."""
        if self.core.actor is None or self.core.planner is None or old_zone == new_zone:
            return 0
        visible = await self.store.tasks.query(self.core.scope, TaskFilter(limit=5000))
        mine = [
            t
            for t in visible
            if t.due_at is not None and (t.assignee_id or t.user_id) == self.core.actor.user_id
        ]
        for task in mine:
            await self.core.replan(task, zone=new_zone)
        return len(mine)

    async def _assign(self, task: Task, assignee_id: str | None) -> Task:
        assignee = await self.core.teammate(assignee_id, task.user_id) if assignee_id is not None else None
        assigned = dataclasses.replace(task, assignee_id=assignee_id, updated_at=self.core.now)
        await self.store.tasks.save(assigned)
        # Whoever does a project's task sees the project from then on.
        if (
            task.project_id
            and assignee_id
            and await self.store.projects.add_member(task.project_id, assignee_id, self.core.now)
        ):
            self.core.emit(
                ProjectMemberAdded(
                    project_id=task.project_id, user_id=assignee_id, actor_id=self.core.actor_id
                ),
                f"{task.project_id}:{assignee_id}",
            )
        if assignee is not None and assignee.user_id != self.core.actor_id:
            await self.core.notify(
                assignee,
                "notice_assigned",
                {
                    "who": self.core.actor.name if self.core.actor else "",
                    "title": assigned.title,
                    "due_at": assigned.due_at.isoformat() if assigned.due_at else None,
                    "due_has_time": assigned.due_has_time,
                },
            )
        return assigned

    async def replayed_task(self) -> Task | None:
        """The task the next ``create_task`` here would make, when a workspace with the same seed
        made it already (a retried API request with the same ``Idempotency-Key``), deleted or not."""
        task_id = deterministic_id("task", self.core.seed, str(self.core.ids_made + 1))
        return await self.store.tasks.get(task_id, self.core.scope, deleted=True)


def _created(task: Task, assignee_id: str | None) -> TaskCreated:
    return TaskCreated(
        task_id=task.id,
        user_id=task.user_id,
        title=task.title,
        due_at=task.due_at,
        priority=task.priority,
        due_has_time=task.due_has_time,
        org_id=task.org_id,
        project_id=task.project_id,
        assignee_id=assignee_id,
        recurrence=task.recurrence,
    )
