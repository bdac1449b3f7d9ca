"""Mapping rows to domain objects. SQLite hands back naive datetimes; everything stored is UTC."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, cast

from tasklane_agent.domain import Project, Task
from tasklane_agent.domain.names import name_key


def utc(at: datetime | None) -> datetime | None:
    if at is None:
        return None
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)


def utc_required(at: datetime) -> datetime:
    return cast(datetime, utc(at))


def task_of(row: Any) -> Task:
    return Task(
        id=row.id,
        user_id=row.user_id,
        title=row.title,
        status=row.status,
        priority=row.priority,
        due_at=utc(row.due_at),
        due_has_time=bool(row.due_has_time),
        source_wamid=row.source_wamid,
        created_at=utc_required(row.created_at),
        updated_at=utc_required(row.updated_at),
        completed_at=utc(row.completed_at),
        org_id=row.org_id,
        project_id=row.project_id,
        assignee_id=row.assignee_id,
        recurrence=row.recurrence,
        deleted_at=utc(row.deleted_at),
    )


def task_values(task: Task) -> dict[str, Any]:
    return {
        "id": task.id,
        "user_id": task.user_id,
        "title": task.title,
        "title_key": name_key(task.title),
        "status": task.status,
        "priority": task.priority,
        "due_at": utc(task.due_at),
        "due_has_time": task.due_has_time and task.due_at is not None,
        "source_wamid": task.source_wamid,
        "created_at": utc(task.created_at),
        "updated_at": utc(task.updated_at),
        "completed_at": utc(task.completed_at),
        "org_id": task.org_id,
        "project_id": task.project_id,
        "assignee_id": task.assignee_id,
        "recurrence": task.recurrence,
        "deleted_at": utc(task.deleted_at),
    }


def project_of(row: Any) -> Project:
    return Project(
        id=row.id,
        org_id=row.org_id,
        owner_id=row.owner_id,
        name=row.name,
        created_at=utc_required(row.created_at),
        updated_at=utc_required(row.updated_at),
    )


# What "undo" puts back from a before-image (ids, owner and creation stay as they are).
_RESTORABLE = ("title", "status", "priority", "due_at", "due_has_time", "completed_at", "project_id",
               "assignee_id", "recurrence", "deleted_at")  # fmt: skip


def snapshot(task: Task) -> dict[str, Any]:
    """A JSON-ready before-image of ``task`` (kept in the conversation state for "undo")."""
    return {k: v.isoformat() if isinstance(v, datetime) else v for k, v in task_values(task).items()}


def restorable(image: dict[str, Any]) -> dict[str, Any]:
    """The fields of a before-image that "undo" writes back, as ``Task`` fields."""
    fields = {k: image[k] for k in _RESTORABLE if k in image}
    for key in ("due_at", "completed_at", "deleted_at"):
        value = fields.get(key)
        if isinstance(value, str):
            fields[key] = datetime.fromisoformat(value)
    return fields
