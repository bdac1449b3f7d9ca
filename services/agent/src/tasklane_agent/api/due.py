"""When a task created or changed through the API is due.

API clients send instants; the agent stores a date-only deadline as the calendar day it names
(floating: 00:00 UTC of that day, see ``tasklane_agent.domain.deadlines``), and a repeating task needs a
first occurrence to repeat from. These are the same rules the engines follow for what users say.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from tasklane_agent.domain.deadlines import due_day, stored_due
from tasklane_agent.domain.recurrence import Recurrence


@dataclass(frozen=True)
class Schedule:
    due_at: datetime | None
    due_has_time: bool
    recurrence: str | None


def deadline(due_at: datetime, has_time: bool, zone: ZoneInfo) -> datetime:
    """A timed deadline as given; a date-only one as the date ``due_at`` names in its own offset
    ("2026-11-27T00:00:00-03:00" is the 27th, not the 27th's 03:00 UTC)."""
    stored = stored_due(due_at, has_time)
    assert stored is not None
    return stored


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
        timed = repeat.at is not None
        return Schedule(deadline(first, timed, zone), timed, repeat.anchored(first.date()).to_rule())
    due = deadline(due_at, has_time, zone)
    return Schedule(due, has_time, repeat.anchored(due_day(due, has_time, zone)).to_rule())
