"""The project tools of a workspace: find, create, share, progress, rename, delete."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from zoneinfo import ZoneInfo

from tasklane_agent.domain import PRIORITY_RANK, Profile, Progress, Project, Task
from tasklane_agent.domain.deadlines import is_overdue, local_due
from tasklane_agent.domain.names import match_names, name_key
from tasklane_agent.storage.tasks import TaskFilter, TaskScope
from tasklane_agent.workspace.core import (
    Conflict,
    Forbidden,
    NotFound,
    TaskChanges,
    WorkspaceCore,
    WorkspaceError,
)
from tasklane_agent.workspace.tasks import TaskTools
from tasklane_common.messaging.contracts.agent import (
    ProjectCreated,
    ProjectDeleted,
    ProjectMemberAdded,
    ProjectMemberRemoved,
    ProjectRenamed,
)


class ProjectTools:
    """Projects: find, create, share, progress, rename, delete."""

    def __init__(self, core: WorkspaceCore, task_tools: TaskTools) -> None:
        self.core = core
        self.store = core.store
        self.task_tools = task_tools

    async def teammates_named(self, name: str) -> list[Profile]:
        """The actor's teammates answering to ``name``; nobody else on the number is ever found."""
        if self.core.actor is None:
            return []
        mates = await self.store.teams.teammate_ids(self.core.actor.user_id)
        return await self.store.profiles.named_among(mates, name)

    async def find_projects(self, name: str) -> list[Project]:
        """Projects matching ``name``: the exact one alone when it exists, then those whose words
        the user's words are close to (``names.match_names``), then those containing them."""
        if self.core.org_id is not None:
            exact = await self.store.projects.by_name(self.core.org_id, name, member=self.core.actor_id)
            if exact is not None:
                return [exact]
        reach = await self.list_projects(limit=200)
        close = match_names(name, [p.name for p in reach])
        if close:
            return [reach[i] for i in close]
        found = await self.store.projects.search(self.core.org_id, name, member=self.core.actor_id)
        return found

    async def list_projects(self, *, limit: int = 50, offset: int = 0) -> list[Project]:
        if self.core.actor is not None:
            return (await self.store.projects.of_member(self.core.actor.user_id))[offset : offset + limit]
        return await self.store.projects.in_org(self.core.org_id, limit=limit, offset=offset)

    async def create_project(self, name: str, *, owner_id: str | None = None) -> Project:
        name = " ".join(name.split())[:200]
        owner = self.core.actor_id or owner_id
        if not name_key(name):
            raise WorkspaceError("a project needs a name")
        if owner is None or self.core.org_id is None:
            raise WorkspaceError("owner_id and org_id are required when no user acts")
        # Only a name among the projects the owner sees is taken: that another user of the number
        # has a project of that name must not show (it would let anyone probe for names).
        if await self.store.projects.by_name(self.core.org_id, name, member=owner) is not None:
            raise Conflict(f"a project named {name!r} exists already")
        project = Project(
            self.core.new_id("project"), self.core.org_id, owner, name, self.core.now, self.core.now
        )
        await self.store.projects.insert(project)
        await self.store.projects.add_member(project.id, owner, self.core.now)
        self.core.emit(
            ProjectCreated(project_id=project.id, org_id=self.core.org_id, owner_id=owner, name=name),
            project.id,
        )
        return project

    async def add_member(self, project_id: str, member: Profile) -> bool:
        project = await self.core.project(project_id)
        # Members come from the team of whoever shares it (the owner, for the admin API).
        sharer = self.core.actor_id or project.owner_id
        if member.org_id != project.org_id or not await self.store.teams.share_team(sharer, member.user_id):
            raise NotFound("no such teammate in your team")
        added = await self.store.projects.add_member(project.id, member.user_id, self.core.now)
        if added:
            self.core.emit(
                ProjectMemberAdded(
                    project_id=project.id, user_id=member.user_id, actor_id=self.core.actor_id
                ),
                f"{project.id}:{member.user_id}",
            )
            if member.user_id != self.core.actor_id:
                await self.core.notify(
                    member,
                    "notice_added",
                    {"who": self.core.actor.name if self.core.actor else "", "project": project.name},
                )
        return added

    async def progress(self, project_id: str) -> Progress:
        project = await self.core.project(project_id)
        counts = await self.store.tasks.counts_by_status(project.id)
        scope = TaskScope(None, project.org_id)
        open_tasks = await self.store.tasks.query(scope, TaskFilter(project_id=project.id, limit=500))
        overdue = [t for t in open_tasks if is_overdue(t, self.core.now, self.core.tz)]
        dated = [
            t for t in open_tasks if t.due_at is not None and not is_overdue(t, self.core.now, self.core.tz)
        ]
        dated.sort(key=lambda t: (_sort_due(t, self.core.tz), PRIORITY_RANK[t.priority]))
        members = await self.store.profiles.many(await self.store.projects.members(project.id))
        return Progress(
            project=project,
            done=counts.get("done", 0),
            open=counts.get("open", 0),
            overdue=len(overdue),
            next_due=dated[0] if dated else None,
            members=tuple(members.values()),
        )

    async def projects_page(
        self, *, member: str | None = None, limit: int = 50, offset: int = 0
    ) -> tuple[list[Project], int]:
        """A page of the projects in reach (those of ``member`` only, when given) and their total.
        A user only ever reaches their own projects."""
        member = self.core.actor_id or member
        found = await self.store.projects.page(self.core.org_id, member, limit=limit, offset=offset)
        return found, await self.store.projects.count(self.core.org_id, member)

    async def rename_project(self, project_id: str, name: str) -> Project:
        project = await self.core.project(project_id)
        self._may_manage(project)
        name = " ".join(name.split())[:200]
        if not name_key(name):
            raise WorkspaceError("a project needs a name")
        taken = await self.store.projects.by_name(project.org_id, name, member=project.owner_id)
        if taken is not None and taken.id != project.id:
            raise Conflict(f"a project named {name!r} exists already")
        if name == project.name:
            return project
        await self.store.projects.rename(project.id, name, self.core.now)
        self.core.emit(
            ProjectRenamed(project_id=project.id, name=name, actor_id=self.core.actor_id),
            f"{project.id}:name",
        )
        return dataclasses.replace(project, name=name, updated_at=self.core.now)

    async def delete_project(self, project_id: str, *, unlink_open: bool = False) -> list[Task]:
        """Delete a project; its tasks stay, unlinked (each one a ``task.updated``). A project with
        open tasks is only deleted with ``unlink_open``: they would silently lose their project."""
        project = await self.core.project(project_id)
        self._may_manage(project)
        still_open = (await self.store.tasks.counts_by_status(project.id)).get("open", 0)
        if still_open and not unlink_open:
            raise Conflict(f"the project has {still_open} open task(s); finish or move them first")
        unlinked: list[Task] = []
        linked = TaskFilter(status=None, project_id=project.id, limit=200)
        while batch := await self.store.tasks.query(TaskScope(None, project.org_id), linked):
            for task in batch:
                unlinked.append(await self.task_tools.update_task(task.id, TaskChanges(project_id=None)))
        await self.store.projects.delete(project.id)
        self.core.emit(
            ProjectDeleted(project_id=project.id, actor_id=self.core.actor_id), f"{project.id}:deleted"
        )
        return unlinked

    async def remove_member(self, project_id: str, user_id: str) -> bool:
        """True when ``user_id`` was a member. Their tasks stay theirs (and assigned ones assigned)."""
        project = await self.core.project(project_id)
        if user_id == project.owner_id:
            raise Conflict("the project's owner cannot leave it")
        if self.core.actor is not None and user_id != self.core.actor.user_id:
            self._may_manage(project)
        removed = await self.store.projects.remove_member(project.id, user_id)
        if removed:
            self.core.emit(
                ProjectMemberRemoved(project_id=project.id, user_id=user_id, actor_id=self.core.actor_id),
                f"{project.id}:{user_id}:removed",
            )
        return removed

    def _may_manage(self, project: Project) -> None:
        if self.core.actor is not None and project.owner_id != self.core.actor.user_id:
            raise Forbidden("only the project's owner can do this")


def _sort_due(task: Task, tz: ZoneInfo) -> datetime:
    """When the deadline starts for a viewer in ``tz`` (a date-only day at their midnight)."""
    assert task.due_at is not None
    return local_due(task.due_at, task.due_has_time, tz)
