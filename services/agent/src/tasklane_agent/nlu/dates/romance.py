"""The date grammar of Spanish and Portuguese: one engine, one table of patterns per language.

The two languages say dates the same way ("el viernes a las 3 de la tarde", "na sexta às 3 da
tarde"), so ``es`` and ``pt`` only list their words and patterns (a ``Grammar``) and
this module does the rest:

1. fold the text (lower case, no accents) so "miércoles"/"miercoles" and "Mañana"/"manana" match;
2. collect every candidate: dates ("el viernes", "5 de diciembre"), clock times ("a las 3"),
   parts of the day ("por la tarde"), repeating phrases ("todos los lunes");
3. keep the longest of overlapping candidates, so "de la mañana" (a time) beats "mañana"
   (tomorrow) and "pasado mañana" beats "mañana";
4. chain candidates separated only by blanks or commas ("mañana a las 3", "a las 3 el viernes",
   "hoje à noite") and read the first chain as one date and time.

A time range ("de 10 a 11", "das 10 às 11", "10h-11h") is one time candidate, its start: the task
is due when the slot begins, and the whole range leaves the title (longer than the "a las 11" or
"às 11" inside it, it wins step 3).

Guards keep common words from becoming dates: a weekday written with a capital and used as a
name ("llamar a Domingo", "ligar para o Sábado Bar"), Portuguese ordinals ("a segunda versão"), a
bare hour or day number followed by a noun ("a las 5 personas", "el 5 que falta").
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from tasklane_agent.domain.language import Lang
from tasklane_agent.domain.recurrence import Recurrence, add_months
from tasklane_agent.nlu.dates.common import (
    DAYPART_HOURS,
    Folded,
    Hit,
    dated,
    day_of_month,
    end_of,
    part_of_today,
    shifted,
    time_only,
    weekday_after,
    weekday_of_next_week,
    weekend,
)
from tasklane_agent.nlu.dates.repeat import find_repeats
from tasklane_agent.nlu.dates.words import DAYPARTS, MONTHS, UNITS, number, weekday


@dataclass(frozen=True)
class Grammar:
    """The patterns of one language, as regex sources over folded text (see ``es``)."""

    lang: Lang
    today: str
    tomorrow: str
    after_tomorrow: str
    today_part: str  # "esta noche": group part
    weekday: str  # groups: this, next, next2, nextweek, wd
    weekend: str  # groups: next, next2
    end_of: str  # groups: unit/unitw, next/next2/nextw/nextw2
    next_period: str  # groups: unit/unit2/unit3
    relative: str  # groups: n, unit, half
    day_number: str  # groups: d, dia (day said as "día N")
    day_month: str  # groups: d, mon, y/y2
    clock: str  # groups: lead, h, sep, m, hs, ampm, frac, minus, part
    named_clock: str  # group named
    daypart: str  # group part
    filler: str
    follow_ok: frozenset[str]  # words that may follow a bare hour or day number
    name_preps: frozenset[str]  # "a Domingo": a capitalised weekday after these is a name
    ordinal_nouns: str = r"(?!)"  # nouns after which a weekday word is an ordinal
    # Past days, for tasks already overdue ("venció ayer", "era pra segunda passada").
    yesterday: str = r"(?!)"
    before_yesterday: str = r"(?!)"
    last_week: str = r"(?!)"
    time_range: str = r"(?!)"  # groups: h, sep, m (the start), h2, part
    named_times: dict[str, time] = field(default_factory=dict)
    compiled: dict[str, re.Pattern[str]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        sources = {k: v for k, v in vars(self).items() if isinstance(v, str) and k != "lang"}
        object.__setattr__(self, "compiled", {k: re.compile(v) for k, v in sources.items()})


@dataclass(frozen=True)
class _Cand:
    start: int
    end: int
    rank: int = 0  # how specific a date is: an explicit day beats a weekday beats "tomorrow"
    day: date | None = None
    at: time | None = None  # a resolved time ("en 2 horas")
    clock: tuple[int, int, bool] | None = None  # hour, minute, already 24-hour
    part: str | None = None  # a part of the day (DAYPART_HOURS key)
    recurrence: Recurrence | None = None
    weak: bool = False  # a time only when chained to a date


_FRACTIONS = {"media": 30, "meia": 30, "cuarto": 15, "quinze": 15}
# "10h-11h", "10:00-11:30", "10-11h": a range written with a dash needs a clock mark ("10-12" is not).
_DASH_RANGE = re.compile(
    r"\b(?P<h>[01]?\d|2[0-3])(?:(?P<sep>:|h)(?P<m>[0-5]\d)?)?\s*[-\u2013]\s*"
    r"(?P<h2>[01]?\d|2[0-3])(?:(?P<sep2>:|h)(?:[0-5]\d)?)?(?![\w:/.-])"
)
_GAP = re.compile(r"[\s,]*")
_WORD_AFTER = re.compile(r"\s*([a-z]+)")
_CAPITALISED_AFTER = re.compile(r"\s+[A-ZÁÉÍÓÚÂÊÔÃÕÇÑ]")


def _g(m: re.Match[str], *names: str) -> str | None:
    """The first of these groups that the pattern has and matched."""
    for name in names:
        if name in m.re.groupindex and m.group(name):
            return m.group(name)
    return None


def _follow_ok(grammar: Grammar, text: str, end: int) -> bool:
    """Whether what follows a bare number lets it be a date or time ("a las 5 personas": no)."""
    word = _WORD_AFTER.match(text, end)
    if word is None:
        return True
    return word.group(1) in grammar.follow_ok or bool(grammar.compiled["weekday"].match(text, word.start(1)))


# A noun and "de" just before "fin de año"/"fim de mês" make it a kind of event ("almoço de fim de
# ano"); "antes de", "depois de", "hasta" keep it a date.
_ATTRIBUTE_OF = re.compile(r"\b(?!(?:antes|despues|depois|hasta|ate|a\s+partir)\b)[a-z]{3,}\s+de\s+$")


_DAY_OFFSETS = (
    ("today", 0), ("tomorrow", 1), ("after_tomorrow", 2),
    ("yesterday", -1), ("before_yesterday", -2), ("last_week", -7),
)  # fmt: skip


def _dates(grammar: Grammar, f: str, original: str, folded: Folded, now: datetime) -> list[_Cand]:
    c = grammar.compiled
    today = now.date()
    out: list[_Cand] = []
    for key, offset in _DAY_OFFSETS:
        out += [_Cand(m.start(), m.end(), 1, today + timedelta(days=offset)) for m in c[key].finditer(f)]
    for m in c["today_part"].finditer(f):
        out.append(_Cand(m.start(), m.end(), 1, today, part=DAYPARTS[grammar.lang][m.group("part")]))
    for m in c["weekday"].finditer(f):
        if _is_name(grammar, m, f, original, folded):
            continue
        wd = weekday(m.group("wd"), grammar.lang)
        if _g(m, "last"):
            # "el lunes pasado", "segunda passada": the last one strictly before today.
            day = today - timedelta(days=(today.weekday() - wd - 1) % 7 + 1)
        elif m.group("nextweek"):
            day = weekday_of_next_week(today, wd)
        else:
            day = weekday_after(today, wd, include_today=bool(m.group("this")))
        end, dn = m.end(), m.group("dn")
        if dn and _follow_ok(grammar, f, end) and (numbered := day_of_month(today, int(dn))):
            out.append(_Cand(m.start(), end, 3, numbered))
            continue
        if dn:
            end = len(f[: m.start("dn")].rstrip(" ,"))  # "el viernes 5 personas": just the weekday
        out.append(_Cand(m.start(), end, 2, day))
    for m in c["weekend"].finditer(f):
        out.append(_Cand(m.start(), m.end(), 2, weekend(today, following=bool(_g(m, "next", "next2")))))
    for m in c["end_of"].finditer(f):
        if _ATTRIBUTE_OF.search(f, 0, m.start()):
            continue  # "almoço de fim de ano", "cena de fin de año": what the event is, not its date
        unit = {"mes": "month", "ano": "year", "dia": "day", "semana": "week"}[_g(m, "unit", "unitw") or ""]
        following = bool(_g(m, "next", "next2", "nextw", "nextw2"))
        out.append(_Cand(m.start(), m.end(), 2, end_of(unit, today, following=following)))
    for m in c["next_period"].finditer(f):
        period = _g(m, "unit", "unit2", "unit3")
        if period == "semana":
            day = today + timedelta(weeks=1)
        elif period == "mes":
            day = date(*add_months(today.year, today.month, 1), 1)
        else:
            day = date(today.year + 1, 1, 1)
        out.append(_Cand(m.start(), m.end(), 2, day))
    for m in c["relative"].finditer(f):
        said = m.group("n") or ""
        # "un par de semanas", "um par de dias" are two; "uns dias", "umas semanas" a few (three).
        loose = 2 if "par" in said else 3 if said in ("uns", "umas") else None
        amount = 30 if m.group("half") else loose or number(said, grammar.lang)
        if amount:
            day, at = shifted(now, amount, "minute" if m.group("half") else UNITS[m.group("unit")])
            out.append(_Cand(m.start(), m.end(), 2, day, at=at))
    for m in c["day_number"].finditer(f):
        d = number(m.group("d"), grammar.lang) or 0
        if (_g(m, "dia", "dia2") or _follow_ok(grammar, f, m.end())) and (found := day_of_month(today, d)):
            out.append(_Cand(m.start(), m.end(), 3, found))
    months = MONTHS[grammar.lang]
    for m in c["day_month"].finditer(f):
        found = _date(today, _g(m, "y", "y2"), months[m.group("mon")], m.group("d"), grammar.lang)
        if found:
            out.append(_Cand(m.start(), m.end(), 3, found))
    for m in _NUMERIC.finditer(f):
        month = int(_g(m, "m", "m2", "m3") or 0)
        found = _date(today, _g(m, "y", "y2", "y3"), month, _g(m, "d", "d2", "d3"), grammar.lang)
        if found:
            out.append(_Cand(m.start(), m.end(), 3, found))
    return out


# Day-first numeric dates: 15/12, 15/12/2026, 15.12.2026, 15-12-2026, and ISO 2026-12-15.
_NUMERIC = re.compile(
    r"(?<![\d/])(?P<d>\d{1,2})/(?P<m>\d{1,2})(?:/(?P<y>\d{4}|\d{2}))?(?![\d/])"
    r"|(?<![\d.-])(?P<d2>\d{1,2})[.-](?P<m2>\d{1,2})[.-](?P<y2>\d{4})(?![\d.-])"
    r"|\b(?P<y3>\d{4})-(?P<m3>\d{2})-(?P<d3>\d{2})\b"
)


def _date(today: date, year: str | None, month: int, day: str | None, lang: Lang) -> date | None:
    """A date from its matched parts; a month or day out of range is no date."""
    if not 1 <= month <= 12:
        return None
    return dated(today, int(year) if year else None, month, number(day or "", lang) or 0)


def _is_name(grammar: Grammar, m: re.Match[str], f: str, original: str, folded: Folded) -> bool:
    """ "llamar a Domingo", "ligar para o Sábado Bar", "a segunda versão": not weekdays."""
    if grammar.compiled["ordinal_nouns"].match(f, m.end()):
        return True
    start, end = folded.span(m.start("wd"), m.end("wd"), original)
    # In a message typed in capitals ("MUDE O DENTISTA PARA SEGUNDA FEIRA") case tells nothing.
    if not original[start : start + 1].isupper() or original.isupper():
        return False
    if _CAPITALISED_AFTER.match(original, end):
        return True  # "Sábado Bar", "Domingo Pérez"
    if not original[:start].strip(" ¡¿\"'"):
        return False  # the first word of the message
    words = re.findall(r"[a-z]+", f[: m.start("wd")])
    modified = m.group("this") or m.group("next") or m.group("next2") or m.group("nextweek")
    return not modified and bool(words) and words[-1] in grammar.name_preps


def _times(grammar: Grammar, f: str) -> list[_Cand]:
    c = grammar.compiled
    parts = DAYPARTS[grammar.lang]
    out: list[_Cand] = []
    for m in c["clock"].finditer(f):
        lead, h_text, sep, minutes = m.group("lead"), m.group("h"), m.group("sep"), m.group("m")
        hour = number(h_text, grammar.lang)
        ampm, part = m.group("ampm"), m.group("part")
        if hour is None or (sep == ":" and minutes is None) or (not h_text.isdigit() and not lead):
            continue
        # "9hs" written together is a time; "2 horas" and "3" are numbers.
        glued = m.group("hs") is not None and m.start("hs") == m.end("h")
        if not (lead or minutes or sep or ampm or part or glued):
            continue  # "2 horas", "3": a number, not a time
        if lead == "a" and hour != 1:
            continue  # Portuguese "à 1"/"à uma" only; "a 3" is not a time
        bare = not (minutes or sep or ampm or part or m.group("hs") or m.group("frac") or _g(m, "minus"))
        # "a las 5 personas" is no time, but "mañana a las 3 llamar a Ana" is: such a bare hour
        # only counts next to a date.
        weak = bare and not _follow_ok(grammar, f, m.end())
        minute = int(minutes or 0) + {"media": 30, "meia": 30, "cuarto": 15, "quinze": 15}.get(
            m.group("frac") or "", 0
        )
        if _g(m, "minus"):
            hour, minute = (hour - 1) % 24, 45
        if ampm:
            if not 1 <= hour <= 12:
                continue
            out.append(
                _Cand(m.start(), m.end(), clock=(hour % 12 + (12 if ampm == "p" else 0), minute, True))
            )
            continue
        if hour > 23 or minute > 59:
            continue
        explicit = bool(sep) or hour > 12 or hour == 0
        out.append(
            _Cand(m.start(), m.end(), clock=(hour, minute, explicit), part=parts.get(part or ""), weak=weak)
        )
    for m in [*c["time_range"].finditer(f), *_DASH_RANGE.finditer(f)]:
        if (cand := _range(grammar, f, m)) is not None:
            out.append(cand)
    for m in c["named_clock"].finditer(f):
        named = grammar.named_times[re.sub(r"[-\s]", "", m.group("named"))]
        out.append(_Cand(m.start(), m.end(), clock=(named.hour, named.minute, True)))
    for m in c["daypart"].finditer(f):
        out.append(_Cand(m.start(), m.end(), part=parts[m.group("part")] if m.group("part") else "morning"))
    return out


def _range(grammar: Grammar, f: str, m: re.Match[str]) -> _Cand | None:
    """A time range as one candidate at its start; None when its numbers are no hours."""
    hour, until = number(m.group("h"), grammar.lang), number(m.group("h2"), grammar.lang)
    if hour is None or until is None or hour > 23 or until > 23:
        return None
    sep, part = m.group("sep"), _g(m, "part")
    if m.re is _DASH_RANGE and not (sep or m.group("sep2")):
        return None
    # "de 2 a 3 personas" is no time, but "mañana de 2 a 3" is: as for a bare hour.
    weak = not (sep or part or _g(m, "sep2")) and not _follow_ok(grammar, f, m.end())
    # "das 7 às 19", "de 6 a 14": a range ending past noon starts in the morning.
    morning = until > 12 and hour + 12 >= until
    clock = (hour, int(m.group("m") or 0), bool(sep) or hour > 12 or hour == 0 or morning)
    return _Cand(m.start(), m.end(), clock=clock, part=DAYPARTS[grammar.lang].get(part or ""), weak=weak)


def _hour(clock: tuple[int, int, bool], part: str | None) -> time:
    """A clock reading made 24-hour with the part of the day said next to it."""
    hour, minute, explicit = clock
    if explicit:
        # "a las 6:30 de la tarde", "às 7h da noite": the part of the day still says which half.
        if (part in ("afternoon", "evening") and 1 <= hour < 12) or (
            part in ("night", "tonight") and 6 <= hour < 12
        ):
            hour += 12
        return time(hour, minute)
    if part == "afternoon" and hour < 12:
        hour += 12
    elif part in ("evening", "night", "tonight"):
        hour = 0 if hour == 12 else hour + 12 if hour >= 6 else hour
    elif part is None and 1 <= hour <= 7:
        hour += 12  # "a las 3": a task at 3 is in the afternoon
    return time(hour % 24, minute)


def _resolve(chain: list[_Cand], now: datetime) -> tuple[date, time | None, Recurrence | None] | None:
    if all(c.day is None and c.recurrence is None for c in chain):
        chain = [c for c in chain if not c.weak]
    clocks = [c for c in chain if c.clock]
    part = next((c.part for c in chain if c.part), None)
    dates = [c for c in chain if c.day is not None]
    repeat = next((c.recurrence for c in chain if c.recurrence), None)
    at: time | None = None
    if clocks:
        clock = clocks[0]
        at = _hour(clock.clock, clock.part or part) if clock.clock else None
    elif part:
        at = time(DAYPART_HOURS[part])
    if repeat is not None:
        return now.date(), at or repeat.at, repeat
    if dates:
        best = max(dates, key=lambda c: c.rank)  # max keeps the first of equals
        day = best.day or now.date()
        if at is not None and part in ("evening", "night") and at.hour < 6:
            day += timedelta(days=1)  # "esta noche a las 12" is midnight at the end of today
        if part and not clocks and day == now.date():
            at = part_of_today(now, part)  # "esta noche" said at 21:30: today, date only
        return day, at or best.at, None
    if at is None:
        return None
    return time_only(now, at), at, None


def find(text: str, now: datetime, grammar: Grammar) -> Hit | None:
    """The first Spanish/Portuguese date phrase of ``text``, its span widened over filler."""
    folded = Folded.of(text)
    f = folded.text
    cands = _dates(grammar, f, text, folded, now) + _times(grammar, f)
    cands += [
        _Cand(r.start, r.end, part=r.part, recurrence=r.recurrence) for r in find_repeats(f, grammar.lang)
    ]
    kept: list[_Cand] = []
    for cand in sorted(cands, key=lambda c: (c.start - c.end, c.start)):
        if all(cand.end <= k.start or cand.start >= k.end for k in kept):
            kept.append(cand)
    kept.sort(key=lambda c: c.start)
    index = 0
    while index < len(kept):
        chain = [kept[index]]
        index += 1
        while index < len(kept) and _GAP.fullmatch(f, chain[-1].end, kept[index].start):
            chain.append(kept[index])
            index += 1
        resolved = _resolve(chain, now)
        if resolved is None:
            continue
        day, at, repeat = resolved
        start, end = chain[0].start, chain[-1].end
        filler = grammar.compiled["filler"].search(f, 0, start)
        if filler:
            start = filler.start()
        start, end = folded.span(start, end, text)
        return Hit(start, end, day, at, repeat)
    return None
