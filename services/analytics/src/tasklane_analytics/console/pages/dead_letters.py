"""Dead letters of this service, newest first, with replay for those who may.

Listing needs the operator role, as the dead-letter API does. When the operations API gathers the
dead letters of every service, ``letters_page`` and ``replay_one`` are what to point at it.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import HTMLResponse

from tasklane_analytics.console.access import OperatorAction, OperatorPage
from tasklane_analytics.console.context import console_of
from tasklane_analytics.console.rendering import NavItem, render
from tasklane_common.dead_letters_api import letter_json
from tasklane_common.errors import PublishError
from tasklane_common.http import database_answers
from tasklane_common.messaging.deadletters import AlreadyReplayed, DeadLetters
from tasklane_common.params import IdPath
from tasklane_common.settings import Role

NAV = NavItem("/dead-letters", "Dead letters", Role.OPERATOR)
PAGE = 50
router = APIRouter()


def _letters(request: Request) -> DeadLetters:
    letters = console_of(request).runtime.dead_letters
    if letters is None:
        raise HTTPException(404, "this service keeps no dead letters")
    return letters


def _row(raw: Any) -> dict[str, Any]:
    # The body is the event itself (a message's text included): the list shows only its headline.
    letter = letter_json(raw)
    letter.pop("body")
    letter["replayable"] = raw.replayed_at is None
    return letter


async def letters_page(request: Request, offset: int) -> dict[str, Any]:
    letters = _letters(request)
    async with database_answers():
        rows = await letters.find(queue=None, replayed=None, limit=PAGE, offset=offset)
        total = await letters.count()
    return {"letters": [_row(r) for r in rows], "total": total, "offset": offset, "limit": PAGE}


@router.get("/dead-letters")
async def dead_letters(
    request: Request,
    viewer: OperatorPage,
    offset: Annotated[int, Query(ge=0, le=10**9)] = 0,
) -> HTMLResponse:
    return render(request, "dead_letters.html", viewer, **(await letters_page(request, offset)))


async def replay_one(request: Request, letter_id: int) -> tuple[dict[str, Any] | None, str | None]:
    """The letter after a replay, and what went wrong if it was not replayed."""
    letters = _letters(request)
    problem = None
    try:
        async with database_answers():
            if await letters.replay(letter_id) is None:
                raise HTTPException(404, "unknown dead letter")
    except AlreadyReplayed:
        problem = "already replayed, and that replay has not died again"
    except PublishError:
        problem = "the broker did not confirm the replay; try again"
    async with database_answers():
        row = await letters.get(letter_id)
    return (_row(row) if row is not None else None), problem


@router.post("/dead-letters/{letter_id}/replay")
async def replay(request: Request, letter_id: IdPath, viewer: OperatorAction) -> HTMLResponse:
    letter, problem = await replay_one(request, letter_id)
    if letter is None:
        raise HTTPException(404, "unknown dead letter")
    return render(request, "partials/dead_letter_row.html", viewer, letter=letter, problem=problem)
