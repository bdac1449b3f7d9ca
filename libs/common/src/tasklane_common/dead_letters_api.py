"""Operators' HTTP API over a service's dead letters, mounted by every service at
``/api/<service>/dead-letters`` (role ``operator``).

    GET  /api/<svc>/dead-letters?queue=&replayed=&limit=&before=   newest first, paged by id
    GET  /api/<svc>/dead-letters/{id}                              one, with its headers
    POST /api/<svc>/dead-letters/{id}/replay                       back into its original queue
    POST /api/<svc>/dead-letters/replay  {"queue", "ids", "limit", "dry_run"}
                                                                   the replayable ones, bounded

A message has one record: ``replay_count`` counts its replays, ``deaths`` its deaths; a replay
that dies again makes the record replayable again. Replaying a record whose replay has not died
again is refused with 409.

Bodies are shown decoded (JSON when they parse, else text, else base64): they are the events
themselves, phone numbers included, which operators may see; they are never logged.
"""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, HTTPException, Path
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.engine import Row

from tasklane_common.auth import ApiKeyAuth, requires
from tasklane_common.errors import PublishError
from tasklane_common.messaging.deadletters import AlreadyReplayed, DeadLetters, Replayed, deaths_of
from tasklane_common.messaging.topology import ALL_QUEUES
from tasklane_common.params import INT64_MAX, BeforeId, TextFilter, limit_query
from tasklane_common.runtime import ServiceRuntime
from tasklane_common.settings import Role

MAX_PAGE = 200
MAX_BULK = 500
# Ids are 64-bit: anything larger is refused as input rather than failing in the database.
LetterId = Annotated[int, Path(ge=1, le=INT64_MAX)]


class BulkReplayRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    queue: str | None = None
    ids: list[Annotated[int, Field(ge=1, le=INT64_MAX)]] | None = Field(default=None, max_length=MAX_BULK)
    limit: int = Field(default=100, ge=1, le=MAX_BULK)
    # Only say what would be replayed.
    dry_run: bool = False


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


def _known_queue(queue: str | None) -> str | None:
    known = sorted(q.name for q in ALL_QUEUES)
    if queue is not None and queue not in known:
        raise HTTPException(422, f"unknown queue {queue!r}; queues: {', '.join(known)}")
    return queue


def dead_letters_router(runtime: ServiceRuntime) -> APIRouter:
    auth = ApiKeyAuth(runtime.settings.auth)
    api = APIRouter(
        prefix=f"/api/{runtime.service}/dead-letters",
        tags=["dead letters"],
        dependencies=[requires(auth, Role.OPERATOR)],
    )

    def letters() -> DeadLetters:
        if runtime.dead_letters is None:
            raise HTTPException(404, f"the {runtime.service} service keeps no dead letters")
        return runtime.dead_letters

    @api.get("")
    async def list_dead_letters(
        queue: TextFilter = None,
        replayed: bool | None = None,
        limit: Annotated[int, limit_query(MAX_PAGE)] = 50,
        before: BeforeId = None,
    ) -> dict[str, Any]:
        """Dead letters, newest first; pass ``next_before`` back as ``before`` for the next page."""
        rows = await letters().find(queue=_known_queue(queue), replayed=replayed, limit=limit, before=before)
        return {
            "items": [letter_json(r) for r in rows],
            "next_before": rows[-1].id if len(rows) == limit else None,
        }

    @api.get("/{letter_id}")
    async def get_dead_letter(letter_id: LetterId) -> dict[str, Any]:
        row = await letters().get(letter_id)
        if row is None:
            raise HTTPException(404, "unknown dead letter")
        return letter_json(row, with_headers=True)

    @api.post("/replay")
    async def replay_dead_letters(request: BulkReplayRequest | None = None) -> dict[str, Any]:
        """Replay the replayable dead letters (never replayed, or whose replay died again; of
        ``queue``, among ``ids``), oldest first, each at most once per request."""
        request = request or BulkReplayRequest()
        result = await letters().replay_matching(
            queue=_known_queue(request.queue), ids=request.ids, limit=request.limit, dry_run=request.dry_run
        )
        if result.would_replay is not None:
            rows = [await letters().get(i) for i in result.would_replay]
            return {
                "matched": result.matched,
                "dry_run": True,
                "replayed": [],
                "would_replay": [letter_json(r) for r in rows if r is not None],
                "error": None,
            }
        if result.error is not None and not result.replayed:
            raise HTTPException(
                503, f"the broker did not confirm the replay; nothing was replayed: {result.error}"
            )
        return {
            "matched": result.matched,
            "dry_run": False,
            "replayed": [replayed_json(r) for r in result.replayed],
            # Set when the broker stopped confirming midway: the rest stay unreplayed.
            "error": result.error,
        }

    @api.post("/{letter_id}/replay")
    async def replay_dead_letter(letter_id: LetterId) -> dict[str, Any]:
        """Publish the original message into its original queue only, then mark it replayed."""
        try:
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
        return replayed_json(replayed)

    return api
