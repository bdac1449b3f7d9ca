"""The analysts' HTTP API (``/api/v1/analytics``): figures from the hourly rollups.

Every route needs an analyst key (operators and admins have it too); the recompute needs an
operator's. Windows are whole UTC hours (the rollups' grain): ``from`` is floored and ``to``
raised to the hour, and the answer says which hours it covers.
"""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from fastapi import APIRouter, Depends, HTTPException, Query
from fastapi.responses import StreamingResponse

from tasklane_analytics.eventlog.repository import EventLog
from tasklane_analytics.figures.catalogue import FIGURES, Metric, Tally, counters_for
from tasklane_analytics.figures.models import (
    Delta,
    Failure,
    Line,
    NumberOverview,
    Point,
    Recomputed,
    RecomputeRequest,
    Series,
    Summary,
)
from tasklane_analytics.figures.periods import Bucket, Granularity, buckets, ceil_hour, floor_hour
from tasklane_analytics.figures.reader import FigureReader
from tasklane_analytics.rollups.recompute import recompute
from tasklane_common.auth import ApiKeyAuth, requires
from tasklane_common.db import Database
from tasklane_common.http import database_answers
from tasklane_common.paging import Page
from tasklane_common.params import NO_CONTROL, Offset, limit_query
from tasklane_common.problems import refusals
from tasklane_common.runtime import ServiceRuntime
from tasklane_common.settings import Role

PREFIX = "/api/v1/analytics"
DEFAULT_WINDOW = timedelta(days=1)
DEFAULT_SERIES = timedelta(days=7)
MAX_WINDOW = timedelta(days=3 * 366)
MAX_POINTS = 10_000
MAX_NUMBERS = 50
MAX_RECOMPUTE = timedelta(days=400)
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
LATEST = datetime(2200, 1, 1, tzinfo=UTC)

From = Annotated[datetime | None, Query(alias="from", description="Start (ISO 8601, UTC if naive).")]
To = Annotated[datetime | None, Query(description="End, exclusive (ISO 8601, UTC if naive). Default: now.")]
Numbers = Annotated[
    list[Annotated[str, Query(max_length=64, pattern=NO_CONTROL)]] | None,
    Query(
        alias="number",
        max_length=MAX_NUMBERS,
        description="Only these phone number ids (repeat the parameter); all numbers by default.",
    ),
]
Zone = Annotated[str, Query(max_length=64, description="An IANA time zone (e.g. Europe/Madrid).")]
ErrorCode = Annotated[
    str | None,
    Query(
        pattern=r"^(none|[0-9]{1,9})$",
        description="A Graph API error code, or 'none' for failures without one.",
    ),
]

_WINDOW_ERRORS = refusals({422: "A bad window (from after to, too long, unknown zone...)."})
_FIGURE_FIELDS = {
    "messages_received": Metric.received,
    "messages_sent": Metric.sent,
    "messages_delivered": Metric.delivered,
    "messages_read": Metric.read,
    "messages_failed": Metric.failed,
    "sent_template": Metric.sent_template,
    "sent_free_form": Metric.sent_free_form,
    "error_rate": Metric.error_rate,
    "unique_users": Metric.unique_users,
    "turns": Metric.turns,
    "fallbacks": Metric.fallbacks,
    "fallback_rate": Metric.fallback_rate,
    "responses": Metric.responses,
    "avg_response_time_ms": Metric.response_avg_ms,
    "p50_response_time_ms": Metric.response_p50_ms,
    "p90_response_time_ms": Metric.response_p90_ms,
    "p99_response_time_ms": Metric.response_p99_ms,
    "tasks_created": Metric.tasks_created,
    "tasks_completed": Metric.tasks_completed,
    "tasks_overdue": Metric.tasks_overdue,
    "reminders_sent": Metric.reminders_sent,
    "messages_throttled": Metric.throttled,
    "messages_expired": Metric.expired,
}


def _aware(at: datetime) -> datetime:
    return at if at.tzinfo else at.replace(tzinfo=UTC)


