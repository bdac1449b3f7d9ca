"""What an analyst chose to look at: the time zone the figures pages show (remembered in a
cookie, so that it follows them from page to page) and the period they cover.

A zone is checked the way the figures API checks it (``figures.api.zone_of``): an IANA name, or a
422 that the console shows as a page saying so. A period is a preset (the last 24 hours, 7, 30 or
90 days, 12 months: whole UTC hours up to the current one, as the API's default windows) or a
first and a last day, both included, from local midnight to local midnight in the zone; the
period before it, for the changes, is as long (as many days, for days).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import Depends, HTTPException, Query, Request
from fastapi.responses import Response

from tasklane_analytics.console.context import PREFIX, console_of
from tasklane_analytics.figures.api import window, zone_of
from tasklane_analytics.figures.periods import Granularity, floor_hour

ZONE_COOKIE = "tl_zone"
ZONE_COOKIE_DAYS = 365
# Offered in the zone field's list; any other IANA name may be typed in.
COMMON_ZONES = (
    "UTC",
    "Europe/London",
    "Europe/Lisbon",
    "Europe/Madrid",
    "Europe/Paris",
    "Europe/Berlin",
    "Europe/Istanbul",
    "Africa/Lagos",
    "Africa/Cairo",
    "Africa/Johannesburg",
    "America/New_York",
    "America/Chicago",
    "America/Denver",
    "America/Los_Angeles",
    "America/Mexico_City",
    "America/Bogota",
    "America/Sao_Paulo",
    "America/Argentina/Buenos_Aires",
    "Asia/Dubai",
    "Asia/Kolkata",
    "Asia/Jakarta",
    "Asia/Singapore",
    "Asia/Tokyo",
    "Australia/Sydney",
)


@dataclass(frozen=True)
class Zone:
    name: str
    tz: ZoneInfo
    asked: bool  # named in this request (to be remembered), rather than remembered or the default


def _known(name: str) -> ZoneInfo | None:
    try:
        return zone_of(name)
    except HTTPException:
        return None


def zone_choice(
    request: Request,
    zone: Annotated[str | None, Query(max_length=64, description="An IANA time zone.")] = None,
) -> Zone:
    """``Depends``: the zone asked for, else the one remembered, else the configured default."""
    if zone and zone.strip():
        name = zone.strip()
        return Zone(name, zone_of(name), asked=True)
    remembered = request.cookies.get(ZONE_COOKIE)
    # A cookie is the browser's to change: a name we do not know is no choice at all.
    tz = _known(remembered) if remembered else None
    if remembered and tz is not None:
        return Zone(remembered, tz, asked=False)
    default = console_of(request).default_zone
    return Zone(default, zone_of(default), asked=False)


ChosenZone = Annotated[Zone, Depends(zone_choice)]


def remembering(request: Request, response: Response, zone: Zone) -> Response:
    """``response``, telling the browser to keep the zone the analyst just picked."""
    if zone.asked and request.cookies.get(ZONE_COOKIE) != zone.name:
        console = console_of(request)
        response.set_cookie(
            ZONE_COOKIE,
            zone.name,
            max_age=ZONE_COOKIE_DAYS * 86400,
            path=PREFIX,
            httponly=True,
            samesite="strict",
            secure=console.secure_cookie
            if console.secure_cookie is not None
            else request.url.scheme == "https",
        )
    return response


class Preset(StrEnum):
    day = "24h"
    week = "7d"
    month = "30d"
    quarter = "90d"
    year = "12m"


PRESETS: dict[Preset, tuple[str, timedelta]] = {
    Preset.day: ("last 24 hours", timedelta(hours=24)),
    Preset.week: ("last 7 days", timedelta(days=7)),
    Preset.month: ("last 30 days", timedelta(days=30)),
    Preset.quarter: ("last 90 days", timedelta(days=90)),
    Preset.year: ("last 12 months", timedelta(days=365)),
}
SHORT = (Preset.day, Preset.week, Preset.month)
# A form's "dates below" option sends an empty value.
PresetQuery = Annotated[str | None, Query(pattern="^(|24h|7d|30d|90d|12m)$")]
FromDate = Annotated[str | None, Query(alias="from", max_length=10, description="First day, YYYY-MM-DD.")]
ToDate = Annotated[str | None, Query(max_length=10, description="Last day (included), YYYY-MM-DD.")]


@dataclass(frozen=True)
class Period:
    start: datetime  # UTC, a whole hour, inclusive
    end: datetime  # UTC, a whole hour, exclusive
    before: datetime  # the start of the period just before it (which ends at ``start``)
    preset: Preset | None
    first: date | None = None  # the days asked for, when not a preset
    last: date | None = None

    @property
    def label(self) -> str:
        if self.preset is not None:
            return PRESETS[self.preset][0]
        return f"{self.first} to {self.last}"

    def span(self, zone: Zone) -> str:
        """The period's hours as local times in the zone."""
        start, end = self.start.astimezone(zone.tz), self.end.astimezone(zone.tz)
        return f"{start:%Y-%m-%d %H:%M} \N{EN DASH} {end:%Y-%m-%d %H:%M} {zone.name}"

    @property
    def before_label(self) -> str:
        if self.preset is not None:
            return f"the {PRESETS[self.preset][0].removeprefix('last ')} before"
        return "the same number of days before"


def _day(text: str, name: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise HTTPException(422, f"'{name}' must be a date (YYYY-MM-DD), not {text[:10]!r}") from None


def _midnight(day: date, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=tz)


def period_of(
    zone: Zone,
    preset: str | None,
    first: str | None,
    last: str | None,
    *,
    offered: tuple[Preset, ...] = tuple(Preset),
    default: Preset = Preset.day,
) -> Period:
    """The period asked for: a preset, else the days given (a form's "dates" option sends an
    empty preset), else the default preset."""
    if not preset and (first or last):
        if not first:
            raise HTTPException(422, "a 'to' date needs a 'from' date")
        lo = _day(first, "from")
        hi = _day(last, "to") if last else datetime.now(zone.tz).date()
        if lo > hi:
            raise HTTPException(422, "'from' must not be after 'to'")
        start, end = window(_midnight(lo, zone.tz), _midnight(hi + timedelta(days=1), zone.tz), timedelta())
        # As long before in days (not hours: a DST change may lie in one of them).
        before = floor_hour(_midnight(lo - (hi - lo) - timedelta(days=1), zone.tz))
        return Period(start, end, before, None, lo, hi)
    chosen = Preset(preset) if preset else default
    if chosen not in offered:
        raise HTTPException(422, f"this page offers the periods {', '.join(p.value for p in offered)}")
    start, end = window(None, None, PRESETS[chosen][1])
    return Period(start, end, start - (end - start), chosen)


def granularity_for(period: Period) -> Granularity:
    """A chart's default grain: a few dozen points whatever the period."""
    span = period.end - period.start
    if span <= timedelta(days=2, hours=1):
        return Granularity.hour
    if span <= timedelta(days=100):
        return Granularity.day
    if span <= timedelta(days=400):
        return Granularity.week
    return Granularity.month
