"""Checks shared by the date tests of every language."""

from __future__ import annotations

from datetime import date, datetime, time

from tasklane_agent.nlu.dates import DueDate


def title_without(text: str, due: DueDate) -> str:
    """What a caller keeps as the task title once the date phrase is cut out."""
    return " ".join(f"{text[: due.start]} {text[due.end :]}".split())


def expect(due: DueDate | None, now: datetime, when: str) -> DueDate:
    """``when`` is "YYYY-MM-DD" for a date-only due, "YYYY-MM-DD HH:MM" with a time."""
    assert due is not None
    day, _, clock = when.partition(" ")
    assert due.at.tzinfo is now.tzinfo
    assert due.at.date() == date.fromisoformat(day)
    assert due.at.time() == (time.fromisoformat(clock) if clock else time(0))
    assert due.has_time is bool(clock)
    return due