def window(from_: datetime | None, to: datetime | None, default: timedelta) -> tuple[datetime, datetime]:
    """``[from, to)`` as whole UTC hours, refusing what makes no sense as a 422."""
    end = _aware(to) if to else datetime.now(UTC)
    if not EARLIEST <= end <= LATEST or (from_ is not None and not EARLIEST <= _aware(from_) <= LATEST):
        raise HTTPException(422, "'from' and 'to' must fall between the years 2000 and 2200")
    start = _aware(from_) if from_ else end - default
    start, end = floor_hour(start), ceil_hour(end)
    if start >= end:
        raise HTTPException(422, "'from' must be before 'to'")
    if end - start > MAX_WINDOW:
        raise HTTPException(422, f"a window spans at most {MAX_WINDOW.days} days")
    return start, end


def zone_of(name: str) -> ZoneInfo:
    if name not in _zones():
        raise HTTPException(422, f"unknown IANA time zone {name!r}")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise HTTPException(422, f"unknown IANA time zone {name!r}") from None


@cache
def _zones() -> frozenset[str]:
    # The IANA names only: ZoneInfo would also open any file path it is given.
    return frozenset(available_timezones() | {"UTC"})


def figures_of(t: Tally) -> dict[str, Any]:
    out: dict[str, Any] = {name: FIGURES[m](t) for name, m in _FIGURE_FIELDS.items()}
    out["failed_by_error_code"] = t.by_dim("failed")
    out["pricing_categories"] = t.by_dim("pricing")
    return out


def _delta(now: Any, before: Any) -> Delta:
    if not isinstance(now, int | float) or not isinstance(before, int | float):
        return Delta(absolute=None, relative=None)
    return Delta(
        absolute=round(now - before, 6), relative=round((now - before) / before, 6) if before else None
    )


def _value(v: float | int | None) -> str:
    return "" if v is None else str(v)


@dataclass(frozen=True)
class SeriesQuery:
    """What ``GET /series`` is asked (its query parameters but ``format``); the console's trends
    page builds one too, so that its chart and its CSV are this API's answer."""

    metric: Metric = Metric.received
    granularity: Granularity = Granularity.day
    zone: str = "UTC"
    from_: datetime | None = None
    to: datetime | None = None
    numbers: tuple[str, ...] | None = None
    group_by: str | None = None

    def params(self) -> list[tuple[str, str]]:
        """The query string that asks the API for this series."""
        out = [("metric", self.metric.value), ("granularity", self.granularity.value), ("zone", self.zone)]
        if self.from_ is not None:
            out.append(("from", self.from_.isoformat()))
        if self.to is not None:
            out.append(("to", self.to.isoformat()))
        out += [("number", n) for n in self.numbers or ()]
        if self.group_by is not None:
            out.append(("group_by", self.group_by))
        return out


def series_query(
    metric: Annotated[Metric, Query(description="The figure (docs/analytics.md).")] = Metric.received,
    granularity: Annotated[Granularity, Query()] = Granularity.day,
    zone: Zone = "UTC",
    from_: From = None,
    to: To = None,
    number: Numbers = None,
    group_by: Annotated[
        str | None, Query(pattern="^number$", description="'number': one line per number.")
    ] = None,
) -> SeriesQuery:
    """``Depends`` for the series' query parameters (the API's route and the console's CSV)."""
    return SeriesQuery(metric, granularity, zone, from_, to, tuple(number) if number else None, group_by)


