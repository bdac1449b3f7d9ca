"""What the date grammars of every language share: the hit they return, calendar arithmetic, and
accent folding that keeps offsets into the original text.

The calendar helpers encode the resolution choices listed in ``dates.py`` once, so that "Friday",
"viernes" and "sexta" cannot drift apart.
"""

from __future__ import annotations

import unicodedata
from calendar import monthrange
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from tasklane_agent.domain.recurrence import Recurrence, add_months, clamp_day

# Default hours of the parts of the day, in every language.
DAYPART_HOURS = {"morning": 9, "afternoon": 15, "evening": 19, "tonight": 20, "night": 20}


@dataclass(frozen=True)
class Hit:
    """A date phrase found at ``text[start:end]``; ``at`` None when no time was said."""

    start: int
    end: int
    day: date
    at: time | None
    recurrence: Recurrence | None = None


# ---------------------------------------------------------------- calendar arithmetic


def weekday_after(today: date, weekday: int, *, include_today: bool = False) -> date:
    """The next ``weekday`` (0=Mon) strictly after today, or today too when ``include_today``."""
    ahead = (weekday - today.weekday()) % 7
    if ahead == 0 and not include_today:
        ahead = 7
    return today + timedelta(days=ahead)


def weekday_of_next_week(today: date, weekday: int) -> date:
    """That weekday in the Monday-to-Sunday week after this one ("next Friday" in English)."""
    return today - timedelta(days=today.weekday()) + timedelta(weeks=1, days=weekday)


def day_of_month(today: date, day: int, month: int | None = None, *, following: bool = False) -> date | None:
    """The next "5th" (or "5 December" with ``month``) on or after today; None if it never exists.

    Without a month: this month's day, or the first later month that has that day. With
    ``following``: the day of next month ("the 5th of next month").
    """
    if not 1 <= day <= 31:
        return None
    if following:
        year, mon = add_months(today.year, today.month, 1)
        return date(year, mon, day) if day <= monthrange(year, mon)[1] else None
    if month is not None:
        for year in (today.year, today.year + 1, today.year + 4 - today.year % 4):
            if day <= monthrange(year, month)[1] and date(year, month, day) >= today:
                return date(year, month, day)
        return None
    year, mon = today.year, today.month
    for _ in range(3):
        if day <= monthrange(year, mon)[1] and date(year, mon, day) >= today:
            return date(year, mon, day)
        year, mon = add_months(year, mon, 1)
    return None


def dated(today: date, year: int | None, month: int, day: int) -> date | None:
    """A calendar date; without a year, its next occurrence on or after today."""
    if year is None:
        return day_of_month(today, day, month)
    year += 2000 if year < 100 else 0
    try:
        return date(year, month, day)
    except ValueError:
        return None


def end_of(unit: str, today: date, *, following: bool = False) -> date:
    """End of the day/week/month/year. The week ends on Friday (Sunday when said at the weekend)."""
    if unit == "day":
        return today
    if unit == "week":
        if following:
            return weekday_of_next_week(today, 4)
        return today + timedelta(days=(4 if today.weekday() <= 4 else 6) - today.weekday())
    if unit == "month":
        year, mon = add_months(today.year, today.month, 1 if following else 0)
        return date(year, mon, monthrange(year, mon)[1])
    return date(today.year + (1 if following else 0), 12, 31)


def weekend(today: date, *, following: bool = False) -> date:
    """The Saturday of this weekend (today on Sat/Sun), or of next week's with ``following``."""
    if following:
        return weekday_of_next_week(today, 5)
    return today if today.weekday() >= 5 else weekday_after(today, 5)


def shifted(now: datetime, amount: int, unit: str) -> tuple[date, time | None]:
    """``now`` moved by "3 days"/"2 hours"; minutes and hours keep a time, days and more do not."""
    if unit in ("minute", "hour"):
        moved = now + timedelta(minutes=amount if unit == "minute" else 60 * amount)
        return moved.date(), moved.time().replace(second=0, microsecond=0)
    today = now.date()
    if unit == "day":
        return today + timedelta(days=amount), None
    if unit == "week":
        return today + timedelta(weeks=amount), None
    months = amount * (12 if unit == "year" else 1)
    return clamp_day(*add_months(today.year, today.month, months), today.day), None


def part_of_today(now: datetime, part: str) -> time | None:
    """The default hour of a part of *today* ("tonight", "esta noche", "hoje à noite"), or None
    (date only) once that hour has passed: "ship the hotfix tonight" said at 21:30 is due today, not
    overdue from the moment it is created."""
    at = time(DAYPART_HOURS[part])
    return at if now.time().replace(tzinfo=None) < at else None


def time_only(now: datetime, at: time) -> date:
    """The day of a time said without a date: today, or tomorrow once that time has passed."""
    return now.date() if at >= now.time().replace(tzinfo=None) else now.date() + timedelta(days=1)


# ---------------------------------------------------------------- accent folding


@dataclass(frozen=True)
class Folded:
    """``text`` lower-cased without accents ("Mañana" -> "manana"), with a map back to the original.

    Rules then match plain ASCII words, so "miercoles" and "miércoles" are the same word.
    """

    text: str
    origin: tuple[int, ...] | None  # index in the original of each folded character; None: same

    @classmethod
    def of(cls, original: str) -> Folded:
        if original.isascii():
            return cls(original.lower(), None)
        chars: list[str] = []
        origin: list[int] = []
        for index, char in enumerate(original):
            plain = _fold_char(char)
            chars.append(plain)
            origin.extend([index] * len(plain))
        return cls("".join(chars), tuple(origin))

    def span(self, start: int, end: int, original: str) -> tuple[int, int]:
        """The original span of ``self.text[start:end]``."""
        if self.origin is None:
            return start, end
        lo = self.origin[start] if start < len(self.origin) else len(original)
        hi = self.origin[end - 1] + 1 if end > 0 else 0
        # Combining marks that followed the last folded character belong to it.
        while hi < len(original) and unicodedata.combining(original[hi]):
            hi += 1
        return lo, hi


def _fold_char(char: str) -> str:
    if char.isascii():
        return char.lower()
    return "".join(c for c in unicodedata.normalize("NFD", char.lower()) if not unicodedata.combining(c))
