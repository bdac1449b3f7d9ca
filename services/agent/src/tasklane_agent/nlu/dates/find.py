"""Finding a due date inside a sentence, offline and deterministically, in English, Spanish and
Portuguese.

``find_due(text, now, lang)`` returns the first date/time phrase of ``text`` resolved against
``now``, with its span (filler words such as "by", "para el", "até" included) so the caller can cut
it out of a task title. ``now`` must be timezone-aware and expressed in the *user's* timezone:
"tomorrow" is the user's tomorrow, and the result is in that timezone too (the caller converts to
UTC for storage). A repeating phrase ("every Monday at 9am", "todos los lunes", "toda segunda")
gives its first occurrence at or after ``now`` plus the ``Recurrence``.

English is parsedatetime with pre-rules and guards (``en``); Spanish and Portuguese are a
small rule grammar of our own (``romance`` with ``es``/``pt``), because the
libraries measured in reference/nlu-offline.md B1 were either English-only or wrong on everyday
phrases ("amanhã às 10h" -> 19:00). Matching is case- and accent-insensitive ("miercoles").

Resolution choices (documented because users will see them):
- A bare weekday ("by Friday", "el viernes", "na sexta") is the next occurrence strictly after
  today: on a Friday, "Friday" means a week later; "today"/"this Friday"/"este viernes"/"esta
  sexta" mean today.
- English "next Friday" is the Friday of next week (4 Dec when said on Wed 25 Nov). Spanish and
  Portuguese "el próximo viernes", "viernes que viene", "próxima sexta", "sexta que vem" are the
  coming Friday (27 Nov): that is how they are used. "el viernes de la semana que viene" / "sexta
  da semana que vem" are the Friday of next week.
- A time without a date ("at 8am", "a las 8", "às 8h") that has already passed today means
  tomorrow. A bare hour from 1 to 7 ("at 3", "a las 3", "às 3") is in the afternoon; "8" is
  08:00 unless an evening word is next to it ("tonight at 8", "a las 8 de la noche"). Times
  written "15h", "10h30" or "10:30" are read as a 24-hour clock.
- A time range ("10am-11am", "10-11am", "from 10 to 11", "de 10 a 11", "das 10 às 11") is due at
  its start, on the day said next to it; the whole range is cut from the title.
- "the first day of every month", "el primer día de cada mes", "no primeiro dia de cada mês" repeat
  on the 1st; "the last day of every month"/"el último día"/"no último dia" on the 31st, which the
  rule clamps to each month's last day.
- Parts of the day: morning 09:00, afternoon 15:00, evening 19:00, tonight/night 20:00. A part
  of *today* said once its hour has passed ("tonight"/"esta noche"/"hoje à noite" at 21:30, "this
  morning" at 11:00) is today, date only: a task created already overdue helps nobody, and a
  date-only task is due until the day ends. Said earlier, it keeps its hour.
- "end of the week"/"fin de la semana"/"final da semana" is the coming Friday (today on a Friday;
  Sunday at the weekend). "this weekend"/"fin de semana"/"fim de semana" is the coming Saturday
  (today at the weekend); "next weekend" is the Saturday of next week.
- "end of day"/"eod"/"fin del día"/"fim do dia" is today, date only (no invented 17:00: a
  deadline "today" already means by the end of it, and reminders stay at the user's hours).
- "the 5th", "el 5", "dia 5", "before the 20th", "antes del 20", "até dia 20" are this month's
  day, or next month's when it has passed (the deadline is that day, not the day before).
  "5 de diciembre"/"20 de dezembro"/"Dec 3rd" without a year is its next occurrence.
- Numeric dates: English reads month-first (12/15) unless the first number cannot be a month
  (15/12); Spanish and Portuguese always read day-first (3/4 is 3 April).
- "next week" is today + 7 days; "next month"/"el mes que viene"/"mês que vem" is the 1st of next
  month (parsedatetime's reading, kept in every language).
- A date without a time is returned at 00:00 local with ``has_time`` false.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import datetime, time, timedelta, tzinfo
from functools import lru_cache

from tasklane_agent.domain.language import Lang
from tasklane_agent.domain.recurrence import Recurrence
from tasklane_agent.nlu.dates import en as dates_en
from tasklane_agent.nlu.dates import es as dates_es
from tasklane_agent.nlu.dates import pt as dates_pt
from tasklane_agent.nlu.dates import romance as dates_romance

__all__ = ["DueDate", "as_meant", "find_due"]


@dataclass(frozen=True)
class DueDate:
    """A resolved date phrase. ``at`` is in the timezone of ``now``; 00:00 if not ``has_time``."""

    at: datetime
    has_time: bool
    start: int
    end: int
    phrase: str
    # Set for "every Monday": ``at`` is then the first occurrence at or after "now".
    recurrence: Recurrence | None = None

    @property
    def recurring(self) -> bool:
        """Whether the phrase repeats (kept for callers written before ``recurrence``)."""
        return self.recurrence is not None


# How people type "tomorrow", "tonight" and the weekdays on a phone; read as the words they mean.
# "wed", "sat", "sun" and "mon" stay out: they are words too, and the English guards judge them.
_MISSPELT = {
    **dict.fromkeys(("tomorow", "tommorow", "tommorrow", "tomorro", "tomorrw", "tmrw", "tmr", "tmrow",
                     "tmrrw", "2moro", "2morow", "2morrow", "2mrw", "tmw", "tmoz", "tomoz"), "tomorrow"),
    **dict.fromkeys(("tonite", "2nite", "tonigth"), "tonight"),
    "2day": "today",
    "tdy": "today",
    **dict.fromkeys(("tues", "tue", "tuesdy"), "tuesday"),
    **dict.fromkeys(("weds", "wednes", "wensday", "wendsday", "wednsday"), "wednesday"),
    **dict.fromkeys(("thurs", "thur", "thu", "thr", "thrs", "thurdsay"), "thursday"),
    **dict.fromkeys(("fri", "frid"), "friday"),
    **dict.fromkeys(("satur", "satday"), "saturday"),
}  # fmt: skip
_MISSPELT_WORD = re.compile(
    r"\b(?:" + "|".join(sorted(_MISSPELT, key=len, reverse=True)) + r")\b", re.IGNORECASE
)
_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
# A word that may be a weekday typed wrong ("wednesay", "thrusday", "firday", "satruday").
_WEEKDAY_LIKE = re.compile(r"\b[mtwfs][a-z]{4,9}\b", re.IGNORECASE)


def _near(word: str, target: str, most: int) -> bool:
    """Whether ``word`` is at most ``most`` edits (a swap of neighbours is one) from ``target``."""
    if abs(len(word) - len(target)) > most:
        return False
    rows = [list(range(len(target) + 1))]
    for i, a in enumerate(word, 1):
        row = [i] + [0] * len(target)
        for j, b in enumerate(target, 1):
            row[j] = min(rows[-1][j] + 1, row[j - 1] + 1, rows[-1][j - 1] + (a != b))
            if i > 1 and j > 1 and a == target[j - 2] and word[i - 2] == b:
                row[j] = min(row[j], rows[-2][j - 2] + 1)
        rows.append(row)
    return rows[-1][-1] <= most


def _misspelt_weekday(word: str) -> str | None:
    """The weekday ``word`` is a typo of: one edit off, two for the long names, ending in "y" and
    starting as the weekday does (its first two letters, perhaps swapped with the third: "firday"),
    so that "money", "sundae" and "sturdy" stay words."""
    word = word.lower()
    # Typos keep the final "y" ("wednesay", "firday"); "sundae" and "mondays" are other words.
    if not word.endswith("y") or word in _WEEKDAYS:
        return None
    for name in _WEEKDAYS:
        if word[0] != name[0] or (word[1] != name[1] and word[1:3] != name[2:0:-1]):
            continue
        if _near(word, name, 2 if len(name) >= 8 else 1):
            return name
    return None


# An hour said with its part of the day ("at 10 in the morning", "at 7 in the evening", "9 at
# night"): one time, written as a clock would.
_HOUR_OF_DAYPART = re.compile(
    r"\b(?P<at>at\s+)?(?P<h>1[0-2]|0?[1-9])(?::(?P<m>[0-5]\d))?(?:\s*o'?clock)?\s+"
    r"(?:in\s+the\s+(?P<part>morning|afternoon|evening)|(?P<night>at\s+night|tonight))\b",
    re.IGNORECASE,
)


def _clock_word(m: re.Match[str]) -> str:
    hour, part = int(m.group("h")), (m.group("part") or "night").lower()
    # "12 in the morning" is 12am only by the letter of it; people mean noon no more often.
    half = "am" if part == "morning" or (part == "night" and hour == 12) else "pm"
    minutes = f":{m.group('m')}" if m.group("m") else ""
    return f"{m.group('at') or 'at '}{hour}{minutes}{half}" + (
        " tonight" if m.group("night") == "tonight" else ""
    )


# A time written with a dot ("at 4.30", "a las 4.30", "às 16.30", "4.30pm"): after a word that
# introduces a time, or before am/pm/h, so that "v2.10" and "5.12" (a date) stay what they are.
_DOTTED_TIME = re.compile(
    r"(?i)(?:(?<=\b(?:at|by) )|(?<=\blas )|(?<=\bla )|(?<=\b(?:as|às|ás) )|(?<=\buntil )|(?<=\btill )"
    r"|(?<=\bhasta )|(?<=\b(?:até|ate) )|(?<=\bfrom )|(?<=\bdesde )|(?<=\bdas )|(?<=@ ))"
    r"(?P<h>[01]?\d|2[0-3])\.(?P<m>[0-5]\d)\b|\b(?P<h2>[01]?\d|2[0-3])\.(?P<m2>[0-5]\d)(?=\s*(?:[ap]\.?m\b|h\b|hs\b|hrs\b))"
)
# English clock phrases: "half past 4", "quarter past 9", "(a) quarter to 5", "at half 4" (British).
_CLOCK_PHRASE = re.compile(
    r"(?i)\b(?:(?P<past>half|quarter)\s+past\s+|(?:a\s+)?(?P<to>quarter)\s+to\s+|(?<=\bat )(?P<uk>half)\s+)"
    r"(?P<h>1[0-2]|0?[1-9])\b(?!\s*[:.]\d)"
)


def _afternoon(hour: int, minutes: str, followed: str) -> str:
    """A clock for ``hour:minutes``: in the afternoon for 1 to 7 unless am/pm follows, as a bare
    hour is ("at 4.30" is a parents' evening, not 04:30)."""
    if 1 <= hour <= 7 and not re.match(r"\s*[ap]\.?m\b", followed, re.IGNORECASE):
        hour += 12
    return f"{hour}:{minutes}"


def _clock_fixes(text: str) -> list[tuple[int, int, str]]:
    fixes = []
    for m in _DOTTED_TIME.finditer(text):
        hour, minutes = (m.group("h"), m.group("m")) if m.group("h") else (m.group("h2"), m.group("m2"))
        fixes.append((m.start(), m.end(), _afternoon(int(hour), minutes, text[m.end() :])))
    for m in _CLOCK_PHRASE.finditer(text):
        hour = int(m.group("h"))
        if m.group("to"):
            hour, minutes = (hour - 1 or 12), "45"
        else:
            minutes = "15" if (m.group("past") or "").lower() == "quarter" else "30"
        fixes.append((m.start(), m.end(), _afternoon(hour, minutes, text[m.end() :])))
    return fixes


def _respell(text: str, lang: Lang = "en") -> tuple[str, list[int]]:
    """``text`` with misspelt date words corrected and clocks written as clocks ("4.30", "half
    past 4"), and for each of its characters the offset of the character it came from (``text``
    itself, unchanged, when nothing was changed). Misspellings are English ones."""
    fixes = _clock_fixes(text)
    if lang == "en":
        fixes += [
            (m.start(), m.end(), _MISSPELT[m.group().lower()])
            for m in _MISSPELT_WORD.finditer(text)
            if not any(a < m.end() and m.start() < b for a, b, _ in fixes)
        ]
        for m in _HOUR_OF_DAYPART.finditer(text):
            if not any(a < m.end() and m.start() < b for a, b, _ in fixes):
                fixes.append((m.start(), m.end(), _clock_word(m)))
        for m in _WEEKDAY_LIKE.finditer(text):
            name = _misspelt_weekday(m.group())
            if name is not None and not any(a <= m.start() < b for a, b, _ in fixes):
                fixes.append((m.start(), m.end(), name))
    if not fixes:
        return text, []
    parts: list[str] = []
    origin: list[int] = []
    last = 0
    for start, end, word in sorted(fixes):
        parts.append(text[last:start])
        origin.extend(range(last, start))
        parts.append(word)
        # Every character of the correction maps into the typed words, its last onto their last,
        # so that a phrase ending in it ends where they do.
        origin.extend(min(start + i, end - 1) for i in range(len(word) - 1))
        origin.append(end - 1)
        last = end
    parts.append(text[last:])
    origin.extend(range(last, len(text)))
    return "".join(parts), origin


def as_meant(text: str) -> str:
    """``text`` with the date words typed wrong written as meant ("wensday" -> "wednesday")."""
    return _respell(text)[0]


# A time said with its half of the day ("5am", "de la mañana", "à noite") or in 24-hour form ("05:30").
_HALF_OF_DAY = re.compile(
    r"\b(?:a\.?m|p\.?m|morning|afternoon|evening|night|tonight|manana|manha|madrugada|noche|noite|tarde)\b"
    r"|\b0\d[:h]|[ap]m\b"
)


def _past_morning(local: datetime, now: datetime, phrase: str) -> bool:
    return (
        local.date() == now.date()
        and local < now
        and local.hour < 12
        and not _HALF_OF_DAY.search(phrase.lower().replace("ñ", "n").replace("ã", "a"))
    )


def find_due(text: str, now: datetime, lang: Lang = "en") -> DueDate | None:
    """The first date/time phrase in ``text`` resolved against ``now`` (aware, user's timezone)."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware (in the user's timezone)")
    # The timezone is part of the key: two equal instants in two zones are two different days.
    return _find_due(text, now, now.tzinfo, lang)


def forget_dates() -> None:
    """Drop the dates found so far (benchmarks measure each message as if it were the first)."""
    _find_due.cache_clear()


# One message is read in several ways (whole, by sentence, by clause, as a follow-up), each
# looking for the same dates again: they are half of the parser's time without this. DueDate is
# frozen, so sharing one is safe.
@lru_cache(maxsize=1024)
def _find_due(text: str, now: datetime, tz: tzinfo, lang: Lang) -> DueDate | None:
    fixed, origin = _respell(text, lang)
    if lang == "en":
        hit = dates_en.find(fixed, now)
    else:
        hit = dates_romance.find(fixed, now, dates_es.GRAMMAR if lang == "es" else dates_pt.GRAMMAR)
    if hit is not None and fixed is not text:
        # Back to offsets in what the user typed, so the misspelt word leaves the title too.
        hit = replace(hit, start=origin[hit.start], end=origin[hit.end - 1] + 1)
    if hit is None:
        return None
    recurrence = hit.recurrence
    if recurrence is not None:
        if hit.at is not None and recurrence.at != hit.at:
            recurrence = replace(recurrence, at=hit.at)
        local = recurrence.first_on_or_after(now)
        recurrence = recurrence.anchored(local.date())
    else:
        local = datetime.combine(hit.day, hit.at or time(0), tzinfo=now.tzinfo)
    if hit.at is not None and recurrence is None and _past_morning(local, now, text[hit.start : hit.end]):
        # "today at 5:30" said at 09:00: the afternoon one, not an hour already gone.
        local += timedelta(hours=12)
    return DueDate(
        at=local,
        has_time=hit.at is not None,
        start=hit.start,
        end=hit.end,
        phrase=text[hit.start : hit.end],
        recurrence=recurrence,
    )


def names_only_a_time(phrase: str, now: datetime, lang: Lang) -> bool:
    """Whether a date phrase ("at 12", "pra 13h", "a las 12:30") names a time of day and no day:
    read ten days on, it lands on that day. A change saying only that keeps the task's day."""
    probe = (now + timedelta(days=10)).replace(hour=0, minute=1)
    again = find_due(phrase, probe, lang)
    return again is not None and again.has_time and again.at.date() == probe.date()
