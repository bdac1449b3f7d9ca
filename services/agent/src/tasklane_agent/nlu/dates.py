"""Finding a due date inside a sentence, offline and deterministically.

``find_due(text, now)`` returns the first date/time phrase of ``text`` resolved against ``now``,
with its span so the caller can cut it out of a task title. ``now`` must be timezone-aware and
expressed in the *user's* timezone: "tomorrow" is the user's tomorrow, and the result is in that
timezone too (the caller converts to UTC for storage).

parsedatetime does the bulk of the work. A few pre-rules run first for its measured gaps
(reference/nlu-offline.md, B1): "the day after tomorrow", "on the 5th", "end of the week/month",
"tonight at 8", "this evening", day-first numeric dates. Guards then drop its false positives: a
bare month name ("Ask May about..."), a bare weekday abbreviation ("buy sun cream"), a bare number
("print 300 flyers") or a duration without "in" ("take a week off").

Resolution choices (documented because users will see them):
- A bare weekday ("by Friday") is the next occurrence strictly after today: on a Friday, "Friday"
  means a week later; "today" or "this Friday" mean today. "next Friday" is the Friday of next
  week (4 Dec when said on Wed 25 Nov).
- A time without a date ("at 8am") that has already passed today means tomorrow.
- "end of the week" is the coming Friday (today on a Friday); on a weekend, it is Sunday.
- "the 5th" is this month's 5th, or next month's when that day has passed.
- Numeric dates are month-first (12/15) unless the first number cannot be a month (15/12).
- A date without a time is returned at 00:00 local with ``has_time`` false.
"""

from __future__ import annotations

import re
from calendar import monthrange
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import cache
from typing import Any

import parsedatetime

MONTHS = {
    "january": 1, "february": 2, "march": 3, "april": 4, "may": 5, "june": 6, "july": 7,
    "august": 8, "september": 9, "october": 10, "november": 11, "december": 12,
    "jan": 1, "feb": 2, "mar": 3, "apr": 4, "jun": 6, "jul": 7, "aug": 8, "sep": 9, "sept": 9,
    "oct": 10, "nov": 11, "dec": 12,
}  # fmt: skip
_MONTH = "|".join(sorted(MONTHS, key=len, reverse=True))
_WEEKDAY_ABBREVIATIONS = {"mon", "tue", "tues", "wed", "thu", "thur", "thurs", "fri", "sat", "sun"}
# Words that turn an ambiguous word into a date when they precede it ("by May", "on Sat").
_DATE_PREPOSITIONS = {"by", "on", "in", "due", "until", "till", "til", "before", "during", "for",
                      "next", "this", "every", "from", "of", "early", "late", "mid", "end"}  # fmt: skip
# Filler that belongs to a date phrase and goes with it when it is cut out of a title.
_FILLER = re.compile(r"(?:\b(?:due|by|on|in|at|before|until|till|for|every)\s+)+$", re.IGNORECASE)
_EVERY = re.compile(r"\bevery\s+$", re.IGNORECASE)

# Default hours of the parts of the day, shared by the pre-rules and parsedatetime.
DAYPART_HOURS = {"morning": 9, "afternoon": 15, "evening": 19, "tonight": 20, "night": 20}


@dataclass(frozen=True)
class DueDate:
    """A resolved date phrase. ``at`` is in the timezone of ``now``; 00:00 if not ``has_time``."""

    at: datetime
    has_time: bool
    start: int
    end: int
    phrase: str
    # "every Monday": only the first occurrence is resolved; recurrence is not supported yet.
    recurring: bool = False


@dataclass(frozen=True)
class _Hit:
    start: int
    end: int
    day: date
    at: time | None


# ---------------------------------------------------------------- times next to a date phrase

_CLOCK = (
    r"(?:(?P<h12>1[0-2]|0?[1-9])(?::(?P<m12>[0-5]\d))?\s*(?P<ampm>[ap])\.?m\.?"
    r"|(?P<h24>[01]?\d|2[0-3]):(?P<m24>[0-5]\d)"
    r"|(?P<named>noon|midday|midnight))"
)
_TIME_AFTER = re.compile(
    r"^\s*,?\s*(?:(?:at|@)\s*)?" + _CLOCK + r"(?!\w)|^\s*,?\s*at\s+(?P<bare>1[0-2]|0?[1-9])(?![\w:.])",
    re.IGNORECASE,
)
_TIME_BEFORE = re.compile(
    r"(?:\b(?:at|@)\s*)?" + _CLOCK + r"\s+(?:on\s+|by\s+)?$"
    r"|\bat\s+(?P<bare>1[0-2]|0?[1-9])\s+(?:on\s+|by\s+)?$",
    re.IGNORECASE,
)


