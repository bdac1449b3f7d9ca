"""Operators' HTTP API over a service's dead letters, mounted by every service at
``/api/v1/<service>/dead-letters`` (role ``operator``).

    GET  /api/v1/<svc>/dead-letters?queue=&replayed=&limit=&offset=  newest first, a page
    GET  /api/v1/<svc>/dead-letters/{id}                             one, with its headers
    POST /api/v1/<svc>/dead-letters/{id}/replay                      back into its original queue
    POST /api/v1/<svc>/dead-letters/replay  {"queue", "ids", "limit", "dry_run"}
                                                                     the replayable ones, bounded

``queue`` is one of the queue names (an enum in the OpenAPI), so a filter is either a queue there
is or a 422 naming the parameter; a queue this service does not consume lists nothing.

A message has one record: ``replay_count`` counts its replays, ``deaths`` its deaths; a replay
that dies again makes the record replayable again. Replaying a record whose replay has not died
again is refused with 409.

Bodies are shown decoded (JSON when they parse, else text, else base64): they are the events
themselves, phone numbers included, which operators may see; they are never logged.
"""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Any, Literal

import orjson
from fastapi import APIRouter, HTTPException, Query
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.engine import Row

from tasklane_common.auth import ApiKeyAuth, requires
from tasklane_common.errors import PublishError
from tasklane_common.http import database_answers
from tasklane_common.messaging.deadletters import AlreadyReplayed, DeadLetters, Replayed, deaths_of
from tasklane_common.messaging.topology import ALL_QUEUES
from tasklane_common.paging import Page
from tasklane_common.params import INT64_MAX, IdPath, Offset, limit_query
from tasklane_common.problems import refusals
from tasklane_common.runtime import ServiceRuntime
from tasklane_common.settings import Role

MAX_PAGE = 200
MAX_BULK = 500
# Ids are 64-bit digits: anything else is refused as input rather than failing in the database.
LetterId = IdPath
# Every queue there is, so that the OpenAPI lists the values a filter may take.
QueueName = StrEnum("QueueName", {q.name: q.name for q in ALL_QUEUES})  # type: ignore[misc]
QueueFilter = Annotated[QueueName | None, Query(description="Only the dead letters of this queue.")]


class BulkReplayRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    queue: QueueName | None = None
    ids: list[Annotated[int, Field(ge=1, le=INT64_MAX)]] | None = Field(default=None, max_length=MAX_BULK)
    limit: int = Field(default=100, ge=1, le=MAX_BULK)
    # Only say what would be replayed.
    dry_run: bool = False


class LetterOut(BaseModel):
    id: int
    queue: str
    event_id: str
    event_type: str | None
    reason: str
    dead_at: str
    replayed_at: str | None
    replay_count: int = Field(description="How often it was replayed.")
    deaths: int = Field(description="How often the message died (once, then once per failed replay).")
    body: Any = Field(description="The message: JSON when it parses, else text, else base64.")
    body_encoding: Literal["json", "text", "base64"]


class LetterDetail(LetterOut):
    headers: dict[str, Any]


class ReplayedOut(BaseModel):
    id: int
    queue: str
    event_id: str
    replayed_at: str
    replay_count: int


class BulkReplayOut(BaseModel):
    matched: int = Field(description="How many replayable dead letters matched.")
    dry_run: bool
    replayed: list[ReplayedOut]
    would_replay: list[LetterOut] | None = Field(description="With a dry run: what would be replayed.")
    error: str | None = Field(description="Set when the broker stopped confirming midway.")


def decoded_body(raw: bytes) -> dict[str, Any]:
    try:
        return {"body": orjson.loads(raw), "body_encoding": "json"}
    except orjson.JSONDecodeError:
        pass
    try:
        return {"body": raw.decode("utf-8"), "body_encoding": "text"}
    except UnicodeDecodeError:
        return {"body": base64.b64encode(raw).decode(), "body_encoding": "base64"}


def _iso(at: datetime) -> str:
    # SQLite (the embedded mode) hands timestamps back without their zone; they are UTC.
    return (at if at.tzinfo else at.replace(tzinfo=UTC)).isoformat()


def letter_json(row: Row[Any], *, with_headers: bool = False) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": row.id,
        "queue": row.queue,
        "event_id": row.event_id,
        "event_type": row.event_type,
        "reason": row.reason,
        "dead_at": _iso(row.dead_at),
        "replayed_at": _iso(row.replayed_at) if row.replayed_at else None,
        "replay_count": row.replay_count,
        "deaths": deaths_of(row),
        **decoded_body(row.body),
    }
    if with_headers:
        out["headers"] = row.headers
    return out


