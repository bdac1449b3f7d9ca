"""The analysts' HTTP API."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query

from tasklane_analytics.repository import EventRepository
from tasklane_common.auth import ApiKeyAuth, requires
from tasklane_common.runtime import ServiceRuntime
from tasklane_common.settings import Role


def _aware(at: datetime) -> datetime:
    return at if at.tzinfo else at.replace(tzinfo=UTC)


def router(runtime: ServiceRuntime) -> APIRouter:
    auth = ApiKeyAuth(runtime.settings.auth)
    api = APIRouter(prefix="/api/analytics", tags=["analytics"], dependencies=[requires(auth, Role.ANALYST)])

    @api.get("/summary")
    async def summary(
        from_: Annotated[datetime | None, Query(alias="from")] = None,
        to: Annotated[datetime | None, Query()] = None,
    ) -> dict[str, Any]:
        """Counts of messages received, sent, delivered, read and failed in ``[from, to)``, and
        the average response time. Defaults to the last 24 hours."""
        end = _aware(to) if to else datetime.now(UTC)
        start = _aware(from_) if from_ else end - timedelta(days=1)
        if start >= end:
            raise HTTPException(status_code=422, detail="'from' must be before 'to'")
        async with runtime.db.read() as session:
            return await EventRepository(session).summary(start, end)

    return api