def _clock(m: re.Match[str], *, evening: bool) -> time:
    if m.group("named"):
        return time(0) if m.group("named").lower() == "midnight" else time(12)
    if m.group("h24"):
        return time(int(m.group("h24")), int(m.group("m24")))
    if m.group("h12"):
        hour = int(m.group("h12")) % 12 + (12 if m.group("ampm").lower() == "p" else 0)
        return time(hour, int(m.group("m12") or 0))
    hour = int(m.group("bare"))
    # "at 3" means 15:00 for a task; "tonight at 8" means 20:00.
    if hour != 12 and (evening or hour <= 7):
        hour += 12
    return time(hour % 24)


def _attach_time(text: str, hit: _Hit, *, evening: bool = False) -> _Hit:
    after = _TIME_AFTER.match(text[hit.end :])
    if after:
        return _Hit(hit.start, hit.end + after.end(), hit.day, _clock(after, evening=evening))
    before = _TIME_BEFORE.search(text[: hit.start])
    if before:
        return _Hit(before.start(), hit.end, hit.day, _clock(before, evening=evening))
    return hit


# ---------------------------------------------------------------- pre-rules (parsedatetime gaps)

_ORDINAL = r"(?P<d>3[01]|[12]\d|0?[1-9])(?:st|nd|rd|th)"
_DAY_AFTER_TOMORROW = re.compile(r"\b(?:the\s+)?day\s+after\s+tomorrow\b", re.IGNORECASE)
_ORDINAL_DAY = re.compile(
    # "on/by/due the 5th", or "the 5th of ..."; a lone "the 5th" is too often not a date.
    r"\b(?:(?:on|by|due|until|till|before)\s+(?:the\s+)?|the\s+(?=\d{1,2}(?:st|nd|rd|th)\s+of\b))"
    + _ORDINAL
    + rf"(?:\s+(?:of\s+)?(?P<month>{_MONTH})\b\.?|\s+of\s+(?P<rel>this|next)\s+month\b)?",
    re.IGNORECASE,
)
_END_OF = re.compile(
    r"\b(?:the\s+)?end\s+of\s+(?:the\s+|this\s+)?(?P<next>next\s+)?(?P<unit>day|week|month|year)\b"
    r"|\b(?P<abbr>eod|eow|eom)\b",
    re.IGNORECASE,
)
_DAYPART = re.compile(r"\b(?:tonight|this\s+(?P<part>morning|afternoon|evening))\b", re.IGNORECASE)
_DAY_FIRST = re.compile(
    r"(?<![\d/])(?P<d>1[3-9]|2\d|3[01])/(?P<m>0?[1-9]|1[0-2])(?:/(?P<y>\d{4}|\d{2}))?(?![\d/])"
)


def _ordinal_day(day: int, today: date, month: int | None, rel: str | None) -> date | None:
    if rel is not None:
        year, mon = today.year, today.month
        if rel.lower() == "next":
            year, mon = (year + 1, 1) if mon == 12 else (year, mon + 1)
        return date(year, mon, day) if day <= monthrange(year, mon)[1] else None
    if month is not None:
        for year in (today.year, today.year + 1):
            if day <= monthrange(year, month)[1] and date(year, month, day) >= today:
                return date(year, month, day)
        return None
    # The first month from this one that has that day, not in the past.
    year, mon = today.year, today.month
    for _ in range(3):
        if day <= monthrange(year, mon)[1] and date(year, mon, day) >= today:
            return date(year, mon, day)
        year, mon = (year + 1, 1) if mon == 12 else (year, mon + 1)
    return None


def _end_of(unit: str, today: date, *, following: bool) -> date:
    if unit == "day":
        return today
    if unit == "week":
        if following:
            return today + timedelta(days=7 - today.weekday() + 4)
        if today.weekday() <= 4:
            return today + timedelta(days=4 - today.weekday())
        return today + timedelta(days=6 - today.weekday())
    if unit == "month":
        year, mon = today.year, today.month
        if following:
            year, mon = (year + 1, 1) if mon == 12 else (year, mon + 1)
        return date(year, mon, monthrange(year, mon)[1])
    return date(today.year + (1 if following else 0), 12, 31)


def _pre_rules(text: str, now: datetime) -> _Hit | None:
    today = now.date()
    hits: list[_Hit] = []
    for m in _DAY_AFTER_TOMORROW.finditer(text):
        hits.append(_attach_time(text, _Hit(m.start(), m.end(), today + timedelta(days=2), None)))
    for m in _ORDINAL_DAY.finditer(text):
        month = MONTHS[m.group("month").lower()] if m.group("month") else None
        day = _ordinal_day(int(m.group("d")), today, month, m.group("rel"))
        if day is not None:
            hits.append(_attach_time(text, _Hit(m.start(), m.end(), day, None)))
    for m in _END_OF.finditer(text):
        abbr = (m.group("abbr") or "").lower()
        unit = {"eod": "day", "eow": "week", "eom": "month"}.get(abbr) or m.group("unit").lower()
        day = _end_of(unit, today, following=bool(m.group("next")))
        hits.append(_attach_time(text, _Hit(m.start(), m.end(), day, None)))
    for m in _DAYPART.finditer(text):
        part = (m.group("part") or "tonight").lower()
        hit = _attach_time(text, _Hit(m.start(), m.end(), today, None), evening=part != "morning")
        hits.append(hit if hit.at else _Hit(hit.start, hit.end, today, time(DAYPART_HOURS[part])))
    for m in _DAY_FIRST.finditer(text):
        year = int(m.group("y")) if m.group("y") else today.year
        year += 2000 if year < 100 else 0
        try:
            day = date(year, int(m.group("m")), int(m.group("d")))
        except ValueError:
            continue
        if not m.group("y") and day < today:
            day = day.replace(year=day.year + 1)
        hits.append(_attach_time(text, _Hit(m.start(), m.end(), day, None)))
    return min(hits, key=lambda h: h.start) if hits else None


