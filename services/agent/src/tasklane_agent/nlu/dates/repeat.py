"""Finding a repeating phrase ("every other day", "todos los lunes", "todo dia 1") in folded text.

Each language has a small table of patterns; a pattern names the frequency it stands for and its
named groups carry the rest: ``n`` (interval), ``days`` (a weekday list), ``md`` (day of the
month), ``mon`` (month), ``part`` (part of the day, which gives a time). The time said next to the
phrase ("at 9am", "a las 9", "às 9h") is attached by the language's date grammar, not here.

Bare adjectives are not recurrences: "the weekly report" and "el informe diario" are titles, so
"weekly"/"daily" only count at the end of the phrase or before "at"/"on", and the Spanish and
Portuguese adjectives (diario, semanal, mensal...) are not patterns at all, only their adverbs
(diariamente, semanalmente...).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import time

from tasklane_agent.domain.language import Lang
from tasklane_agent.domain.recurrence import WEEKDAYS_MON_FRI, Freq, Recurrence
from tasklane_agent.nlu.dates.common import DAYPART_HOURS
from tasklane_agent.nlu.dates.words import (
    DAYPARTS,
    MONTHS,
    NUMBERS,
    ORDINALS,
    WEEKDAY_WORDS,
    alternation,
    day_number,
    number,
    weekdays,
)


@dataclass(frozen=True)
class RepeatHit:
    start: int  # in the folded text
    end: int
    recurrence: Recurrence
    part: str | None = None  # "every night": a bare hour said next to it is in the evening


@dataclass(frozen=True)
class _Pattern:
    regex: re.Pattern[str]
    freq: Freq
    weekdays: tuple[int, ...] = ()
    interval: int = 0  # 0: from the ``n`` group (1 without one); else this fixed interval


def _num(lang: Lang) -> str:
    return r"(?:\d{1,3}|" + alternation(NUMBERS[lang]) + ")"


def _days(lang: Lang, joiners: str) -> str:
    wd = WEEKDAY_WORDS[lang]
    return rf"(?P<days>{wd}(?:\s*(?:,|{joiners})\s*{wd})*)"


def _ordinals(lang: Lang) -> str:
    """The ordinal day words of ``lang`` ("twenty-first" also as "twenty first")."""
    return alternation(w for w in ORDINALS[lang] if " " not in w).replace(r"\-", r"[-\s]+")


def _compile(table: list[tuple[str, Freq, tuple[int, ...], int]]) -> list[_Pattern]:
    return [_Pattern(re.compile(src), freq, days, interval) for src, freq, days, interval in table]


_WEEKEND = (5, 6)
_ORD = r"(?:st|nd|rd|th)?"
_EN_NUM = _num("en")
_EN_MONTH = alternation(MONTHS["en"])
_EN_DAYS = _days("en", r"and|&|\+|,\s*and")
# "weekly" is an adverb here only at the end or before what usually follows a recurrence.
_EN_ADVERB_END = r"(?=\s*(?:$|[,.;!?)]|at\b|on\b|@|from\b|starting\b|until\b|\d))"
_EN_ORDS = _ordinals("en")
# "the 1st", "the first", "the last day": a day of the month.
_EN_MD = rf"(?P<md>\d{{1,2}}{_ORD}|{_EN_ORDS})\b"
_EN_MONTHDAY_TAIL = rf"(?:\s+on\s+the\s+{_EN_MD}(?:\s+day\b)?)?"
_EN_DATE_TAIL = (
    rf"(?:\s+on\s+(?:(?P<mon>{_EN_MONTH})\.?\s+(?P<md>\d{{1,2}}){_ORD}"
    rf"|(?:the\s+)?(?P<md2>\d{{1,2}}){_ORD}\s+(?:of\s+)?(?P<mon2>{_EN_MONTH})))?"
)
_EN = r"\b(?:every|each)\s+"
_EN_PART = r"(?:\s+(?P<part>morning|afternoon|evening|night)\b)?"
_EN_N = rf"(?:(?P<n>{_EN_NUM})\s+)?"
EN: list[_Pattern] = _compile([
    (_EN + _EN_N + r"days?\b", "daily", (), 0),
    (r"\b(?:daily|everyday)\b" + _EN_ADVERB_END, "daily", (), 1),
    (r"(?:" + _EN + r"(?:weekday|work\s*day|working\s+day|business\s+day)|\bon\s+weekdays"
     r"|\b(?:from\s+)?monday\s+(?:to|through|thru|-)\s+friday)\b" + _EN_PART, "weekly", WEEKDAYS_MON_FRI, 1),
    (r"(?:" + _EN + r"weekend|\bon\s+weekends)\b" + _EN_PART, "weekly", _WEEKEND, 1),
    (_EN + rf"(?:(?P<n>other)\s+)?{_EN_DAYS}\b" + _EN_PART,
     "weekly", (), 0),
    (r"\bon\s+(?P<days>(?:mon|tues|wednes|thurs|fri|satur|sun)days"
     r"(?:\s*(?:,|and|&)\s*(?:mon|tues|wednes|thurs|fri|satur|sun)days)*)\b", "weekly", (), 1),
    (_EN + _EN_N + rf"weeks?\b(?:\s+on\s+{_EN_DAYS}\b)?", "weekly", (), 0),
    (rf"\bweekly\b(?:\s+on\s+{_EN_DAYS}\b)?" + _EN_ADVERB_END, "weekly", (), 1),
    (_EN + _EN_N + r"months?\b" + _EN_MONTHDAY_TAIL, "monthly", (), 0),
    (r"\bmonthly\b" + _EN_MONTHDAY_TAIL + _EN_ADVERB_END, "monthly", (), 1),
    (rf"\b(?:on\s+)?(?:the\s+)?{_EN_MD}\s+(?:day\s+)?of\s+(?:every|each)\s+{_EN_N}months?\b",
     "monthly", (), 0),
    # "every first day of the month", "every last day of the month" (a word needs "of the month":
    # "every second week" is a fortnight).
    (_EN + rf"(?P<md>{_EN_ORDS})\s+(?:day\s+)?of\s+the\s+month\b", "monthly", (), 1),
    (_EN + rf"(?P<md>\d{{1,2}})(?:st|nd|rd|th)\b(?:\s+of\s+the\s+month\b)?(?!\s+{WEEKDAY_WORDS['en']})",
     "monthly", (), 1),
    (_EN + _EN_N + r"years?\b" + _EN_DATE_TAIL, "yearly", (), 0),
    (r"\b(?:yearly|annually)\b" + _EN_DATE_TAIL + _EN_ADVERB_END, "yearly", (), 1),
    (_EN + rf"(?:(?P<mon>{_EN_MONTH})\.?\s+(?P<md>\d{{1,2}}){_ORD}|(?P<md2>\d{{1,2}}){_ORD}\s+(?:of\s+)?"
     rf"(?P<mon2>{_EN_MONTH}))\b", "yearly", (), 1),
    (_EN + r"(?P<part>morning|afternoon|evening|night)\b", "daily", (), 1),
])  # fmt: skip

_ES_NUM = _num("es")
_ES_MONTH = alternation(MONTHS["es"])
_ES_DAYS = _days("es", r"y|e|,?\s*y\s+los")
_ES_N = rf"(?:(?P<n>{_ES_NUM})\s+)?"
_ES_ORDS = _ordinals("es")
# A day number that is not the start of a time ("a las 9", "9:30", "9h") or a date ("5 de mayo").
_ES_MD = rf"(?P<md>\d{{1,2}}|primero)\b(?!\s*(?:[:h]\d|h\b|de\s+{_ES_MONTH}\b))"
ES: list[_Pattern] = _compile([
    (r"\b(?:todos\s+los\s+dias|cada\s+dia|diariamente|a\s+diario)\b", "daily", (), 1),
    (rf"\bcada\s+(?P<n>{_ES_NUM})\s+dias\b", "daily", (), 0),
    (r"\bdia\s+(?:si\s*,?\s+dia\s+no|por\s+medio)\b", "daily", (), 2),
    (r"\b(?:de\s+lunes\s+a\s+viernes|entre\s+semana|(?:todos\s+los\s+|cada\s+)?dias?\s+"
     r"(?:laborables?|habiles?|de\s+semana))\b", "weekly", WEEKDAYS_MON_FRI, 1),
    (r"\b(?:todos\s+los|cada|los)\s+fines?\s+de\s+semana\b", "weekly", _WEEKEND, 1),
    (rf"\b(?:todos\s+los|cada|los)\s+{_ES_DAYS}\b", "weekly", (), 1),
    (rf"\b(?:cada\s+{_ES_N}semanas?|todas\s+las\s+semanas|semanalmente)\b(?:\s*,?\s*(?:el|los)\s+{_ES_DAYS}\b)?",
     "weekly", (), 0),
    (rf"\b(?:cada\s+{_ES_N}mes(?:es)?|todos\s+los\s+meses|mensualmente)\b"
     rf"(?:\s*,?\s*(?:el\s+)?(?:(?:dia\s+)?{_ES_MD}|(?P<md2>{_ES_ORDS})\s+dia\b))?", "monthly", (), 0),
    # "el primer día de cada mes", "el último día de cada mes", "cada primer día del mes".
    (rf"\b(?:el\s+)?(?P<md>{_ES_ORDS})\s+dia\s+de\s+cada\s+{_ES_N}mes(?:es)?\b", "monthly", (), 0),
    (rf"\b(?:cada|todos\s+los)\s+(?P<md>{_ES_ORDS})s?\s+dias?\s+del?\s+mes\b", "monthly", (), 1),
    (rf"\b(?:el\s+)?(?:dia\s+)?(?P<md>\d{{1,2}}|primero)\s+de\s+cada\s+{_ES_N}mes(?:es)?\b",
     "monthly", (), 0),
    (rf"\b(?:cada|todos\s+los)\s+dias?\s+{_ES_MD}", "monthly", (), 1),
    (rf"\b(?:cada\s+{_ES_N}anos?|todos\s+los\s+anos|anualmente)\b"
     rf"(?:\s*,?\s*(?:el\s+)?(?P<md2>\d{{1,2}})\s+de\s+(?P<mon2>{_ES_MONTH})\b)?", "yearly", (), 0),
    (rf"\b(?:cada|todos\s+los)\s+(?P<md>\d{{1,2}})\s+de\s+(?P<mon>{_ES_MONTH})\b", "yearly", (), 1),
    (rf"\b(?:el\s+)?(?P<md>\d{{1,2}})\s+de\s+(?P<mon>{_ES_MONTH})\s+de\s+cada\s+ano\b", "yearly", (), 1),
    (r"\b(?:todas\s+las|cada)\s+(?P<part>manana|tarde|noche)s?\b", "daily", (), 1),
])  # fmt: skip

_PT_NUM = _num("pt")
_PT_MONTH = alternation(MONTHS["pt"])
_PT_DAYS = _days("pt", r"e|,?\s*e\s+(?:as|aos|nas|nos)")
_PT_N = rf"(?:(?P<n>{_PT_NUM})\s+)?"
_PT_ORDS = _ordinals("pt")
_PT_MD = rf"(?P<md>\d{{1,2}}|primeiro)\b(?!\s*(?:[:h]\d|h\b|horas?\b|de\s+{_PT_MONTH}\b))"
PT: list[_Pattern] = _compile([
    (r"\b(?:todos\s+os\s+dias|todo\s+(?:o\s+)?dia|(?:a\s+)?cada\s+dia|diariamente)\b", "daily", (), 1),
    (rf"\b(?:a\s+)?cada\s+(?P<n>{_PT_NUM})\s+dias\b", "daily", (), 0),
    (r"\bdia\s+sim\s*,?\s+dia\s+nao\b", "daily", (), 2),
    (r"\b(?:de\s+segunda(?:-feira)?\s+a\s+sexta(?:-feira)?|(?:todo|cada)\s+dia\s+util|"
     r"(?:todos\s+os\s+|nos\s+|em\s+)?dias\s+uteis)\b", "weekly", WEEKDAYS_MON_FRI, 1),
    (r"\b(?:todo|cada)\s+fim\s+de\s+semana|\b(?:todos\s+os|nos|aos)\s+fins\s+de\s+semana\b",
     "weekly", _WEEKEND, 1),
    (rf"\b(?:todas\s+as|todos\s+os|toda|todo|cada|as|nas|aos|nos)\s+{_PT_DAYS}\b", "weekly", (), 1),
    (rf"\b(?:(?:toda|cada)\s+semana|todas\s+as\s+semanas|semanalmente|(?:a\s+)?cada\s+{_PT_N}semanas)\b"
     rf"(?:\s*,?\s*(?:na|no|nas|nos|as|aos|toda|todo)\s+{_PT_DAYS}\b)?", "weekly", (), 0),
    (rf"\b(?:todo\s+(?:o\s+)?mes|todos\s+os\s+meses|mensalmente|(?:a\s+)?cada\s+{_PT_N}mes(?:es)?)\b"
     rf"(?:\s*,?\s*(?:no\s+)?(?:dia\s+{_PT_MD}|(?P<md2>{_PT_ORDS})\s+dia\b))?", "monthly", (), 0),
    # "no primeiro dia de cada mês", "no último dia de todo mês", "todo último dia do mês".
    (rf"\b(?:no\s+)?(?P<md>{_PT_ORDS})\s+dia\s+de\s+(?:cada|todo)\s+{_PT_N}mes(?:es)?\b", "monthly", (), 0),
    (rf"\b(?:todo|cada)\s+(?P<md>{_PT_ORDS})\s+dia\s+do\s+mes\b", "monthly", (), 1),
    (rf"\b(?:no\s+)?dia\s+(?P<md>\d{{1,2}}|primeiro)\s+de\s+(?:cada|todo)\s+{_PT_N}mes(?:es)?\b",
     "monthly", (), 0),
    (rf"\b(?:todo|cada)\s+dia\s+{_PT_MD}", "monthly", (), 1),
    (rf"\b(?:todo\s+(?:o\s+)?ano|todos\s+os\s+anos|anualmente|(?:a\s+)?cada\s+{_PT_N}anos?)\b"
     rf"(?:\s*,?\s*(?:em|no\s+dia|no)?\s*(?P<md2>\d{{1,2}})\s+de\s+(?P<mon2>{_PT_MONTH})\b)?",
     "yearly", (), 0),
    (rf"\btodo\s+(?:dia\s+)?(?P<md>\d{{1,2}})\s+de\s+(?P<mon>{_PT_MONTH})\b", "yearly", (), 1),
    (r"\b(?:todas\s+as|toda)\s+(?P<part>manha|tarde|noite)s?\b", "daily", (), 1),
])  # fmt: skip

PATTERNS: dict[Lang, list[_Pattern]] = {"en": EN, "es": ES, "pt": PT}
# Portuguese ordinals that look like weekdays: "as segundas vias", "toda quinta parte".
_PT_ORDINAL_NOUNS = re.compile(
    r"\s*(?:vias?|vez|vezes|versao|versoes|parte|partes|pagina|edicao|etapa|fase|opcao|linha|coluna|"
    r"serie|colocad[oa]s?|lugar)\b"
)


def find_repeats(folded: str, lang: Lang) -> list[RepeatHit]:
    """Every repeating phrase in ``folded`` (accent-folded text), possibly overlapping."""
    hits: list[RepeatHit] = []
    for pattern in PATTERNS[lang]:
        for m in pattern.regex.finditer(folded):
            recurrence = _build(m, pattern, lang)
            if recurrence is None:
                continue
            if lang == "pt" and _group(m, "days") and _PT_ORDINAL_NOUNS.match(folded, m.end()):
                continue
            part = _group(m, "part")
            hits.append(RepeatHit(m.start(), m.end(), recurrence, DAYPARTS[lang][part] if part else None))
    return hits


def _group(m: re.Match[str], name: str) -> str | None:
    return m.group(name) if name in m.re.groupindex else None


def _build(m: re.Match[str], pattern: _Pattern, lang: Lang) -> Recurrence | None:
    interval = pattern.interval or 1
    if pattern.interval == 0 and (n := _group(m, "n")):
        interval = number(n, lang) or 0
        if not 1 <= interval <= 366:
            return None
    days = pattern.weekdays
    if text := _group(m, "days"):
        days = weekdays(text, lang)
    md_text = _group(m, "md") or _group(m, "md2")
    monthday = day_number(re.sub(r"(?<=\d)(?:st|nd|rd|th)$", "", md_text), lang) if md_text else None
    if monthday is not None and not 1 <= monthday <= 31:
        return None
    mon_text = _group(m, "mon") or _group(m, "mon2")
    month = MONTHS[lang][mon_text] if mon_text else None
    part = _group(m, "part")
    at = time(DAYPART_HOURS[DAYPARTS[lang][part]]) if part else None
    freq = pattern.freq
    if freq == "yearly" and month is None:
        monthday = None  # "every year" alone: anchored on its first occurrence
    return Recurrence(freq=freq, interval=interval, weekdays=days, monthday=monthday, at=at, month=month)
