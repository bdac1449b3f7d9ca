"""Operators' HTTP API: where a reply stands, the phone numbers (paused, held, breaker) and the
circuit breakers; resuming a paused or held number. State changes are audited (``audit``)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, HTTPException

from tasklane_common.auth import ApiKeyAuth, requires
from tasklane_common.logging import get_logger
from tasklane_common.runtime import ServiceRuntime
from tasklane_common.settings import Role
from tasklane_sender import holds
from tasklane_sender.audit import audited
from tasklane_sender.repository import OutboundRepository

log = get_logger(__name__)


def router(
    runtime: ServiceRuntime,
    breaker_states: Callable[[], dict[str, str]],
    wake_dispatcher: Callable[[], None] = lambda: None,
) -> APIRouter:
    auth = ApiKeyAuth(runtime.settings.auth)
    api = APIRouter(
        prefix="/api/sender",
        tags=["sender"],
        # In this order: the role check first, so only admitted principals reach the audit.
        dependencies=[requires(auth, Role.OPERATOR), audited(auth)],
    )

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
        """Circuit breaker state per phone number id (closed, open, half-open), in this replica."""
        return breaker_states()

    @api.get("/numbers")
    async def numbers() -> list[dict[str, Any]]:
        """Every phone number the sender knows: paused (why, since when), held back by Meta (until
        when, why), messages pending, and this replica's breaker state."""
        async with runtime.db.read() as session:
            found = await holds.overview(session, datetime.now(UTC))
        states = breaker_states()
        for number in found:
            number["breaker"] = states.get(number["phone_number_id"], "closed")
        return found

    @api.post("/numbers/{phone_number_id}/resume")
    async def resume(phone_number_id: str) -> dict[str, Any]:
        """Let a paused number send again (after fixing what paused it, e.g. a new access token),
        and lift a hold (131048, 131064) or throttle early (Meta lifted it, say). Its waiting
        messages go out at once, within its limits. Resuming a number that is neither paused nor
        held changes nothing."""
        now = datetime.now(UTC)
        async with runtime.db.transaction() as session:
            if not await holds.known(session, phone_number_id):
                raise HTTPException(status_code=404, detail="unknown phone number id")
            unpaused = await holds.resume(session, phone_number_id, now=now)
            unheld = await holds.lift_hold(session, phone_number_id, now=now)
        if unpaused or unheld:
            log.warning("number_resumed", phone_number_id=phone_number_id, paused=unpaused, held=unheld)
            wake_dispatcher()
        return {
            "phone_number_id": phone_number_id,
            "resumed": unpaused or unheld,
            "hold_lifted": unheld,
            "paused": False,
        }

    return api