# ---------------------------------------------------------------- parsedatetime and its guards


@cache
def _calendar() -> Any:
    constants = parsedatetime.Constants()
    # An instance attribute shadows the locale's table; the regexes (built from its keys) stay.
    constants.re_sources = {
        **constants.re_sources,
        **{k: {"hr": v, "mn": 0, "sec": 0} for k, v in DAYPART_HOURS.items() if k in constants.re_sources},
    }
    return parsedatetime.Calendar(constants, version=parsedatetime.VERSION_CONTEXT_STYLE)


_BARE_NUMBER = re.compile(r"^\d+$")
_BARE_DURATION = re.compile(
    r"^(?:a|an|one|\d+)\s+(?:sec|secs|second|seconds|min|mins|minute|minutes|hr|hrs|hour|hours|"
    r"day|days|week|weeks|month|months|year|years)$",
    re.IGNORECASE,
)
_AMBIGUOUS_WORDS = set(MONTHS) | _WEEKDAY_ABBREVIATIONS


def _word_before(text: str, start: int) -> str:
    words = re.findall(r"[A-Za-z]+", text[:start])
    return words[-1].lower() if words else ""


def _rejected_span(text: str, start: int, end: int, flags: Any) -> tuple[int, int] | None:
    """None if the match looks like a real date; else the part of it to hide before retrying."""
    phrase = text[start:end]
    if not flags.accuracy or _BARE_NUMBER.match(phrase) or _BARE_DURATION.match(phrase):
        return start, end
    first = re.match(r"[A-Za-z]+", phrase)
    # "Ask May about...", "buy sun cream", "Meeting with Jan on Thursday": a month name or a
    # weekday abbreviation is a date only with a number or a preposition next to it.
    if (
        first
        and first.group().lower() in _AMBIGUOUS_WORDS
        and not re.search(r"\d", phrase)
        and _word_before(text, start) not in _DATE_PREPOSITIONS
    ):
        return start, start + first.end()
    return None


def _parsedatetime(text: str, now: datetime, taken: _Hit | None) -> _Hit | None:
    source = now.replace(tzinfo=None)
    masked = text
    for _ in range(4):
        retry = False
        for value, flags, start, end, matched in _calendar().nlp(masked, sourceTime=source) or ():
            # Spans may include surrounding blanks (" May"); trim them.
            start += len(matched) - len(matched.lstrip())
            end -= len(matched) - len(matched.rstrip())
            if taken is not None and start < taken.end and end > taken.start:
                continue  # part of a phrase a pre-rule understood better ("day after tomorrow")
            rejected = _rejected_span(masked, start, end, flags)
            if rejected is not None:
                # Blank the false positive out (offsets stay valid) and let the parser look again.
                lo, hi = rejected
                masked = masked[:lo] + " " * (hi - lo) + masked[hi:]
                retry = True
                break
            when: datetime = value
            if flags.hasTime and not flags.hasDate and when < source:
                when += timedelta(days=1)
            hit = _Hit(start, end, when.date(), when.time() if flags.hasTime else None)
            return hit if flags.hasTime else _attach_time(masked, hit)
        if not retry:
            return None
    return None


# ---------------------------------------------------------------- public API


def find_due(text: str, now: datetime) -> DueDate | None:
    """The first date/time phrase in ``text`` resolved against ``now`` (aware, user's timezone)."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware (in the user's timezone)")
    pre = _pre_rules(text, now)
    hits = [h for h in (pre, _parsedatetime(text, now, pre)) if h is not None]
    if not hits:
        return None
    hit = min(hits, key=lambda h: h.start)
    start = hit.start
    filler = _FILLER.search(text[:start])
    recurring = bool(_EVERY.search(text[:start]))
    if filler:
        start = filler.start()
    local = datetime.combine(hit.day, hit.at or time(0), tzinfo=now.tzinfo)
    return DueDate(
        at=local,
        has_time=hit.at is not None,
        start=start,
        end=hit.end,
        phrase=text[start : hit.end],
        recurring=recurring,
    )
