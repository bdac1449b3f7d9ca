"""``/api/v1/projects``: the projects teams share within an organisation, their progress and members.

Deleting a project keeps its tasks (they are the users' work, not the project's): they stay,
unlinked. A project that still has open tasks is only deleted with ``unlink_open=true``, since its
members would otherwise find their open tasks silently out of the project they were planned in.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Response

from tasklane_agent.api.errors import documented
from tasklane_agent.api.params import Limit, MemberFilter, Offset, OrgFilter, ProjectId, UserId
from tasklane_agent.api.schemas import (
    Membership,
    ProjectCreate,
    ProjectDeleted,
    ProjectDetail,
    ProjectOut,
    ProjectPage,
    ProjectPatch,
)
from tasklane_agent.api.unit import Units, Work
from tasklane_agent.domain import Profile
from tasklane_agent.storage.tasks import TaskFilter
from tasklane_agent.workspace import NotFound


def location(project_id: str) -> str:
    return f"/api/v1/projects/{project_id}"


async def _profile(work: Work, user_id: str, org_id: str | None = None) -> Profile:
    profile = await work.profiles.get(user_id)
    if profile is None or (org_id is not None and profile.org_id != org_id):
        where = f" in organisation {org_id!r}" if org_id is not None else ""
        raise NotFound(f"no user {user_id!r}{where}")
    return profile


def projects_router(units: Units, read: Any, write: Any, route_class: Any) -> APIRouter:
    """``read``/``write``: the dependencies admitting readers (analyst up) and writers (operator up)."""
    api = APIRouter(prefix="/api/v1", tags=["projects"], route_class=route_class)

    @api.get(
        "/projects",
        summary="List projects",
        response_model=ProjectPage,
        dependencies=[read],
        responses=documented(422),
    )
    async def list_projects(
        org_id: OrgFilter = None,
        member: MemberFilter = None,
        limit: Limit = 50,
        offset: Offset = 0,
    ) -> ProjectPage:
        """By name; those of ``org_id`` and with ``member`` among their members, when given."""
        async with units.read(org_id) as ws:
            found, total = await ws.projects.projects_page(member=member, limit=limit, offset=offset)
        return ProjectPage(items=[ProjectOut.of(p) for p in found], total=total, limit=limit, offset=offset)

    @api.post(
        "/projects",
        summary="Create a project",
        status_code=201,
        response_model=ProjectOut,
        dependencies=[write],
        responses=documented(404, 409, 422),
    )
    async def create_project(body: ProjectCreate, response: Response) -> ProjectOut:
        """Owned by ``owner_id`` (its first member), in their organisation; names are unique in an
        organisation, whatever their case and accents (409)."""
        async with units.change() as work:
            owner = await _profile(work, body.owner_id, body.org_id)
            project = await work.workspace(owner.org_id).projects.create_project(
                body.name, owner_id=owner.user_id
            )
        response.headers["Location"] = location(project.id)
        return ProjectOut.of(project)

    @api.get(
        "/projects/{project_id}",
        summary="Get a project and its progress",
        response_model=ProjectDetail,
        dependencies=[read],
        responses=documented(404),
    )
    async def get_project(project_id: ProjectId) -> ProjectDetail:
        async with units.read() as ws:
            progress = await ws.projects.progress(project_id)
            late = TaskFilter(project_id=project_id, overdue=True, as_of=ws.core.now)
            return ProjectDetail.of_progress(progress, await ws.tasks.count_tasks(late), ws.core.now)

    @api.patch(
        "/projects/{project_id}",
        summary="Rename a project",
        response_model=ProjectOut,
        dependencies=[write],
        responses=documented(404, 409, 422),
    )
    async def rename_project(project_id: ProjectId, body: ProjectPatch) -> ProjectOut:
        async with units.change() as work:
            project = await work.workspace().projects.rename_project(project_id, body.name)
        return ProjectOut.of(project)

    @api.delete(
        "/projects/{project_id}",
        summary="Delete a project (its tasks stay, unlinked)",
        response_model=ProjectDeleted,
        dependencies=[write],
        responses=documented(404, 409),
    )
    async def delete_project(
        project_id: ProjectId,
        unlink_open: Annotated[
            bool, Query(description="Also when it has open tasks (they stay, unlinked); else 409.")
        ] = False,
    ) -> ProjectDeleted:
        async with units.change() as work:
            unlinked = await work.workspace().projects.delete_project(project_id, unlink_open=unlink_open)
        return ProjectDeleted(id=project_id, unlinked_task_ids=[t.id for t in unlinked])

    @api.post(
        "/projects/{project_id}/members/{user_id}",
        summary="Add a member",
        response_model=Membership,
        dependencies=[write],
        responses=documented(404),
    )
    async def add_member(project_id: ProjectId, user_id: UserId) -> Membership:
        """The user (of the project's organisation) is told on WhatsApp, as when added there."""
        async with units.change() as work:
            member = await _profile(work, user_id)
            added = await work.workspace().projects.add_member(project_id, member)
        return Membership(project_id=project_id, user_id=user_id, member=True, changed=added)

    @api.delete(
        "/projects/{project_id}/members/{user_id}",
        summary="Remove a member",
        response_model=Membership,
        dependencies=[write],
        responses=documented(404, 409),
    )
    async def remove_member(project_id: ProjectId, user_id: UserId) -> Membership:
        """Their tasks stay theirs; tasks assigned to them stay assigned. The owner cannot leave."""
        async with units.change() as work:
            removed = await work.workspace().projects.remove_member(project_id, user_id)
        return Membership(project_id=project_id, user_id=user_id, member=False, changed=removed)

    return api
