"""English dates: parsedatetime plus pre-rules for its measured gaps and guards for its false hits.

parsedatetime does the bulk of the work. Pre-rules run first for its gaps (reference
nlu-offline.md, B1): "the day after tomorrow", "on the 5th", "3rd of December", "end of the
week/month", "this weekend", "tonight at 8", "this evening", day-first numeric dates. Guards then
drop its false positives: a bare month name ("Ask May about..."), a bare weekday abbreviation ("buy
sun cream"), a bare number ("print 300 flyers") or a duration without "in" ("take a week off").
Repeating phrases ("every Monday") come from ``repeat`` and win over what they contain.

A time range ("10am-11am", "10-11am", "from 10 to 11", "between 2 and 3pm") is a slot: the task is
due at its start, on the day said next to it, and the whole range leaves the title. It is taken
out before the rest is read, because parsedatetime would read "10am" alone and leave "-11am".
"""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta
from functools import cache
from typing import Any

import parsedatetime

from tasklane_agent.nlu.dates.common import (
    DAYPART_HOURS,
    Folded,
    Hit,
    day_of_month,
    end_of,
    part_of_today,
    shifted,
    time_only,
    weekend,
)
from tasklane_agent.nlu.dates.repeat import find_repeats
from tasklane_agent.nlu.dates.words import MONTHS as ALL_MONTHS

MONTHS = ALL_MONTHS["en"]
_MONTH = "|".join(sorted(MONTHS, key=len, reverse=True))
_WEEKDAY_ABBREVIATIONS = {"mon", "tue", "tues", "wed", "thu", "thur", "thurs", "fri", "sat", "sun"}
# Words that turn an ambiguous word into a date when they precede it ("by May", "on Sat").
_DATE_PREPOSITIONS = {"by", "on", "in", "due", "until", "till", "til", "before", "during", "for",
                      "next", "this", "every", "from", "of", "early", "late", "mid", "end"}  # fmt: skip
