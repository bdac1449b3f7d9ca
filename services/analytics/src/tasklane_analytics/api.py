"""The analysts' HTTP API (``/api/v1/analytics``)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query
from pydantic import BaseModel, ConfigDict, Field

from tasklane_analytics.repository import EventRepository
from tasklane_common.auth import ApiKeyAuth, requires
from tasklane_common.http import database_answers
from tasklane_common.runtime import ServiceRuntime
from tasklane_common.settings import Role

PREFIX = "/api/v1/analytics"
DEFAULT_WINDOW = timedelta(days=1)


class Summary(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    from_: str = Field(alias="from", description="Start of the window (inclusive), ISO-8601.")
    to: str = Field(description="End of the window (exclusive), ISO-8601.")
    messages_received: int
    messages_sent: int
    messages_delivered: int
    messages_read: int
    messages_failed: int
    avg_response_time_ms: float | None = Field(
        description="From a message received to the first reply of its turn accepted by Meta."
    )
    events_by_type: dict[str, int]


def _aware(at: datetime) -> datetime:
    return at if at.tzinfo else at.replace(tzinfo=UTC)


def router(runtime: ServiceRuntime) -> APIRouter:
    auth = ApiKeyAuth(runtime.settings.auth)
    api = APIRouter(prefix=PREFIX, tags=["analytics"], dependencies=[requires(auth, Role.ANALYST)])

    @api.get("/summary", response_model_by_alias=True)
    async def summary(
        from_: Annotated[datetime | None, Query(alias="from")] = None,
        to: Annotated[datetime | None, Query()] = None,
    ) -> Summary:
        """Counts of messages received, sent, delivered, read and failed in ``[from, to)``, and
        the average response time. Defaults to the last 24 hours."""
        end = _aware(to) if to else datetime.now(UTC)
        try:
            start = _aware(from_) if from_ else end - DEFAULT_WINDOW
        except OverflowError:  # a day before the first day there is
            raise HTTPException(422, "'to' is too early for the default 24-hour window") from None
        if start >= end:
            raise HTTPException(status_code=422, detail="'from' must be before 'to'")
        async with database_answers(), runtime.db.read() as session:
            return Summary.model_validate(await EventRepository(session).summary(start, end))

    return api
