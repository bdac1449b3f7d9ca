"""Operators' HTTP API: where a reply stands, and the state of the Graph API circuit breakers."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, HTTPException

from tasklane_common.auth import ApiKeyAuth, requires
from tasklane_common.runtime import ServiceRuntime
from tasklane_common.settings import Role
from tasklane_sender.repository import OutboundRepository


def router(runtime: ServiceRuntime, breaker_states: Callable[[], dict[str, str]]) -> APIRouter:
    auth = ApiKeyAuth(runtime.settings.auth)
    api = APIRouter(prefix="/api/sender", tags=["sender"], dependencies=[requires(auth, Role.OPERATOR)])

    @api.get("/messages/{reply_id}")
    async def message(reply_id: str) -> dict[str, Any]:
        """An outbound message with its delivery state and Meta's status history."""
        async with runtime.db.read() as session:
            repo = OutboundRepository(session)
            found = await repo.get(reply_id)
            if found is None:
                raise HTTPException(status_code=404, detail="unknown reply id")
            history = await repo.history(found.wamid) if found.wamid else []
        return {
            "reply_id": found.reply_id,
            "status": found.status,
            "wamid": found.wamid,
            "kind": found.kind,
            "attempts": found.attempts,
            "error_code": found.error_code,
            "last_error": found.last_error,
            "created_at": found.created_at.isoformat(),
            "sent_at": found.sent_at.isoformat() if found.sent_at else None,
            "statuses": history,
        }

    @api.get("/breakers")
    async def breakers() -> dict[str, str]:
        """Circuit breaker state per phone number id (closed, open, half-open)."""
        return breaker_states()

    return api