# Filler that belongs to a date phrase and goes with it when it is cut out of a title.
_FILLER = re.compile(
    r"(?:\b(?:due|by|on|in|at|before|until|till|for|(?:in|at|during|by|on)\s+the)\s+)+$", re.IGNORECASE
)

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
# "at 9" alone is a time only when nothing but a date word or the end follows it ("at 5 stores").
_BARE_AT = re.compile(
    r"\bat\s+(?P<bare>1[0-2]|0?[1-9])(?:\s*o'?clock)?(?![\w:.])"
    r"(?=\s*(?:$|[,.;!?)]|(?:sharp|please|today|tomorrow|tonight|on|this|next|every)\b))",
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
    return bare_hour(int(m.group("bare")), evening=evening)


def bare_hour(hour: int, *, evening: bool) -> time:
    """ "at 3" means 15:00 for a task (1-7 are afternoon hours); "tonight at 8" means 20:00."""
    if hour != 12 and (evening or hour <= 7):
        hour += 12
    return time(hour % 24)


def _attach_time(text: str, hit: Hit, *, evening: bool = False) -> Hit:
    after = _TIME_AFTER.match(text[hit.end :])
    if after:
        return Hit(hit.start, hit.end + after.end(), hit.day, _clock(after, evening=evening), hit.recurrence)
    before = _TIME_BEFORE.search(text[: hit.start])
    if before:
        return Hit(before.start(), hit.end, hit.day, _clock(before, evening=evening), hit.recurrence)
    return hit


# ---------------------------------------------------------------- pre-rules (parsedatetime gaps)

_ORDINAL = r"(?P<d>3[01]|[12]\d|0?[1-9])(?:st|nd|rd|th)"
_DAY_AFTER_TOMORROW = re.compile(r"\b(?:the\s+)?day\s+after\s+tomorrow\b", re.IGNORECASE)
_ORDINAL_DAY = re.compile(
    # "on/by/due the 5th", "make it the 8th", or "(the) 5th of ..."; a lone "the 5th" is too often
    # not a date.
    r"\b(?:(?:on|by|due|until|till|before|make\s+it|(?:move|push|change|bump|put)\s+(?:it|that)\s+to)"
    r"\s+(?:the\s+)?"
    rf"|(?:the\s+)?(?=\d{{1,2}}(?:st|nd|rd|th)\s+of\s+(?:{_MONTH}|this|next)\b))"
    + _ORDINAL
    + rf"(?:\s+(?:of\s+)?(?P<month>{_MONTH})\b\.?|\s+of\s+(?P<rel>this|next)\s+month\b)?",
    re.IGNORECASE,
)
_END_OF = re.compile(
    r"\b(?:the\s+)?end\s+of\s+(?:the\s+|this\s+)?(?P<next>next\s+)?(?P<unit>day|week|month|year)\b"
    r"|\b(?P<abbr>eod|eow|eom)\b",
    re.IGNORECASE,
)
_WEEKEND = re.compile(
    r"\b(?:this|(?P<next>next))\s+weekend\b"
    r"|\b(?:by|on|over|at|for|during|until|till|before|in)\s+the\s+weekend\b",
    re.IGNORECASE,
)
_DAYPART = re.compile(r"\b(?:tonight|this\s+(?P<part>morning|afternoon|evening))\b", re.IGNORECASE)
# Spans parsedatetime does not know: "in a fortnight", "in a couple (of) weeks", "in a few days".
_SPAN = re.compile(
    r"\b(?:in|within)\s+(?:(?:a|one)\s+)?(?P<fortnight>fortnight)\b"
    r"|\b(?:in|within)\s+(?:a\s+)?(?P<qty>couple(?:\s+of)?|few)\s+(?P<unit>days?|weeks?|months?)\b",
    re.IGNORECASE,
)
# "mid January", "mid-march", "the middle of May": the 15th of that month.
_MID_MONTH = re.compile(rf"\b(?:mid[\s-]*|(?:the\s+)?middle\s+of\s+)(?P<month>{_MONTH})\b\.?", re.IGNORECASE)
_DAY_FIRST = re.compile(
    r"(?<![\d/])(?P<d>1[3-9]|2\d|3[01])/(?P<m>0?[1-9]|1[0-2])(?:/(?P<y>\d{4}|\d{2}))?(?![\d/])"
)


def _pre_rules(text: str, now: datetime) -> Hit | None:
    today = now.date()
    hits: list[Hit] = []
    for m in _DAY_AFTER_TOMORROW.finditer(text):
        hits.append(_attach_time(text, Hit(m.start(), m.end(), today + timedelta(days=2), None)))
    for m in _ORDINAL_DAY.finditer(text):
        month = MONTHS[m.group("month").lower()] if m.group("month") else None
        following = (m.group("rel") or "").lower() == "next"
        day = day_of_month(today, int(m.group("d")), month, following=following)
        if day is not None:
            hits.append(_attach_time(text, Hit(m.start(), m.end(), day, None)))
    for m in _END_OF.finditer(text):
        abbr = (m.group("abbr") or "").lower()
        unit = {"eod": "day", "eow": "week", "eom": "month"}.get(abbr) or m.group("unit").lower()
        day = end_of(unit, today, following=bool(m.group("next")))
        hits.append(_attach_time(text, Hit(m.start(), m.end(), day, None)))
    for m in _WEEKEND.finditer(text):
        day = weekend(today, following=bool(m.group("next")))
        hits.append(_attach_time(text, Hit(m.start(), m.end(), day, None)))
    for m in _DAYPART.finditer(text):
        part = (m.group("part") or "tonight").lower()
        hit = _attach_time(text, Hit(m.start(), m.end(), today, None), evening=part != "morning")
        hits.append(hit if hit.at else Hit(hit.start, hit.end, today, part_of_today(now, part)))
    for m in _SPAN.finditer(text):
        if m.group("fortnight"):
            day, _ = shifted(now, 14, "day")
        else:
            amount = 2 if m.group("qty").lower().startswith("couple") else 3
            day, _ = shifted(now, amount, m.group("unit").lower().rstrip("s"))
        hits.append(_attach_time(text, Hit(m.start(), m.end(), day, None)))
    for m in _MID_MONTH.finditer(text):
        mid = day_of_month(today, 15, MONTHS[m.group("month").lower()])
        if mid is not None:
            hits.append(_attach_time(text, Hit(m.start(), m.end(), mid, None)))
    for m in _DAY_FIRST.finditer(text):
        year = int(m.group("y")) if m.group("y") else today.year
        year += 2000 if year < 100 else 0
        try:
            day = today.replace(year=year, month=int(m.group("m")), day=int(m.group("d")))
        except ValueError:
            continue
        if not m.group("y") and day < today:
            day = day.replace(year=day.year + 1)
        hits.append(_attach_time(text, Hit(m.start(), m.end(), day, None)))
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
# parsedatetime reads these alone as times ("team lunch" -> 12:00, "good morning" -> 09:00).
_TIME_OF_DAY_WORDS = {"breakfast", "lunch", "dinner", "morning", "afternoon", "evening", "night", "noon"}
_MONTH_ONLY = re.compile(rf"^(?!.*\d{{4}})(?:\w+\s+)*(?:{_MONTH})\b", re.IGNORECASE)
_MEALS = {"breakfast", "brunch", "lunch", "dinner", "supper", "morning", "afternoon", "evening", "night"}
_EVENING_BEFORE = re.compile(r"\b(?:evening|night)\s+$", re.IGNORECASE)
_AM = re.compile(r"\d\s*a\.?m\b", re.IGNORECASE)
# "1:1s", "2:1": ratios and one-on-ones, not clock times (a time has two digits of minutes).
_NOT_A_CLOCK = re.compile(r"\b\d{1,2}:\d(?!\d)s?")
_TIME_OF_DAY_PREPOSITIONS = _DATE_PREPOSITIONS | {"at", "after", "the", "around", "tomorrow", "today"}
_WORD = re.compile(r"[A-Za-z]+")


def _word_before(text: str, start: int) -> str:
    words = _WORD.findall(text, max(0, start - 40), start)
    return words[-1].lower() if words else ""


def _rejected_span(text: str, start: int, end: int, flags: Any) -> tuple[int, int] | None:
    """None if the match looks like a real date; else the part of it to hide before retrying."""
    phrase = text[start:end]
    if not flags.accuracy or _BARE_NUMBER.match(phrase) or _BARE_DURATION.match(phrase):
        return start, end
    if phrase.lower() in _TIME_OF_DAY_WORDS and _word_before(text, start) not in _TIME_OF_DAY_PREPOSITIONS:
        return start, end
    # "team breakfast friday 8:30", "parents evening next wednesday": the meal or the evening is
    # what the task is; the date is what follows it.
    meal = _WORD.match(phrase)
    if (
        meal
        and meal.group().lower() in _MEALS
        and meal.end() < len(phrase)
        and _word_before(text, start) not in _TIME_OF_DAY_PREPOSITIONS
    ):
        return start, start + meal.end()
    first = _WORD.match(phrase)
    # "Ask May about...", "buy sun cream", "Meeting with Jan on Thursday": a month name or a
    # weekday abbreviation is a date only with a number or a preposition next to it.
    # A weekday abbreviation ending the message is the date it is said with ("pay rent fri").
    last = not text[end:].strip(" .,!?")
    if (
        first
        and first.group().lower() in _AMBIGUOUS_WORDS
        and not re.search(r"\d", phrase)
        and _word_before(text, start) not in _DATE_PREPOSITIONS
        and not (last and first.group().lower() in _WEEKDAY_ABBREVIATIONS and _word_before(text, start))
    ):
        return start, start + first.end()
    return None


def _parsedatetime(text: str, now: datetime, taken: list[Hit]) -> Hit | None:
    source = now.replace(tzinfo=None)
    masked = text
    for _ in range(4):
        retry = False
        for value, flags, start, end, matched in _calendar().nlp(masked, sourceTime=source) or ():
            # Spans may include surrounding blanks (" May"); trim them.
            start += len(matched) - len(matched.lstrip())
            end -= len(matched) - len(matched.rstrip())
            if any(start < t.end and end > t.start for t in taken):
                continue  # part of a phrase a rule understood better ("day after tomorrow")
            rejected = _rejected_span(masked, start, end, flags)
            if rejected is not None:
                # Blank the false positive out (offsets stay valid) and let the parser look again.
                lo, hi = rejected
                masked = masked[:lo] + " " * (hi - lo) + masked[hi:]
                retry = True
                break
            when: datetime = value
            # "movie night friday at 8": the evening word left the phrase (it names the task) but
            # still says which 8.
            evening = bool(_EVENING_BEFORE.search(text, 0, start))
            if evening and flags.hasTime and 1 <= when.hour < 12 and not _AM.search(text, start, end):
                when += timedelta(hours=12)
            if flags.hasTime and not flags.hasDate and when < source:
                when += timedelta(days=1)
            # "before March" said in November is next March (parsedatetime reads this year's).
            if when.date() < source.date() and _MONTH_ONLY.search(masked[start:end]):
                when = when.replace(year=when.year + 1)
            hit = Hit(start, end, when.date(), when.time() if flags.hasTime else None)
            return hit if flags.hasTime else _attach_time(masked, hit, evening=evening)
        if not retry:
            return None
    return None


# ---------------------------------------------------------------- the English grammar


def _repeat(text: str, now: datetime) -> Hit | None:
    folded = Folded.of(text)
    repeats = find_repeats(folded.text, "en")
    if not repeats:
        return None
    best = min(repeats, key=lambda r: (r.start, -r.end))
    start, end = folded.span(best.start, best.end, text)
    rule = best.recurrence
    hit = Hit(start, end, now.date(), rule.at, rule)
    evening = rule.at is not None and rule.at.hour >= 15
    return _attach_time(text, hit, evening=evening)


# ---------------------------------------------------------------- time ranges

_RANGE = re.compile(
    r"(?:\b(?:at|@)\s*)?(?:\b(?P<lead>from|between)\s+)?"
    r"\b(?P<h1>[01]?\d|2[0-3])(?::(?P<m1>[0-5]\d))?\s*(?:(?P<ap1>[ap])\.?m\b\.?)?"
    r"\s*(?P<to>[-\u2013\u2014]|\bto\b|\btill\b|\buntil\b|\band\b)\s*"
    r"(?:(?P<h2>[01]?\d|2[0-3])(?::(?P<m2>[0-5]\d))?(?:\s*(?P<ap2>[ap])\.?m\b\.?)?|(?P<named>noon|midday|midnight))"
    r"(?![\w:/-])",
    re.IGNORECASE,
)
# A range of bare numbers is a time only before the end or a date word ("from 5 to 10 people" is not).
_AFTER_BARE_RANGE = re.compile(
    r"\s*(?:$|[,.;!?)]|(?:today|tomorrow|tonight|on|this|next|every|by|in|at|mon|tue|wed|thu|fri|sat|sun)"
    r"[a-z]*\b)",
    re.IGNORECASE,
)


def _range_start(m: re.Match[str]) -> time | None:
    """The start of a time range, or None when the numbers are not one ("pages 10-12")."""
    h1, lead, to = int(m.group("h1")), (m.group("lead") or "").lower(), m.group("to")
    h2 = int(m.group("h2") or 12)  # "to noon", "to midnight": 12 on the clock face
    ap1, ap2 = (m.group("ap1") or "").lower(), (m.group("ap2") or "").lower()
    if (to.lower() == "and") != (lead == "between"):
        return None  # "between" goes with "and", and "and" only with it
    if (ap1 and not 1 <= h1 <= 12) or (ap2 and not 1 <= h2 <= 12):
        return None
    if not (ap1 or ap2 or m.group("m1") or m.group("m2") or m.group("named") or lead):
        return None
    minute = int(m.group("m1") or 0)
    if ap1:
        return time(h1 % 12 + (12 if ap1 == "p" else 0), minute)
    if ap2 and h1 <= 12:
        # "10-11am" is 10am; "11-1pm" starts before noon (11 > 1 on the clock face), "1-3pm" after.
        pm = ap2 == "p" and h1 % 12 <= h2 % 12
        return time(h1 % 12 + (12 if pm else 0), minute)
    if m.group("m1"):
        return time(h1, minute)
    return bare_hour(h1, evening=False) if h1 <= 12 else time(h1, minute)


def _time_range(text: str) -> tuple[int, int, time] | None:
    for m in _RANGE.finditer(text):
        start = _range_start(m)
        bare = not (m.group("ap1") or m.group("ap2") or m.group("m1") or m.group("m2") or m.group("named"))
        if start is not None and not (bare and not _AFTER_BARE_RANGE.match(text, m.end())):
            return m.start(), m.end(), start
    return None


def find(text: str, now: datetime) -> Hit | None:
    """The first English date phrase of ``text``, its span widened over filler ("by", "on")."""
    text = _NOT_A_CLOCK.sub(lambda m: "x" * len(m.group()), text)
    found = _time_range(text)
    if found is None:
        return _find(text, now)
    lo, hi, at = found
    # A comma keeps parsedatetime from joining the words on either side ("lunch 12-1pm tomorrow"
    # is not "lunch tomorrow" at noon); offsets stay valid.
    hit = _find(text[:lo] + ",".ljust(hi - lo) + text[hi:], now)
    if hit is not None and hit.at is None:
        gap = text[hit.end : lo] if hit.end <= lo else text[hi : hit.start]
        if not gap.strip(" ,"):
            # "tomorrow 10-11am", "10-11am on Friday", "every Monday from 9 to 10": one phrase.
            return Hit(min(lo, hit.start), max(hi, hit.end), hit.day, at, hit.recurrence)
    if hit is not None and hit.start < lo:
        return hit
    return Hit(lo, hi, time_only(now, at), at)


# A month and nothing more ("for oct", "in march"): the vaguest of dates. Another date in the same
# message ("invoice Kite for oct hours tmrw") is the due date, and the month is what the task is about.
_MONTH_ALONE = re.compile(
    rf"(?:(?:by|in|for|of|on|due|until|till|before|during|from|early|late|the)\s+)*(?:{_MONTH})\.?",
    re.IGNORECASE,
)


def _find(text: str, now: datetime) -> Hit | None:
    hit = _first(text, now)
    if hit is not None and _MONTH_ALONE.fullmatch(text[hit.start : hit.end].strip()):
        other = _first(text[: hit.start] + " " * (hit.end - hit.start) + text[hit.end :], now)
        if other is not None:
            return other
    return hit


def _first(text: str, now: datetime) -> Hit | None:
    repeat = _repeat(text, now)
    pre = _pre_rules(text, now)
    taken = [h for h in (repeat, pre) if h is not None]
    hits = [*taken, *filter(None, [_parsedatetime(text, now, taken)])]
    if not hits:
        bare = _BARE_AT.search(text)
        if bare is None:
            return None
        at = bare_hour(int(bare.group("bare")), evening=False)
        hits = [Hit(bare.start(), bare.end(), time_only(now, at), at)]
    hit = min(hits, key=lambda h: (h.start, -h.end))
    if repeat is not None and hit is not repeat and hit.start < repeat.end and hit.end > repeat.start:
        hit = repeat
    filler = _FILLER.search(text, 0, hit.start)
    if filler:
        return Hit(filler.start(), hit.end, hit.day, hit.at, hit.recurrence)
    return hit