async def read_series(db: Database, query: SeriesQuery) -> Series:
    """The series ``query`` asks for; a bad window, zone or size is a 422."""
    metric = query.metric
    tz = zone_of(query.zone)
    start, end = window(query.from_, query.to, DEFAULT_SERIES)
    periods = buckets(start, end, query.granularity, tz)
    if len(periods) > MAX_POINTS:
        raise HTTPException(422, f"at most {MAX_POINTS} points: widen the granularity")
    by_number = query.group_by == "number"
    number = list(query.numbers) if query.numbers else None
    async with database_answers(), db.read() as session:
        reader = FigureReader(session)
        lines_for: list[str | None] = [None]
        if by_number:
            # Named, each number is an index range (rather than a scan of all but "*").
            number = number or await reader.numbers(periods[0].start, periods[-1].end)
            lines_for = list(number)
        found = await reader.tallies(
            periods,
            counters=counters_for([metric]),
            numbers=number,
            by_number=by_number,
            users=metric is Metric.unique_users,
        )
    lines = [
        Line(
            phone_number_id=n,
            points=[
                Point(
                    start=b.label.isoformat(),
                    end=b.end.astimezone(tz).isoformat(),
                    value=FIGURES[metric](found.get((i, n), Tally())),
                )
                for i, b in enumerate(periods)
            ],
        )
        for n in lines_for
    ]
    return Series.model_validate(
        {
            "metric": metric,
            "granularity": query.granularity.value,
            "zone": query.zone,
            "from": periods[0].start.astimezone(tz).isoformat() if periods else start.isoformat(),
            "to": periods[-1].end.astimezone(tz).isoformat() if periods else end.isoformat(),
            "lines": lines,
        }
    )


def csv_download(found: Series) -> StreamingResponse:
    """The points of ``found`` as a CSV download, one row each, streamed."""
    metric = found.metric.value

    def rows() -> Iterator[str]:
        buffer = io.StringIO()
        out = csv.writer(buffer, lineterminator="\n")
        out.writerow(["start", "end", "phone_number_id", "metric", "value"])
        for line in found.lines:
            for p in line.points:
                out.writerow([p.start, p.end, line.phone_number_id or "", metric, _value(p.value)])
                if buffer.tell() > 16_384:
                    yield buffer.getvalue()
                    buffer.seek(0)
                    buffer.truncate()
        yield buffer.getvalue()

    async def body() -> AsyncIterator[str]:
        for chunk in rows():
            yield chunk

    name = f"{metric}-{found.granularity}.csv"
    return StreamingResponse(
        body(), media_type="text/csv", headers={"Content-Disposition": f'attachment; filename="{name}"'}
    )


