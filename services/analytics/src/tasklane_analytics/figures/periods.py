"""Grouping UTC hours into an analyst's hours, days, weeks and months, in an IANA zone.

Boundaries are computed as local wall-clock times in the zone and converted to UTC one by one,
never with a fixed offset: the day DST starts in Madrid has 23 hours and the day it ends 25, and
each is one bucket holding exactly its own hours. Rollups are whole UTC hours, so in a zone whose
offset is not whole hours (Asia/Kolkata, +05:30) a boundary falls inside an hour; the hour counts
in the bucket where it starts.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

HOUR = timedelta(hours=1)


class Granularity(StrEnum):
    hour = "hour"
    day = "day"
    week = "week"
    month = "month"


@dataclass(frozen=True)
class Bucket:
    start: datetime  # UTC, inclusive, a whole hour
    end: datetime  # UTC, exclusive
    label: datetime  # the bucket's start as a local time in the zone

    def contains(self, hour: datetime) -> bool:
        return self.start <= hour < self.end


def floor_hour(at: datetime) -> datetime:
    at = at.astimezone(UTC)
    return at.replace(minute=0, second=0, microsecond=0)


def ceil_hour(at: datetime) -> datetime:
    floored = floor_hour(at)
    return floored if floored == at.astimezone(UTC) else floored + HOUR


def _local_start(day: date, tz: ZoneInfo) -> datetime:
    return floor_hour(datetime.combine(day, time(0), tzinfo=tz))


def _period_start(day: date, granularity: Granularity) -> date:
    if granularity is Granularity.week:
        return day - timedelta(days=day.weekday())  # ISO weeks start on Monday
    if granularity is Granularity.month:
        return day.replace(day=1)
    return day


def _next(day: date, granularity: Granularity) -> date:
    if granularity is Granularity.day:
        return day + timedelta(days=1)
    if granularity is Granularity.week:
        return day + timedelta(days=7)
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1)


def buckets(start: datetime, end: datetime, granularity: Granularity, tz: ZoneInfo) -> list[Bucket]:
    """The buckets covering ``[start, end)``: hours of UTC, or whole local days, weeks (Monday)
    or months, the first and last ones whole even when ``start`` and ``end`` fall inside them."""
    if granularity is Granularity.hour:
        out = []
        at = floor_hour(start)
        stop = ceil_hour(end)
        while at < stop:
            out.append(Bucket(at, at + HOUR, at.astimezone(tz)))
            at += HOUR
        return out
    day = _period_start(start.astimezone(tz).date(), granularity)
    out = []
    while True:
        lo = _local_start(day, tz)
        if lo >= end:
            return out
        nxt = _next(day, granularity)
        out.append(Bucket(lo, _local_start(nxt, tz), lo.astimezone(tz)))
        day = nxt


def index(bucket_list: list[Bucket]) -> tuple[list[datetime], list[Bucket]]:
    return [b.start for b in bucket_list], bucket_list


def bucket_of(starts: list[datetime], bucket_list: list[Bucket], hour: datetime) -> int | None:
    """The position of the bucket holding ``hour`` (a UTC hour), if any."""
    i = bisect_right(starts, hour) - 1
    if i < 0 or not bucket_list[i].contains(hour):
        return None
    return i
