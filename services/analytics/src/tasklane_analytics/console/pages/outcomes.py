"""Outcomes: what the assistant did for its users (tasks created, completed and gone overdue,
reminders sent, conversation turns and the share it did not understand) over a period, against
the period before, and over time in the analyst's zone. The figures are the summary API's
(``figures_of`` over ``FigureReader.tallies``), for the whole system."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import Response

from tasklane_analytics.console.access import AnalystPage
from tasklane_analytics.console.charts import ChartLine, chart, tile, within
from tasklane_analytics.console.choices import (
    COMMON_ZONES,
    PRESETS,
    ChosenZone,
    FromDate,
    Preset,
    PresetQuery,
    ToDate,
    granularity_for,
    period_of,
    remembering,
)
from tasklane_analytics.console.context import console_of
from tasklane_analytics.console.rendering import NavItem, render
from tasklane_analytics.figures.api import MAX_POINTS, figures_of
from tasklane_analytics.figures.catalogue import FIGURES, Metric, Tally, counters_for
from tasklane_analytics.figures.periods import Bucket, Granularity
from tasklane_analytics.figures.reader import FigureReader
from tasklane_common.http import database_answers
from tasklane_common.settings import Role

NAV = NavItem("/outcomes", "Outcomes", Role.ANALYST)
# The tiles: summary field, label, how to show it, whether more is better.
TILES = [
    ("tasks_created", "Tasks created", "int", True),
    ("tasks_completed", "Tasks completed", "int", True),
    ("tasks_overdue", "Tasks overdue", "int", False),
    ("reminders_sent", "Reminders sent", "int", True),
    ("turns", "Conversation turns", "int", True),
    ("fallbacks", "Not understood", "int", False),
    ("fallback_rate", "Not understood, share", "pct", False),
]
# The charts: counts on one, the share not understood (0..1) on its own scale.
COUNTS = [
    (Metric.tasks_created, "tasks created", "#2563eb"),
    (Metric.tasks_completed, "tasks completed", "#16a34a"),
    (Metric.tasks_overdue, "tasks overdue", "#dc2626"),
    (Metric.reminders_sent, "reminders sent", "#9333ea"),
    (Metric.turns, "conversation turns", "#6b7280"),
]
SHARE = (Metric.fallback_rate, "not understood (share of turns)", "#ea580c")
READ = counters_for([m for m, _, _ in COUNTS] + [SHARE[0], Metric.fallbacks])
router = APIRouter()


@router.get("/outcomes")
async def outcomes(
    request: Request,
    viewer: AnalystPage,
    zone: ChosenZone,
    period: PresetQuery = None,
    from_: FromDate = None,
    to: ToDate = None,
    granularity: Annotated[str | None, Query(pattern="^(|hour|day|week|month)$")] = None,
) -> Response:
    chosen = period_of(zone, period, from_, to, default=Preset.week)
    grain = Granularity(granularity) if granularity else granularity_for(chosen)
    periods = within(chosen.start, chosen.end, grain, zone.tz)
    if len(periods) > MAX_POINTS:
        raise HTTPException(422, f"at most {MAX_POINTS} points: widen the granularity")
    async with database_answers(), console_of(request).runtime.db.read() as session:
        reader = FigureReader(session)
        # The period and the one before, one bucket each, in one read.
        both = await reader.tallies(
            [
                Bucket(chosen.before, chosen.start, chosen.before),
                Bucket(chosen.start, chosen.end, chosen.start),
            ],
            counters=READ,
            users=False,
        )
        over_time = await reader.tallies(periods, counters=READ, users=False)
    previous = figures_of(both.get((0, None), Tally()))
    current = figures_of(both.get((1, None), Tally()))
    t = [int(b.start.timestamp()) for b in periods]

    def values(metric: Metric) -> list[float | int | None]:
        return [FIGURES[metric](over_time.get((i, None), Tally())) for i in range(len(periods))]

    counts = chart(
        t, [ChartLine(m.value, label, values(m), colour) for m, label, colour in COUNTS], zone.name
    )
    share = chart(t, [ChartLine(SHARE[0].value, SHARE[1], values(SHARE[0]), SHARE[2])], zone.name)
    context: dict[str, Any] = {
        "tiles": [tile(k, label, kind, up, current[k], previous[k]) for k, label, kind, up in TILES],
        "counts": counts,
        "share": share,
        "granularity": grain.value,
        "span": chosen.span(zone),
        "period": chosen,
        "form": {
            "zone": zone.name,
            "period": chosen.preset.value if chosen.preset else "",
            "from": from_ or "",
            "to": to or "",
            "granularity": granularity or "",
        },
        "presets": [(p.value, name) for p, (name, _) in PRESETS.items()],
        "granularities": [g.value for g in Granularity],
        "zones": COMMON_ZONES,
    }
    return remembering(request, render(request, "outcomes.html", viewer, **context), zone)
