"""Persistence of tasks and conversation turns. Callers own the transaction; nothing commits here."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from tasklane_agent.domain import Role, Task, Turn
from tasklane_agent.nlu.priority import Priority
from tasklane_agent.tables import conversation_turns, tasks


def _utc(at: datetime | None) -> datetime | None:
    # SQLite hands back naive datetimes; everything stored is UTC.
    if at is None:
        return None
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)


def _task(row: Any) -> Task:
    return Task(
        id=row.id,
        user_id=row.user_id,
        title=row.title,
        status=row.status,
        priority=row.priority,
        due_at=_utc(row.due_at),
        due_has_time=bool(row.due_has_time),
        source_wamid=row.source_wamid,
        created_at=cast(datetime, _utc(row.created_at)),
        updated_at=cast(datetime, _utc(row.updated_at)),
        completed_at=_utc(row.completed_at),
    )


class TaskRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(
        self,
        *,
        task_id: str,
        user_id: str,
        title: str,
        priority: Priority,
        due_at: datetime | None,
        due_has_time: bool,
        source_wamid: str | None,
        now: datetime,
    ) -> Task:
        task = Task(
            id=task_id,
            user_id=user_id,
            title=title,
            status="open",
            priority=priority,
            due_at=_utc(due_at),
            due_has_time=due_has_time and due_at is not None,
            source_wamid=source_wamid,
            created_at=now.astimezone(UTC),
            updated_at=now.astimezone(UTC),
        )
        await self.session.execute(
            tasks.insert().values(
                id=task.id,
                user_id=task.user_id,
                title=task.title,
                status=task.status,
                priority=task.priority,
                due_at=task.due_at,
                due_has_time=task.due_has_time,
                source_wamid=task.source_wamid,
                created_at=task.created_at,
                updated_at=task.updated_at,
                completed_at=None,
            )
        )
        return task

    async def get(self, task_id: str) -> Task | None:
        row = (await self.session.execute(select(tasks).where(tasks.c.id == task_id))).first()
        return _task(row) if row is not None else None

    async def open_tasks(self, user_id: str, *, limit: int) -> list[Task]:
        """The user's open tasks: dated ones first by due date, then undated by creation."""
        rows = await self.session.execute(
            select(tasks)
            .where(tasks.c.user_id == user_id, tasks.c.status == "open")
            .order_by(case((tasks.c.due_at.is_(None), 1), else_=0), tasks.c.due_at, tasks.c.created_at)
            .limit(limit)
        )
        return [_task(r) for r in rows]

    async def count_open(self, user_id: str) -> int:
        count = await self.session.execute(
            select(func.count())
            .select_from(tasks)
            .where(tasks.c.user_id == user_id, tasks.c.status == "open")
        )
        return int(count.scalar_one())


class ConversationRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def record(
        self,
        *,
        turn_id: str,
        user_id: str,
        wamid: str,
        role: Role,
        text: str,
        intent: str | None,
        at: datetime,
    ) -> None:
        await self.session.execute(
            conversation_turns.insert().values(
                id=turn_id,
                user_id=user_id,
                wamid=wamid,
                role=role,
                text=text,
                intent=intent,
                created_at=at.astimezone(UTC),
            )
        )

    async def recent(self, user_id: str, *, limit: int = 10) -> Sequence[Turn]:
        """The last ``limit`` turns of the user's conversation, oldest first."""
        t = conversation_turns
        # Within one exchange the user speaks first, even when both turns share a timestamp.
        user_first = case((t.c.role == "user", 0), else_=1)
        rows = (
            await self.session.execute(
                select(t)
                .where(t.c.user_id == user_id)
                .order_by(t.c.created_at.desc(), user_first.desc())
                .limit(limit)
            )
        ).all()
        return [
            Turn(
                id=r.id,
                user_id=r.user_id,
                wamid=r.wamid,
                role=r.role,
                text=r.text,
                intent=r.intent,
                created_at=cast(datetime, _utc(r.created_at)),
            )
            for r in reversed(rows)
        ]