def replayed_json(replayed: Replayed) -> dict[str, Any]:
    return {
        "id": replayed.id,
        "queue": replayed.queue,
        "event_id": replayed.event_id,
        "replayed_at": replayed.replayed_at.isoformat(),
        "replay_count": replayed.replay_count,
    }


_UNKNOWN = {404: "No such dead letter, or this service keeps none."}
_UNCONFIRMED = {503: "The broker did not confirm the replay; retry."}
_ALREADY = {409: "Already replayed, and that replay has not died again."}


def dead_letters_router(runtime: ServiceRuntime) -> APIRouter:
    auth = ApiKeyAuth(runtime.settings.auth)
    api = APIRouter(
        prefix=f"/api/v1/{runtime.service}/dead-letters",
        tags=["dead letters"],
        dependencies=[requires(auth, Role.OPERATOR)],
    )

    def letters() -> DeadLetters:
        if runtime.dead_letters is None:
            raise HTTPException(404, f"the {runtime.service} service keeps no dead letters")
        return runtime.dead_letters

    @api.get("", responses=refusals({404: "This service keeps no dead letters."}))
    async def list_dead_letters(
        queue: QueueFilter = None,
        replayed: bool | None = None,
        limit: Annotated[int, limit_query(MAX_PAGE)] = 50,
        offset: Offset = 0,
    ) -> Page[LetterOut]:
        """Dead letters, newest first, a page at a time (docs/api.md)."""
        name = queue.value if queue is not None else None
        async with database_answers():
            rows = await letters().find(queue=name, replayed=replayed, limit=limit, offset=offset)
            total = await letters().count(queue=name, replayed=replayed)
        items = [LetterOut.model_validate(letter_json(r)) for r in rows]
        return Page[LetterOut](items=items, total=total, limit=limit, offset=offset)

    @api.get("/{letter_id}", responses=refusals(_UNKNOWN))
    async def get_dead_letter(letter_id: LetterId) -> LetterDetail:
        async with database_answers():
            row = await letters().get(letter_id)
        if row is None:
            raise HTTPException(404, "unknown dead letter")
        return LetterDetail.model_validate(letter_json(row, with_headers=True))

    @api.post("/replay", responses=refusals(_UNKNOWN | _UNCONFIRMED))
    async def replay_dead_letters(request: BulkReplayRequest | None = None) -> BulkReplayOut:
        """Replay the replayable dead letters (never replayed, or whose replay died again; of
        ``queue``, among ``ids``), oldest first, each at most once per request."""
        request = request or BulkReplayRequest()
        queue = request.queue.value if request.queue is not None else None
        async with database_answers():
            result = await letters().replay_matching(
                queue=queue, ids=request.ids, limit=request.limit, dry_run=request.dry_run
            )
            if result.would_replay is not None:
                rows = [await letters().get(i) for i in result.would_replay]
                would = [LetterOut.model_validate(letter_json(r)) for r in rows if r is not None]
                return BulkReplayOut(
                    matched=result.matched, dry_run=True, replayed=[], would_replay=would, error=None
                )
        if result.error is not None and not result.replayed:
            raise HTTPException(
                503, f"the broker did not confirm the replay; nothing was replayed: {result.error}"
            )
        return BulkReplayOut(
            matched=result.matched,
            dry_run=False,
            replayed=[ReplayedOut.model_validate(replayed_json(r)) for r in result.replayed],
            would_replay=None,
            # Set when the broker stopped confirming midway: the rest stay unreplayed.
            error=result.error,
        )

    @api.post("/{letter_id}/replay", responses=refusals(_UNKNOWN | _ALREADY | _UNCONFIRMED))
    async def replay_dead_letter(letter_id: LetterId) -> ReplayedOut:
        """Publish the original message into its original queue only, then mark it replayed."""
        try:
            async with database_answers():
                replayed = await letters().replay(letter_id)
        except AlreadyReplayed as exc:
            raise HTTPException(
                409,
                f"dead letter {exc.letter_id} was already replayed ({exc.replay_count} times) and that "
                "replay has not died again; it becomes replayable if it does",
            ) from exc
        except PublishError as exc:
            raise HTTPException(
                503, f"the broker did not confirm the replay; it is not marked replayed: {exc}"
            ) from exc
        if replayed is None:
            raise HTTPException(404, "unknown dead letter")
        return ReplayedOut.model_validate(replayed_json(replayed))

    return api
