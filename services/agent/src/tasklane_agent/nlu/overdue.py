"""Dates said as already past: "it was due Monday", "eso era para el lunes", "era pra ter entregado
dia 20". The task is still to do; it is created overdue, with the date the user meant.

A weekday or a day of the month read alone is the *next* one (see :mod:`tasklane_agent.nlu.dates`),
so after "was due" / "era para" / "era pra" it is moved back to the one before: a week, a month or
a year earlier. The remark ("it was due", "já tô atrasado") is not part of the title either.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import datetime, timedelta

from tasklane_agent.domain.language import Lang
from tasklane_agent.domain.recurrence import add_months
from tasklane_agent.nlu.dates import DueDate
from tasklane_agent.nlu.dates.words import MONTHS, WEEKDAY_WORDS, alternation
from tasklane_agent.nlu.language import fold

# The lookbehind: "encim*era para* el lunes" says nothing about the past.
_LEAD = r"(?:[-,;(\u2013\u2014]\s*)?(?<!\w)"
# What comes just before the date phrase, folded; group "cut" is where the remark starts.
_WAS: dict[Lang, re.Pattern[str]] = {
    "en": re.compile(
        rf"(?P<cut>{_LEAD}(?:(?:it|that|this|which|they|these|those)\s*)?(?:was|were|'s\s+been|has\s+been)"
        r"\s+(?:(?:supposed|meant)\s+to\s+be\s+(?:done\s+|in\s+|finished\s+|sent\s+)?|due\s+)?)$"
    ),
    "es": re.compile(
        rf"(?P<cut>{_LEAD}(?:(?:eso|esto|que|lo)\s+)?(?:era|eran|vencia|vencio|tenia\s+que\s+ser"
        r"|debia\s+ser|lo\s+tenia\s+que\s+\w+)(?:\s+(?:para|pa|pal))?\s+)$"
    ),
    "pt": re.compile(
        rf"(?P<cut>{_LEAD}(?:(?:isso|isto|que|ele|ela)\s+)?(?:era|eram|venceu|vencia|devia\s+ser"
        r"|tinha\s+que\s+ser(?:\s+\w+)?)(?:\s+(?:pra|para|pro)(?:\s+ter\s+(?:sido\s+)?\w+)?)?\s+)$"
    ),
}
_WEEKDAY = {lang: re.compile(rf"\b{WEEKDAY_WORDS[lang]}\b") for lang in ("en", "es", "pt")}
_MONTH = {lang: re.compile(rf"\b{alternation(MONTHS[lang])}\b") for lang in ("en", "es", "pt")}


def was_due(before: str, due: DueDate, now: datetime, lang: Lang) -> tuple[DueDate, int] | None:
    """``due`` moved into the past when ``before`` (the text up to the date) ends with "was due";
    with the offset in ``before`` where that remark starts. None when nothing says "was"."""
    tail = fold(before)[-60:]
    m = _WAS[lang].search(tail)
    if m is None or due.recurrence is not None:
        return None
    cut = len(before) - len(tail) + m.start("cut")
    if due.at.date() <= now.date():
        return due, cut
    phrase = fold(due.phrase)
    if _WEEKDAY[lang].search(phrase):
        at = due.at - timedelta(days=7)
    elif _MONTH[lang].search(phrase):
        at = due.at.replace(year=due.at.year - 1)
    else:
        year, month = add_months(due.at.year, due.at.month, -1)
        try:
            at = due.at.replace(year=year, month=month)
        except ValueError:  # the 31st of a shorter month
            return due, cut
    return replace(due, at=at), cut
