"""Which task a reply was about (``reply_tasks``), so a ✅ reaction to it can find the task."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from tasklane_agent.storage.tables import reply_tasks
from tasklane_common.db.dialect import upsert_insert

Row = tuple[str, str, str]  # (reply id, recipient's user id, task id)


class ReplySubjects:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def remember(self, rows: Iterable[Row], now: datetime) -> None:
        """Record which task each reply is about, in the transaction that writes the replies."""
        at = now.astimezone(UTC)
        values = [{"reply_id": r, "user_id": u, "task_id": task, "created_at": at} for r, u, task in rows]
        if values:
            insert = upsert_insert(self.session, reply_tasks).values(values)
            await self.session.execute(insert.on_conflict_do_nothing(index_elements=["reply_id"]))

    async def attach_wamid(self, reply_id: str, wamid: str) -> None:
        # A resend (the window template after 131047) gets a new wamid: the newest is the one shown.
        await self.session.execute(
            reply_tasks.update().where(reply_tasks.c.reply_id == reply_id).values(wamid=wamid)
        )

    async def task_reacted_to(self, wamid: str, user_id: str) -> str | None:
        """The task the message ``wamid`` sent to ``user_id`` was about; None when it is not known."""
        found = await self.session.execute(
            select(reply_tasks.c.task_id)
            .where(reply_tasks.c.wamid == wamid, reply_tasks.c.user_id == user_id)
            .distinct()
        )
        tasks = list(found.scalars())
        return tasks[0] if len(tasks) == 1 else None
