"""``/api/v1/tasks``: the tasks users manage on WhatsApp, for other tools and admins.

Every route goes through the admin-scope workspace (``unit``), so a task created, changed or
completed here raises the same events, plans the same reminders and tells the same teammates as
one changed by its owner in a chat.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Header, HTTPException, Response

from tasklane_agent.api.due import Schedule, schedule
from tasklane_agent.api.errors import documented
from tasklane_agent.api.params import (
    AssigneeFilter,
    DueAfter,
    DueBefore,
    Limit,
    Offset,
    OrgFilter,
    Overdue,
    OwnerFilter,
    ProjectFilter,
    TaskId,
    Words,
)
from tasklane_agent.api.schemas import Completion, TaskCreate, TaskOut, TaskPage, TaskPatch
from tasklane_agent.api.unit import Units
from tasklane_agent.domain import Task
from tasklane_agent.domain.deadlines import local_due, zone
from tasklane_agent.domain.priority import Priority
from tasklane_agent.storage.tasks import TaskFilter
from tasklane_agent.workspace import Conflict, NotFound, TaskChanges, Workspace, WorkspaceError
from tasklane_common.auth import Principal
from tasklane_common.messaging import deterministic_id


def location(task_id: str) -> str:
    return f"/api/v1/tasks/{task_id}"


async def _check_project(ws: Workspace, project_id: str | None, org_id: str | None) -> None:
    """A task may only join a project of its own organisation."""
    if project_id is not None:
        project = await ws.core.project(project_id)
        if project.org_id != org_id:
            raise NotFound(f"no project {project_id!r} in the task's organisation")


def tasks_router(units: Units, read: Any, write: Any, route_class: Any) -> APIRouter:
    """``read``/``write``: the dependencies admitting readers (analyst up) and writers (operator up)."""
    api = APIRouter(prefix="/api/v1", tags=["tasks"], route_class=route_class)

    @api.get(
        "/tasks",
        summary="List tasks",
        response_model=TaskPage,
        dependencies=[read],
        responses=documented(422),
    )
    async def list_tasks(
        user_id: OwnerFilter = None,
        assignee_id: AssigneeFilter = None,
        org_id: OrgFilter = None,
        status: Literal["open", "done", "all"] = "open",
        priority: Priority | None = None,
        project_id: ProjectFilter = None,
        due_after: DueAfter = None,
        due_before: DueBefore = None,
        overdue: Overdue = None,
        q: Words = None,
        limit: Limit = 50,
        offset: Offset = 0,
    ) -> TaskPage:
        """Tasks by due date (undated last; done ones most recently completed first). A ``+`` in
        an offset must be sent as ``%2B`` in a query string."""
        if due_after is not None and due_before is not None and due_after >= due_before:
            raise HTTPException(422, "due_after must be before due_before")
        async with units.read(org_id) as ws:
            f = TaskFilter(
                status=None if status == "all" else status,
                due_from=due_after,
                due_before=due_before,
                priority=priority,
                project_id=project_id,
                owner_id=user_id,
                assignee_id=assignee_id,
                title_words=tuple(q.split()) if q else (),
                limit=limit,
                offset=offset,
                overdue=overdue,
                as_of=ws.core.now,
            )
            found = await ws.tasks.list_tasks(f)
            total = await ws.tasks.count_tasks(f)
            return TaskPage(
                items=[TaskOut.of(t, ws.core.now) for t in found], total=total, limit=limit, offset=offset
            )

    @api.post(
        "/tasks",
        summary="Create a task",
        status_code=201,
        response_model=TaskOut,
        responses={
            200: {"model": TaskOut, "description": "A retry: the task this Idempotency-Key created."},
            **documented(404, 409, 422),
        },
    )
    async def create_task(
        body: TaskCreate,
        response: Response,
        # A default rather than Annotated: ``write`` is local, and annotations are strings here.
        principal: Principal = write,
        idempotency_key: Annotated[
            str | None,
            Header(
                alias="Idempotency-Key",
                min_length=1,
                max_length=200,
                description="Retrying with the same key returns the task the first request made (200).",
            ),
        ] = None,
    ) -> TaskOut:
        """For ``user_id`` (who must have written to the assistant: they have a profile), in their
        organisation. An assignee is told on WhatsApp, as when a teammate assigns a task there.

        With an ``Idempotency-Key`` (scoped to the API key's name) the task's id derives from the
        key: a retry returns the task the first request made (200, ``Idempotent-Replayed: true``).
        409: the key was used for another owner, its task was deleted since, or the retry raced
        the first request (retry again)."""
        # Per principal: two tools picking the same key do not get each other's tasks.
        key = idempotency_key
        seed = deterministic_id("api.tasks.create", principal.name, key) if key else None
        async with units.change(seed) as work:
            owner = await work.profiles.get(body.user_id)
            if owner is None:
                raise NotFound(f"no user {body.user_id!r} (they have never written to the assistant)")
            ws = work.workspace(owner.org_id)
            earlier = await ws.tasks.replayed_task() if key else None
            if earlier is not None:
                task = _replayed(earlier, body)
                response.status_code = 200
                response.headers["Idempotent-Replayed"] = "true"
            else:
                await _check_project(ws, body.project_id, owner.org_id)
                when = schedule(
                    body.due_at, body.due_has_time, body.recurrence, zone(owner.timezone), work.now
                )
                task = await ws.tasks.create_task(
                    body.title,
                    priority=body.priority,
                    due_at=when.due_at,
                    due_has_time=when.due_has_time,
                    recurrence=when.recurrence,
                    project_id=body.project_id,
                    assignee_id=body.assignee_id,
                    owner_id=owner.user_id,
                )
        response.headers["Location"] = location(task.id)
        return TaskOut.of(task, work.now)

    @api.get(
        "/tasks/{task_id}",
        summary="Get a task",
        response_model=TaskOut,
        dependencies=[read],
        responses=documented(404),
    )
    async def get_task(task_id: TaskId) -> TaskOut:
        async with units.read() as ws:
            return TaskOut.of(await ws.tasks.get_task(task_id), ws.core.now)

    @api.patch(
        "/tasks/{task_id}",
        summary="Change a task",
        response_model=TaskOut,
        dependencies=[write],
        responses=documented(404, 422),
    )
    async def update_task(task_id: TaskId, body: TaskPatch) -> TaskOut:
        """Only the fields sent change. ``status`` done completes the task (a repeating one gets
        its next occurrence, see POST .../complete), open reopens it."""
        async with units.change() as work:
            ws = work.workspace()
            task = await ws.tasks.get_task(task_id)
            changes = await _changes(ws, task, body)
            if changes is not None:
                task = await ws.tasks.update_task(task.id, changes)
            if body.status == "done":
                task, _ = await ws.tasks.complete_task(task.id)
            elif body.status == "open":
                task = await ws.tasks.reopen_task(task.id)
        return TaskOut.of(task, work.now)

    @api.post(
        "/tasks/{task_id}/complete",
        summary="Complete a task",
        response_model=Completion,
        dependencies=[write],
        responses=documented(404),
    )
    async def complete_task(task_id: TaskId) -> Completion:
        """Completing a repeating task creates its next occurrence (``next_task``); completing a
        done task changes nothing."""
        async with units.change() as work:
            done, following = await work.workspace().tasks.complete_task(task_id)
        return Completion(
            task=TaskOut.of(done, work.now), next_task=TaskOut.of(following, work.now) if following else None
        )

    @api.post(
        "/tasks/{task_id}/reopen",
        summary="Reopen a task",
        response_model=TaskOut,
        dependencies=[write],
        responses=documented(404),
    )
    async def reopen_task(task_id: TaskId) -> TaskOut:
        async with units.change() as work:
            task = await work.workspace().tasks.reopen_task(task_id)
        return TaskOut.of(task, work.now)

    @api.delete(
        "/tasks/{task_id}",
        summary="Delete a task",
        status_code=204,
        dependencies=[write],
        responses=documented(404),
    )
    async def delete_task(task_id: TaskId) -> Response:
        """A soft delete, as on WhatsApp: the task disappears from every list and its reminders
        are cancelled (the row stays, so the owner's "undo" can bring it back)."""
        async with units.change() as work:
            await work.workspace().tasks.delete_task(task_id)
        return Response(status_code=204)

    return api


def _replayed(earlier: Task, body: TaskCreate) -> Task:
    """The task an earlier request with the same key created. Only its owner is compared: the
    task may have been changed since, and the request itself is not stored."""
    if earlier.user_id != body.user_id:
        raise Conflict("this Idempotency-Key was used for another user's task")
    if earlier.deleted_at is not None:
        raise Conflict("the task this Idempotency-Key created has been deleted since")
    return earlier


async def _changes(ws: Workspace, task: Task, body: TaskPatch) -> TaskChanges | None:
    fields: dict[str, Any] = {}
    if body.sent("title"):
        fields["title"] = body.title
    if body.sent("priority"):
        fields["priority"] = body.priority
    if body.sent("project_id"):
        await _check_project(ws, body.project_id, task.org_id)
        fields["project_id"] = body.project_id
    if body.sent("assignee_id"):
        fields["assignee_id"] = body.assignee_id
    if body.sent("due_at") or body.sent("due_has_time") or body.sent("recurrence"):
        when = await _rescheduled(ws, task, body)
        if (when.due_at, when.due_has_time) != (task.due_at, task.due_has_time):
            fields.update(due_at=when.due_at, due_has_time=when.due_has_time)
        if body.sent("recurrence"):
            fields["recurrence"] = when.recurrence
    return TaskChanges(**fields) if fields else None


async def _rescheduled(ws: Workspace, task: Task, body: TaskPatch) -> Schedule:
    owner = await ws.core.store.profiles.get(task.user_id)
    owner_zone = zone(owner.timezone if owner else None)
    rule = body.recurrence if body.sent("recurrence") else task.recurrence
    if body.sent("due_at"):
        due, has_time = body.due_at, body.due_has_time
        if due is None and rule is not None:
            raise WorkspaceError("a repeating task needs a due date: clear its recurrence too")
    else:
        # The stored deadline, read in the owner's zone (a date-only one is its day anywhere).
        due = local_due(task.due_at, task.due_has_time, owner_zone) if task.due_at else None
        has_time = body.due_has_time if body.sent("due_has_time") else task.due_has_time
    return schedule(due, has_time, rule, owner_zone, ws.core.now)
