"""Operators' HTTP API (``/api/v1/sender``): where a reply stands, the phone numbers (paused,
held, breaker) and the circuit breakers; resuming a paused or held number. State changes are
audited (``audit``).

Path identifiers have the shape the sender stores: anything else (a line break in a phone number
id, say) is refused with a 422 before it reaches the database or a Graph API URL."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, HTTPException, Path

from tasklane_common.auth import ApiKeyAuth, requires
from tasklane_common.http import database_answers
from tasklane_common.logging import get_logger
from tasklane_common.paging import Page, sliced
from tasklane_common.params import Offset, limit_query
from tasklane_common.problems import Responses, refusals
from tasklane_common.runtime import ServiceRuntime
from tasklane_common.settings import Role
from tasklane_sender import holds
from tasklane_sender.audit import audited
from tasklane_sender.identifiers import PHONE_NUMBER_ID_PATTERN
from tasklane_sender.repository import OutboundRepository
from tasklane_sender.views import MessageOut, NumberOut, ResumeOut

log = get_logger(__name__)

PREFIX = "/api/v1/sender"
# Reply ids are UUIDs (the agent's, the gateway's); the column holds 64 characters.
REPLY_ID_PATTERN = r"^[A-Za-z0-9_.:-]{1,64}$"
ReplyIdPath = Annotated[
    str, Path(pattern=REPLY_ID_PATTERN, description="A reply id: 1 to 64 of `A-Z a-z 0-9 _ . : -`.")
]
NumberIdPath = Annotated[
    str, Path(pattern=PHONE_NUMBER_ID_PATTERN, description="A phone number id: 1 to 64 digits.")
]
NumberLimit = Annotated[int, limit_query(200)]


def _not_found(what: str) -> Responses:
    return refusals({404: f"No such {what}."})


def router(
    runtime: ServiceRuntime,
    breaker_states: Callable[[], dict[str, str]],
    wake_dispatcher: Callable[[], None] = lambda: None,
) -> APIRouter:
    auth = ApiKeyAuth(runtime.settings.auth)
    api = APIRouter(
        prefix=PREFIX,
        tags=["sender"],
        # In this order: the role check first, so only admitted principals reach the audit.
        dependencies=[requires(auth, Role.OPERATOR), audited(auth, runtime)],
    )

    @api.get("/messages/{reply_id}", responses=_not_found("reply id"))
    async def message(reply_id: ReplyIdPath) -> MessageOut:
        """An outbound message with its delivery state and Meta's status history."""
        async with database_answers(), runtime.db.read() as session:
            repo = OutboundRepository(session)
            found = await repo.get(reply_id)
            if found is None:
                raise HTTPException(status_code=404, detail="unknown reply id")
            history = await repo.history(found.wamid) if found.wamid else []
        return MessageOut.model_validate(
            {
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
        )

    @api.get("/breakers")
    async def breakers() -> dict[str, str]:
        """Circuit breaker state per phone number id (closed, open, half-open), in this replica:
        a map, not a list (``/numbers`` lists the numbers, each with its breaker)."""
        return breaker_states()

    @api.get("/numbers")
    async def numbers(limit: NumberLimit = 50, offset: Offset = 0) -> Page[NumberOut]:
        """Every phone number the sender knows, by id: paused (why, since when), held back by
        Meta (until when, why), messages pending, and this replica's breaker state."""
        async with database_answers(), runtime.db.read() as session:
            found = await holds.overview(session, datetime.now(UTC))
        states = breaker_states()
        every = [
            NumberOut.model_validate({**n, "breaker": states.get(n["phone_number_id"], "closed")})
            for n in found
        ]
        return sliced(every, limit=limit, offset=offset)

    @api.post("/numbers/{phone_number_id}/resume", responses=_not_found("phone number id"))
    async def resume(phone_number_id: NumberIdPath) -> ResumeOut:
        """Let a paused number send again (after fixing what paused it, e.g. a new access token),
        and lift a hold (131048, 131064) or throttle early (Meta lifted it, say). Its waiting
        messages go out at once, within its limits. Resuming a number that is neither paused nor
        held changes nothing."""
        now = datetime.now(UTC)
        async with database_answers(), runtime.db.transaction() as session:
            if not await holds.known(session, phone_number_id):
                raise HTTPException(status_code=404, detail="unknown phone number id")
            unpaused = await holds.resume(session, phone_number_id, now=now)
            unheld = await holds.lift_hold(session, phone_number_id, now=now)
        if unpaused or unheld:
            log.warning("number_resumed", phone_number_id=phone_number_id, paused=unpaused, held=unheld)
            wake_dispatcher()
        return ResumeOut(
            phone_number_id=phone_number_id, resumed=unpaused or unheld, hold_lifted=unheld, paused=False
        )

    return api
