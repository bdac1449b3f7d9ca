"""Persistence of tasks. Callers own the transaction; nothing commits here.

Every read takes a *visibility* clause (``TaskScope``): a user sees the tasks they own, the ones
assigned to them, and those of the projects they are a member of. The clause is built once, by
the workspace, so no query can forget it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, literal_column, not_, or_, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from tasklane_agent.domain import Task
from tasklane_agent.domain.deadlines import day_boundary, floating
from tasklane_agent.domain.names import name_key
from tasklane_agent.domain.priority import Priority
from tasklane_agent.storage.rows import task_of, task_values, utc, utc_required
from tasklane_agent.storage.tables import project_members, tasks


@dataclass(frozen=True)
class TaskScope:
    """Whose tasks a query may see: one user's (with their projects'), or everyone's (admin API)."""

    user_id: str | None
    org_id: str | None = None

    def clause(self) -> ColumnElement[bool]:
        if self.user_id is None:
            return tasks.c.org_id == self.org_id if self.org_id is not None else true()
        member_of = select(project_members.c.project_id).where(project_members.c.user_id == self.user_id)
        return or_(
            tasks.c.user_id == self.user_id,
            tasks.c.assignee_id == self.user_id,
            tasks.c.project_id.in_(member_of),
        )


@dataclass(frozen=True)
class TaskFilter:
    status: str | None = "open"  # open | done | None (both)
    due_from: datetime | None = None  # inclusive, UTC
    due_before: datetime | None = None  # exclusive, UTC
    priority: Priority | None = None
    project_id: str | None = None
    owner_id: str | None = None
    assignee_id: str | None = None
    title_words: tuple[str, ...] = ()  # every word must appear in the title (case and accents aside)
    limit: int = 50
    offset: int = 0
    # With ``as_of``: True keeps only the tasks overdue then (``overdue_clause``), False drops them.
    overdue: bool | None = None
    as_of: datetime | None = None


def overdue_clause(now: datetime) -> ColumnElement[bool]:
    """Open and past due at ``now`` (aware, in the viewer's timezone): a timed deadline once
    passed; a date-only one once its day is over there (``deadlines.is_overdue``)."""
    return and_(
        tasks.c.status == "open",
        tasks.c.due_at.is_not(None),
        or_(
            and_(tasks.c.due_has_time.is_(True), tasks.c.due_at < utc_required(now)),
            and_(tasks.c.due_has_time.is_(False), tasks.c.due_at < floating(now.date())),
        ),
    )


_ENDINGS = ("ing", "ed", "es", "s")


def _starts_a_word(form: str) -> ColumnElement[bool]:
    """The folded title has a word starting with ``form``: "call" finds "call the bank" and
    "calls", not "recall"; a stem never matches inside another word ("fil" is not "profile")."""
    return or_(
        tasks.c.title_key.startswith(form, autoescape=True),
        tasks.c.title_key.contains(" " + form, autoescape=True),
    )


def word_forms(key: str) -> tuple[str, ...]:
    """A searched word and its stem without a common ending, so "mowed" finds "mow the lawn" and
    "reports" finds "the report" (the stem keeps at least 3 letters)."""
    if not key:
        return ()
    for ending in _ENDINGS:
        if key.endswith(ending) and len(key) - len(ending) >= 3:
            return (key, key[: -len(ending)])
    return (key,)


def _conditions(scope: TaskScope, f: TaskFilter) -> list[ColumnElement[bool]]:
    where = [scope.clause(), tasks.c.deleted_at.is_(None)]
    if f.status is not None:
        where.append(tasks.c.status == f.status)
    # A date-only deadline (stored floating, see ``deadlines``) is compared by its day.
    timed, dated = tasks.c.due_has_time.is_(True), tasks.c.due_has_time.is_(False)
    if f.due_from is not None:
        where.append(
            or_(
                and_(timed, tasks.c.due_at >= utc(f.due_from)),
                and_(dated, tasks.c.due_at >= day_boundary(f.due_from)),
            )
        )
    if f.due_before is not None:
        where.append(
            or_(
                and_(timed, tasks.c.due_at < utc(f.due_before)),
                and_(dated, tasks.c.due_at < day_boundary(f.due_before)),
            )
        )
    if f.priority is not None:
        where.append(tasks.c.priority == f.priority)
    if f.project_id is not None:
        where.append(tasks.c.project_id == f.project_id)
    if f.owner_id is not None:
        where.append(tasks.c.user_id == f.owner_id)
    if f.assignee_id is not None:
        where.append(tasks.c.assignee_id == f.assignee_id)
    for word in f.title_words:
        forms = word_forms(name_key(word))
        if forms:
            where.append(or_(*(_starts_a_word(form) for form in forms)))
    if f.overdue is not None and f.as_of is not None:
        late = overdue_clause(f.as_of)
        where.append(late if f.overdue else not_(late))
    return where


class TaskRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def insert(self, task: Task) -> Task:
        await self.session.execute(tasks.insert().values(**task_values(task)))
        return task

    async def save(self, task: Task) -> Task:
        values = task_values(task)
        del values["id"]
        await self.session.execute(tasks.update().where(tasks.c.id == task.id).values(**values))
        return task

    async def get(
        self, task_id: str, scope: TaskScope, *, deleted: bool = False, for_update: bool = False
    ) -> Task | None:
        """``for_update`` locks the row until the transaction ends (PostgreSQL; SQLite has one
        writer anyway): two replicas completing the same task then take turns."""
        where = and_(tasks.c.id == task_id, scope.clause())
        if not deleted:
            where = and_(where, tasks.c.deleted_at.is_(None))
        query = select(tasks).where(where)
        if for_update:
            query = query.with_for_update(of=tasks)
        row = (await self.session.execute(query)).first()
        return task_of(row) if row is not None else None

    async def get_many(self, task_ids: list[str], scope: TaskScope) -> list[Task]:
        """The visible, undeleted tasks among ``task_ids``, in the order given."""
        if not task_ids:
            return []
        rows = await self.session.execute(
            select(tasks).where(tasks.c.id.in_(task_ids), scope.clause(), tasks.c.deleted_at.is_(None))
        )
        found = {r.id: task_of(r) for r in rows}
        return [found[i] for i in task_ids if i in found]

    async def query(
        self, scope: TaskScope, f: TaskFilter, *, utc_offset: timedelta | None = None
    ) -> list[Task]:
        """Dated tasks first by due date, then undated ones by creation; done ones newest first.
        ``utc_offset`` is the viewer's: a date-only deadline then sorts at the start of its day
        there, not at 00:00 UTC (before Wednesday evening's tasks, for a Thursday in New York)."""
        due: ColumnElement[Any] = tasks.c.due_at
        dialect = self.session.bind.dialect.name if self.session.bind is not None else "postgresql"
        if utc_offset and dialect == "postgresql":
            seconds = int(utc_offset.total_seconds())  # an int: safe to write into the SQL
            shift: ColumnElement[Any] = literal_column(f"interval '{seconds} seconds'")
            due = case((tasks.c.due_has_time.is_(False), tasks.c.due_at - shift), else_=tasks.c.due_at)
        order = (
            [tasks.c.completed_at.desc()]
            if f.status == "done"
            else [case((tasks.c.due_at.is_(None), 1), else_=0), due, tasks.c.created_at]
        )
        rows = await self.session.execute(
            select(tasks)
            .where(*_conditions(scope, f))
            .order_by(*order, tasks.c.id)
            .limit(f.limit)
            .offset(f.offset)
        )
        return [task_of(r) for r in rows]

    async def count(self, scope: TaskScope, f: TaskFilter) -> int:
        total = await self.session.execute(
            select(func.count()).select_from(tasks).where(*_conditions(scope, f))
        )
        return int(total.scalar_one())

    async def assigned_between(self, user_id: str, others: set[str]) -> list[Task]:
        """Open tasks of ``user_id`` assigned to one of ``others``, or of one of ``others``
        assigned to ``user_id``."""
        if not others:
            return []
        rows = await self.session.execute(
            select(tasks).where(
                tasks.c.status == "open",
                tasks.c.deleted_at.is_(None),
                or_(
                    and_(tasks.c.user_id == user_id, tasks.c.assignee_id.in_(sorted(others))),
                    and_(tasks.c.assignee_id == user_id, tasks.c.user_id.in_(sorted(others))),
                ),
            )
        )
        return [task_of(r) for r in rows]

    async def counts_by_status(self, project_id: str) -> dict[str, int]:
        rows = await self.session.execute(
            select(tasks.c.status, func.count())
            .where(tasks.c.project_id == project_id, tasks.c.deleted_at.is_(None))
            .group_by(tasks.c.status)
        )
        return {status: int(n) for status, n in rows.all()}
