"""When a task created or changed through the API is due.

API clients send instants; the agent stores a date-only deadline as 00:00 of its day in the
owner's timezone (so it reads back as that day wherever the owner is), and a repeating task needs
a first occurrence to repeat from. These are the same rules the engines follow for what users say.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from tasklane_agent.nlu.recurrence import Recurrence


@dataclass(frozen=True)
class Schedule:
    due_at: datetime | None
    due_has_time: bool
    recurrence: str | None


def owner_zone(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def deadline(due_at: datetime, has_time: bool, zone: ZoneInfo) -> datetime:
    """A timed deadline as given; a date-only one at 00:00 of the date ``due_at`` names (in its own
    offset: "2026-11-27T00:00:00-03:00" is the 27th, not the 27th's 03:00 UTC) in the owner's zone."""
    if has_time:
        return due_at.astimezone(UTC)
    # Through UTC, so a midnight that a DST change skips becomes a real instant.
    return datetime.combine(due_at.date(), time(0), tzinfo=zone).astimezone(UTC)


def schedule(
    due_at: datetime | None, has_time: bool, rule: str | None, zone: ZoneInfo, now: datetime
) -> Schedule:
    """The stored form of a deadline and its repeat rule. A rule is anchored on the first due day
    ("weekly" from a Wednesday repeats on Wednesdays); without a deadline, its first occurrence
    from ``now`` is the deadline (timed when the rule has a time of day)."""
    if rule is None:
        if due_at is None:
            return Schedule(None, False, None)
        return Schedule(deadline(due_at, has_time, zone), has_time, None)
    repeat = Recurrence.from_rule(rule)
    if due_at is None:
        first = repeat.first_on_or_after(now.astimezone(zone))
        return Schedule(first.astimezone(UTC), repeat.at is not None, repeat.anchored(first.date()).to_rule())
    due = deadline(due_at, has_time, zone)
    return Schedule(due, has_time, repeat.anchored(due.astimezone(zone).date()).to_rule())
