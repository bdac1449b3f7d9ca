"""Request and response bodies of the REST API (``/api/v1``).

Times go out in UTC with their offset, and come in only with one (``AwareDatetime``): a deadline
without an offset would be read in whichever zone the server happens to run in. Request bodies
refuse unknown fields, so a misspelt ``due_date`` is an error rather than silently ignored.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)

from tasklane_agent.domain import Profile, Progress, Project, Task
from tasklane_agent.domain.deadlines import is_overdue
from tasklane_agent.domain.priority import Priority
from tasklane_agent.domain.recurrence import Recurrence
from tasklane_agent.workspace.core import MAX_TITLE
from tasklane_common.paging import Page

ID_MAX = 200  # the widest id column (user and org ids); task and project ids are 36
# Deadlines outside these years are typos, and near year 1 or 9999 converting zones overflows.
EARLIEST, LATEST = datetime(1970, 1, 1, tzinfo=UTC), datetime(2200, 1, 1, tzinfo=UTC)


def in_supported_range(at: datetime) -> datetime:
    if not EARLIEST <= at <= LATEST:
        raise ValueError("must be between 1970 and 2200")
    return at


Instant = Annotated[AwareDatetime, AfterValidator(in_supported_range)]


def is_overdue_at(task: Task, now: datetime) -> bool:
    """The ``overdue`` filter's rule (``storage.tasks.overdue_clause``), for one task: the API
    sees the world in UTC (``now``)."""
    return is_overdue(task, now, ZoneInfo("UTC"))


def canonical_rule(rule: str | None) -> str | None:
    """A recurrence rule as ``Recurrence.to_rule`` writes it; ``ValueError`` (a 422) otherwise."""
    if rule is None:
        return None
    return Recurrence.from_rule(rule).to_rule()


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @field_validator("*")
    @classmethod
    def _no_control_characters(cls, value: Any) -> Any:
        # PostgreSQL refuses a NUL in text: without this, a 500 for plainly bad input.
        if isinstance(value, str) and "\x00" in value:
            raise ValueError("NUL characters are not allowed")
        return value


# ------------------------------------------------------------------ tasks


class TaskOut(BaseModel):
    id: str
    user_id: str = Field(description="The owner: who the task was created for.")
    org_id: str | None
    title: str
    status: Literal["open", "done"]
    priority: Priority
    due_at: datetime | None = Field(
        description="UTC. A date-only deadline is its calendar day at 00:00 UTC, the same day for everyone."
    )
    due_has_time: bool
    overdue: bool = Field(description="Open and past due (a date-only deadline once its day is over).")
    recurrence: str | None = Field(description="Rule such as FREQ=WEEKLY;INTERVAL=1;BYDAY=MO;AT=09:00.")
    project_id: str | None
    assignee_id: str | None
    created_at: datetime
    updated_at: datetime
    completed_at: datetime | None

    @classmethod
    def of(cls, task: Task, now: datetime) -> TaskOut:
        return cls(
            id=task.id,
            user_id=task.user_id,
            org_id=task.org_id,
            title=task.title,
            status=task.status,
            priority=task.priority,
            due_at=task.due_at,
            due_has_time=task.due_has_time,
            overdue=is_overdue_at(task, now),
            recurrence=task.recurrence,
            project_id=task.project_id,
            assignee_id=task.assignee_id,
            created_at=task.created_at,
            updated_at=task.updated_at,
            completed_at=task.completed_at,
        )


class TaskPage(Page[TaskOut]):
    """A page of tasks: the envelope every list of every service answers (docs/api.md)."""


class Completion(BaseModel):
    task: TaskOut
    next_task: TaskOut | None = Field(description="The next occurrence, when the task repeats.")


class _Schedule(_Body):
    """The fields that say when a task is due, shared by creation and change."""

    due_at: Instant | None = Field(
        default=None,
        description="ISO-8601 with an offset. With due_has_time false only its date (in the offset "
        "given) counts: the deadline is that calendar day.",
    )
    due_has_time: bool = Field(
        default=True,
        description="True (the default): due_at is the deadline itself. False: a date-only deadline, "
        "the day due_at names, whatever its time.",
    )
    recurrence: str | None = Field(
        default=None,
        max_length=200,
        description="Repeat rule, e.g. FREQ=DAILY;INTERVAL=1 or FREQ=WEEKLY;INTERVAL=1;BYDAY=MO,TH;AT=09:00. "
        "Without due_at the first occurrence from now becomes the deadline; completing the task "
        "creates the next occurrence.",
    )

    @field_validator("recurrence")
    @classmethod
    def _rule(cls, value: str | None) -> str | None:
        return canonical_rule(value)


class TaskCreate(_Schedule):
    user_id: str = Field(min_length=1, max_length=ID_MAX, description="The owner; must have a profile.")
    title: str = Field(min_length=1, max_length=MAX_TITLE)
    priority: Priority = "normal"
    project_id: str | None = Field(default=None, max_length=ID_MAX)
    assignee_id: str | None = Field(default=None, max_length=ID_MAX)


class TaskPatch(_Schedule):
    """Only the fields sent change; ``null`` clears due_at, recurrence, project_id and assignee_id."""

    title: str | None = Field(default=None, min_length=1, max_length=MAX_TITLE)
    priority: Priority | None = None
    project_id: str | None = Field(default=None, max_length=ID_MAX)
    assignee_id: str | None = Field(default=None, max_length=ID_MAX)
    status: Literal["open", "done"] | None = Field(
        default=None, description="done completes the task (a repeating one gets its next occurrence)."
    )

    @model_validator(mode="after")
    def _no_null_for_required(self) -> TaskPatch:
        nulls = [
            f
            for f in ("title", "priority", "status")
            if f in self.model_fields_set and getattr(self, f) is None
        ]
        if nulls:
            raise ValueError(f"{', '.join(nulls)} cannot be null")
        return self

    def sent(self, name: str) -> bool:
        return name in self.model_fields_set


# ------------------------------------------------------------------ projects


class ProjectOut(BaseModel):
    id: str
    org_id: str
    owner_id: str
    name: str
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, project: Project) -> ProjectOut:
        return cls(
            id=project.id,
            org_id=project.org_id,
            owner_id=project.owner_id,
            name=project.name,
            created_at=project.created_at,
            updated_at=project.updated_at,
        )


class ProjectPage(Page[ProjectOut]):
    """A page of projects (docs/api.md)."""


class MemberOut(BaseModel):
    user_id: str
    name: str | None

    @classmethod
    def of(cls, profile: Profile) -> MemberOut:
        # Never the address: it is the member's phone number.
        return cls(user_id=profile.user_id, name=profile.name)


class ProgressOut(BaseModel):
    done: int
    open: int
    overdue: int = Field(description="As GET /api/v1/tasks?project_id=...&overdue=true counts them.")
    next_due: TaskOut | None = Field(description="The open task due next (not overdue).")
    members: list[MemberOut]


class ProjectDetail(ProjectOut):
    progress: ProgressOut

    @classmethod
    def of_progress(cls, progress: Progress, overdue: int, now: datetime) -> ProjectDetail:
        base = ProjectOut.of(progress.project).model_dump()
        return cls(
            **base,
            progress=ProgressOut(
                done=progress.done,
                open=progress.open,
                overdue=overdue,
                next_due=TaskOut.of(progress.next_due, now) if progress.next_due else None,
                members=[MemberOut.of(m) for m in progress.members],
            ),
        )


class ProjectCreate(_Body):
    name: str = Field(min_length=1, max_length=200)
    owner_id: str = Field(min_length=1, max_length=ID_MAX, description="Must have a profile.")
    org_id: str | None = Field(
        default=None, max_length=ID_MAX, description="Defaults to the owner's; must be the owner's."
    )


class ProjectPatch(_Body):
    name: str = Field(min_length=1, max_length=200)


class ProjectDeleted(BaseModel):
    id: str
    unlinked_task_ids: list[str] = Field(description="Tasks that stay, no longer in the project.")


class Membership(BaseModel):
    project_id: str
    user_id: str
    member: bool
    changed: bool = Field(description="False when the user already was (or was not) a member.")
