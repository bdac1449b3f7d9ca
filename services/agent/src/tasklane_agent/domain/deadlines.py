"""What a deadline means, in one place.

A *timed* deadline ("Friday at 15:00") is an instant, stored in UTC and shown in each viewer's
timezone. A *date-only* deadline ("Friday") is a calendar day, the same day for everyone who
sees the task — the owner in Madrid and the assignee in São Paulo both read "Fri 27 Nov" — so it
is stored *floating*: 00:00 UTC of that day, ``due_has_time`` false, and read back through UTC.
It is overdue once that day is over where the viewer is, and reminded at the configured hour of
that day in the recipient's timezone. Storing the owner's local midnight instead would show
other timezones the previous or next day, and would need rewriting whenever the owner moves.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from tasklane_agent.domain import Task


def floating(day: date) -> datetime:
    """How a date-only deadline on ``day`` is stored."""
    return datetime.combine(day, time(0), tzinfo=UTC)


def stored_due(due_at: datetime | None, has_time: bool) -> datetime | None:
    """The stored form of a deadline given as an aware datetime: a timed one as the instant, a
    date-only one as the date it carries *in its own offset* (a local "Friday 00:00" is Friday)."""
    if due_at is None:
        return None
    if has_time:
        return due_at.astimezone(UTC)
    return floating(due_at.date())


def due_day(due_at: datetime, has_time: bool, tz: ZoneInfo) -> date:
    """The calendar day of a deadline, as a viewer in ``tz`` sees it."""
    return due_at.astimezone(tz).date() if has_time else due_at.astimezone(UTC).date()


def local_due(due_at: datetime, has_time: bool, tz: ZoneInfo) -> datetime:
    """The deadline in ``tz``: the instant for a timed one, 00:00 of its day for a date-only one."""
    if has_time:
        return due_at.astimezone(tz)
    return datetime.combine(due_at.astimezone(UTC).date(), time(0), tzinfo=tz)


def is_overdue(task: Task, now: datetime, tz: ZoneInfo) -> bool:
    """A timed deadline is overdue once passed; a date-only one once its day (in ``tz``) is over."""
    if task.due_at is None or task.status != "open":
        return False
    if task.due_has_time:
        return task.due_at < now
    return due_day(task.due_at, False, tz) < now.astimezone(tz).date()


def day_boundary(at: datetime) -> datetime:
    """Where a date-only deadline stands against the boundary ``at`` of a date range: the stored
    form of the first day that starts at or after ``at`` (in ``at``'s own offset)."""
    day = at.date() if at.timetz().replace(tzinfo=None) == time(0) else at.date() + timedelta(days=1)
    return floating(day)


def zone(name: str | None) -> ZoneInfo:
    """A stored timezone name; one this system does not know (or none) reads as UTC."""
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def scope_window(scope: str, now: datetime) -> tuple[datetime | None, datetime | None]:
    """The local [from, before) boundaries of a list scope seen at ``now`` (aware, the viewer's
    timezone): "week" runs to the end of Sunday, "next_week" is Monday to Sunday after it;
    "overdue" is everything before now (its date-only tasks are filtered by ``is_overdue``)."""
    today = now.date()
    this_week = 7 - today.weekday()
    days = {"today": (0, 1), "tomorrow": (1, 2), "week": (0, this_week),
            "next_week": (this_week, this_week + 7)}.get(scope)  # fmt: skip
    if days is not None:
        return _midnight(today + timedelta(days=days[0]), now), _midnight(
            today + timedelta(days=days[1]), now
        )
    return (None, now) if scope == "overdue" else (None, None)


def day_span(first: date | None, last: date | None, now: datetime) -> tuple[datetime | None, datetime | None]:
    """The local [from, before) boundaries of the days ``first`` to ``last`` (inclusive; either
    open when None) in ``now``'s timezone."""
    return (
        _midnight(first, now) if first is not None else None,
        _midnight(last + timedelta(days=1), now) if last is not None else None,
    )


def _midnight(day: date, now: datetime) -> datetime:
    return datetime.combine(day, time(0), tzinfo=now.tzinfo)
