"""How the figures pages show figures: tiles with their change against the period before, and
the specs ``static/console.js`` draws charts from (a ``data-chart`` attribute: no inline script).

A chart's ``t`` are the buckets' starts (Unix seconds) and ``zone`` the IANA zone its axis is
labelled in; each line is a key of ``series``, named by ``labels`` and coloured by ``colours``,
drawn in the ``order`` given (Jinja's ``tojson`` sorts the keys).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from tasklane_analytics.figures.periods import Bucket, Granularity, buckets

PALETTE = ("#2563eb", "#16a34a", "#dc2626", "#9333ea", "#ea580c", "#0891b2", "#ca8a04", "#db2777")


@dataclass(frozen=True)
class ChartLine:
    key: str
    label: str
    values: list[float | int | None]
    colour: str | None = None


def chart(t: list[int], lines: list[ChartLine], zone: str) -> dict[str, Any]:
    series: dict[str, Any] = {"t": t}
    series.update({line.key: line.values for line in lines})
    return {
        "series": series,
        "order": [line.key for line in lines],
        "labels": {line.key: line.label for line in lines},
        "colours": {line.key: line.colour or PALETTE[i % len(PALETTE)] for i, line in enumerate(lines)},
        "zone": zone,
    }


def tile(key: str, label: str, kind: str, up_is_good: bool, now: Any, before: Any) -> dict[str, Any]:
    """A figure with its change: ``good`` says whether the change is an improvement."""
    numeric = isinstance(now, int | float) and isinstance(before, int | float)
    delta = now - before if numeric else None
    return {
        "key": key,
        "label": label,
        "kind": kind,
        "value": now,
        "previous": before,
        "delta": delta,
        "relative": delta / before if delta is not None and before else None,
        "good": None if not delta else (delta > 0) == up_is_good,
    }


def within(start: datetime, end: datetime, granularity: Granularity, tz: ZoneInfo) -> list[Bucket]:
    """The buckets of ``granularity`` in the zone, the first and last cut to ``[start, end)``, so
    that a chart adds up to the period's own figures (the series API keeps them whole instead)."""
    return [
        Bucket(max(b.start, start), min(b.end, end), max(b.start, start).astimezone(tz))
        for b in buckets(start, end, granularity, tz)
        if b.start < end and b.end > start
    ]
