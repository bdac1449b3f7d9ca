"""Conversation memory: recent turns and what the next message may refer to. Survives restarts
because it lives in the agent's schema; callers own the transaction."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import case, select
from sqlalchemy.ext.asyncio import AsyncSession

from tasklane_agent.domain import ConversationState, Role, Turn
from tasklane_agent.storage.rows import utc_required
from tasklane_agent.storage.tables import conversation_state, conversation_turns
from tasklane_common.db.dialect import upsert_insert


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
                created_at=utc_required(r.created_at),
            )
            for r in reversed(rows)
        ]

    async def state(self, user_id: str) -> ConversationState:
        row = (
            await self.session.execute(
                select(conversation_state).where(conversation_state.c.user_id == user_id)
            )
        ).first()
        if row is None:
            return ConversationState(user_id)
        return ConversationState(
            user_id=user_id,
            last_list=list(row.last_list or []),
            focus=list(row.focus or []),
            pending=row.pending,
            last_action=row.last_action,
            seen_at=row.updated_at,
        )

    async def save_state(self, state: ConversationState, now: datetime) -> None:
        values: dict[str, Any] = {
            "last_list": state.last_list,
            "focus": state.focus,
            "pending": state.pending,
            "last_action": state.last_action,
            "updated_at": now.astimezone(UTC),
        }
        insert = upsert_insert(self.session, conversation_state).values(user_id=state.user_id, **values)
        await self.session.execute(insert.on_conflict_do_update(index_elements=["user_id"], set_=values))