def router(runtime: ServiceRuntime) -> APIRouter:
    auth = ApiKeyAuth(runtime.settings.auth)
    api = APIRouter(prefix=PREFIX, tags=["analytics"], dependencies=[requires(auth, Role.ANALYST)])
    retention = timedelta(days=float(getattr(runtime.settings, "raw_retention_days", 30.0)))

    async def tally_of(start: datetime, end: datetime, numbers: list[str] | None) -> Tally:
        async with runtime.db.read() as session:
            found = await FigureReader(session).tallies(
                [Bucket(start, end, start)], counters=None, numbers=numbers
            )
        return found.get((0, None), Tally())

    @api.get("/summary", response_model_by_alias=True, responses=_WINDOW_ERRORS)
    async def summary(from_: From = None, to: To = None, number: Numbers = None) -> Summary:
        """Every figure over ``[from, to)`` (default: the last 24 hours), for all numbers or the
        ones named, with the same figures over the period just before and the change."""
        start, end = window(from_, to, DEFAULT_WINDOW)
        before = start - (end - start)
        async with database_answers():
            current = figures_of(await tally_of(start, end, number))
            previous = figures_of(await tally_of(before, start, number))
            async with runtime.db.read() as session:
                by_type = await EventLog(session).counts_by_type(start, end)
        return Summary.model_validate(
            {
                **current,
                "from": start.isoformat(),
                "to": end.isoformat(),
                "numbers": number,
                "previous": previous,
                "delta": {k: _delta(current[k], previous[k]) for k in _FIGURE_FIELDS},
                "events_by_type": dict(sorted(by_type.items())),
            }
        )

    @api.get(
        "/series",
        response_model=Series,
        response_model_by_alias=True,
        responses={
            200: {
                "content": {"text/csv": {}},
                "description": "The series; with format=csv, its points as CSV.",
            },
            **_WINDOW_ERRORS,
        },
    )
    async def series(
        query: Annotated[SeriesQuery, Depends(series_query)],
        format: Annotated[
            str, Query(pattern="^(json|csv)$", description="'csv': the same points as a CSV download.")
        ] = "json",
    ) -> Series | StreamingResponse:
        """One figure over time: hours, or days / weeks (from Monday) / months in ``zone``, whole
        buckets covering ``[from, to)`` (default: ``received`` over the last 7 days). One line
        for all numbers, or one per number with ``group_by=number``. With ``format=csv``: exactly
        these points, one CSV row each (``start,end,phone_number_id,metric,value``; an empty
        number is all numbers), streamed."""
        found = await read_series(runtime.db, query)
        return found if format == "json" else csv_download(found)

    @api.get("/numbers", responses=_WINDOW_ERRORS)
    async def numbers(
        from_: From = None,
        to: To = None,
        limit: Annotated[int, limit_query(100)] = 50,
        offset: Offset = 0,
    ) -> Page[NumberOverview]:
        """Every phone number with figures in ``[from, to)`` (default: the last 24 hours), with
        its figures; ordered by number id."""
        start, end = window(from_, to, DEFAULT_WINDOW)
        async with database_answers(), runtime.db.read() as session:
            reader = FigureReader(session)
            every = await reader.numbers(start, end)
            page = every[offset : offset + limit]
            found = (
                await reader.tallies([Bucket(start, end, start)], counters=None, numbers=page, by_number=True)
                if page
                else {}
            )
        items = [
            NumberOverview.model_validate({"phone_number_id": n, **figures_of(found.get((0, n), Tally()))})
            for n in page
        ]
        return Page(items=items, total=len(every), limit=limit, offset=offset)

    @api.get("/failures", responses=_WINDOW_ERRORS)
    async def failures(
        from_: From = None,
        to: To = None,
        number: Annotated[
            str | None, Query(max_length=64, pattern=NO_CONTROL, description="One phone number id.")
        ] = None,
        error_code: ErrorCode = None,
        limit: Annotated[int, limit_query(200)] = 50,
        offset: Offset = 0,
    ) -> Page[Failure]:
        """The failed messages behind a bucket of ``failed``: pass the bucket's ``start`` and
        ``end`` as ``from`` and ``to`` (and its number, and an error code). Newest first; from
        the raw log, so only within its retention."""
        start, end = window(from_, to, DEFAULT_WINDOW)
        async with database_answers(), runtime.db.read() as session:
            total, rows = await FigureReader(session).failures(
                start, end, number=number, error_code=error_code, limit=limit, offset=offset
            )
        items = [
            Failure(
                event_id=r.event_id,
                at=datetime.fromtimestamp(r.at_ms / 1000, UTC).isoformat(),
                phone_number_id=r.payload.get("phone_number_id"),
                reply_id=r.payload.get("reply_id"),
                wamid=r.payload.get("wamid"),
                error_code=r.payload.get("error_code")
                if isinstance(r.payload.get("error_code"), int)
                else None,
                reason=r.payload.get("reason"),
                correlation_id=r.correlation_id,
                trace_id=r.trace_id,
            )
            for r in rows
        ]
        return Page(items=items, total=total, limit=limit, offset=offset)

    @api.post(
        "/recompute",
        response_model_by_alias=True,
        dependencies=[Depends(auth.require(Role.OPERATOR))],
        responses=refusals({422: "A bad range, or one reaching before the raw log's retention."}),
    )
    async def recompute_range(request: RecomputeRequest) -> Recomputed:
        """Rebuild the rollups of ``[from, to)`` (whole UTC hours) from the raw log, e.g. after
        a fix or a migration. Idempotent: a second run gives the same figures. Refused for hours
        the raw log no longer holds (their figures would be erased, not rebuilt)."""
        start, end = window(request.from_, request.to, DEFAULT_WINDOW)
        now = datetime.now(UTC)
        if end - start > MAX_RECOMPUTE:
            raise HTTPException(422, f"recompute at most {MAX_RECOMPUTE.days} days at a time")
        if start < now - retention:
            raise HTTPException(422, f"the raw log keeps {retention.days} days: 'from' is before that")
        async with database_answers(), runtime.db.transaction() as session:
            done = await recompute(session, start, end, now=now, schema=runtime.db.schema)
        return Recomputed.model_validate(
            {
                "from": start.isoformat(),
                "to": end.isoformat(),
                "events": done.events,
                "turns": done.turns,
                "overdue": done.overdue,
            }
        )

    return api
