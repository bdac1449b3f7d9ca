"""Repeating due dates ("every Monday at 9am", "todos los días", "todo dia 1").

A ``Recurrence`` is the rule behind a repeating task. It is stored as text in ``tasks.recurrence``
(``to_rule``/``from_rule``, an RRULE-like string that stays stable across releases) and, when a
recurring task is completed, ``next_after`` gives the due date of the next copy.

Choices (documented because users see them):
- Occurrences keep their *wall-clock* time in the user's timezone: "every day at 9am" stays at
  09:00 across a DST change (so the UTC instant moves by an hour). A wall time that does not exist
  on a spring-forward day is moved forward by the gap (02:30 -> 03:30).
- A day of the month that a month does not have is clamped to its last day: the 31st is 30 Nov,
  then 31 Dec; 29 Feb is 28 Feb in common years. The rule keeps 31, so the series never drifts.
- At most one occurrence per day: ``next_after`` looks at the days after ``previous``'s date.
- A rule without a time stands for whole days: its occurrences are at 00:00, and
  ``first_on_or_after`` accepts today even though 00:00 has passed.
- ``interval`` counts in the rule's unit from ``previous``: weekly rules count whole weeks
  (Monday to Sunday), so "every other week on Mon and Thu" gives Mon, Thu, then Mon two weeks on.
"""

from __future__ import annotations

import re
from calendar import monthrange
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal

from tasklane_agent.domain.language import Lang

Freq = Literal["daily", "weekly", "monthly", "yearly"]
FREQS: tuple[Freq, ...] = ("daily", "weekly", "monthly", "yearly")
WEEKDAYS_MON_FRI = (0, 1, 2, 3, 4)
_BYDAY = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
_RULE_PART = re.compile(r"^(FREQ|INTERVAL|BYDAY|BYMONTH|BYMONTHDAY|AT)=([A-Z0-9,:]+)$")


def clamp_day(year: int, month: int, day: int) -> date:
    """``day`` of that month, or the month's last day when it is shorter."""
    return date(year, month, min(day, monthrange(year, month)[1]))


def add_months(year: int, month: int, months: int) -> tuple[int, int]:
    index = year * 12 + month - 1 + months
    return index // 12, index % 12 + 1


@dataclass(frozen=True)
class Recurrence:
    """When a task repeats. ``weekdays``: 0=Mon..6=Sun; ``month`` only for yearly rules."""

    freq: Freq
    interval: int = 1
    weekdays: tuple[int, ...] = ()
    monthday: int | None = None
    at: time | None = None
    month: int | None = None

    def __post_init__(self) -> None:
        if self.freq not in FREQS:
            raise ValueError(f"unknown frequency {self.freq!r}")
        if not 1 <= self.interval <= 366:
            raise ValueError("interval must be between 1 and 366")
        if any(not 0 <= d <= 6 for d in self.weekdays) or list(self.weekdays) != sorted(set(self.weekdays)):
            raise ValueError("weekdays must be sorted, distinct and within 0..6")
        if self.monthday is not None and not 1 <= self.monthday <= 31:
            raise ValueError("monthday must be between 1 and 31")
        if self.month is not None and not 1 <= self.month <= 12:
            raise ValueError("month must be between 1 and 12")

    # ------------------------------------------------------------ storage

    def to_rule(self) -> str:
        """Stable text for storage, e.g. ``FREQ=WEEKLY;INTERVAL=1;BYDAY=MO;AT=09:00``."""
        parts = [f"FREQ={self.freq.upper()}", f"INTERVAL={self.interval}"]
        if self.weekdays:
            parts.append("BYDAY=" + ",".join(_BYDAY[d] for d in self.weekdays))
        if self.month is not None:
            parts.append(f"BYMONTH={self.month}")
        if self.monthday is not None:
            parts.append(f"BYMONTHDAY={self.monthday}")
        if self.at is not None:
            parts.append(f"AT={self.at:%H:%M}")
        return ";".join(parts)

    @classmethod
    def from_rule(cls, rule: str) -> Recurrence:
        """The inverse of ``to_rule``; ``ValueError`` on anything else."""
        fields: dict[str, str] = {}
        for part in rule.strip().upper().split(";"):
            m = _RULE_PART.match(part.strip())
            if m is None or m.group(1) in fields:
                raise ValueError(f"bad recurrence rule {rule!r}")
            fields[m.group(1)] = m.group(2)
        freq = next((f for f in FREQS if f == fields.get("FREQ", "").lower()), None)
        if freq is None:
            raise ValueError(f"bad recurrence rule {rule!r}")
        try:
            days = tuple(_BYDAY.index(d) for d in fields["BYDAY"].split(",")) if "BYDAY" in fields else ()
            at = time.fromisoformat(fields["AT"]) if "AT" in fields else None
            return cls(
                freq=freq,
                interval=int(fields.get("INTERVAL", "1")),
                weekdays=tuple(sorted(days)),
                monthday=int(fields["BYMONTHDAY"]) if "BYMONTHDAY" in fields else None,
                at=at,
                month=int(fields["BYMONTH"]) if "BYMONTH" in fields else None,
            )
        except ValueError as exc:
            raise ValueError(f"bad recurrence rule {rule!r}") from exc

    # ------------------------------------------------------------ occurrences

    def anchored(self, first: date) -> Recurrence:
        """This rule with the day it left open taken from its first occurrence.

        "weekly" said on a Wednesday repeats on Wednesdays, "monthly" on the 31st keeps 31 (so
        February's clamped 28th does not turn it into the 28th), "yearly" keeps month and day.
        """
        if self.freq == "weekly" and not self.weekdays:
            return replace(self, weekdays=(first.weekday(),))
        if self.freq == "monthly" and self.monthday is None:
            return replace(self, monthday=first.day)
        if self.freq == "yearly" and (self.month is None or self.monthday is None):
            return replace(self, month=self.month or first.month, monthday=self.monthday or first.day)
        return self

    def matches(self, day: date) -> bool:
        """Whether ``day`` fits the rule's pattern, ignoring ``interval``."""
        if self.freq == "weekly":
            return not self.weekdays or day.weekday() in self.weekdays
        if self.freq == "monthly":
            return self.monthday is None or day == clamp_day(day.year, day.month, self.monthday)
        if self.freq == "yearly":
            if self.month is not None and day.month != self.month:
                return False
            return self.monthday is None or day == clamp_day(day.year, day.month, self.monthday)
        return True

    def first_on_or_after(self, now: datetime) -> datetime:
        """The first occurrence at or after ``now`` (aware, user's timezone), in ``now``'s timezone."""
        today = now.date()
        for offset in range(400):  # a yearly rule always fits within 366 days
            day = today + timedelta(days=offset)
            if not self.matches(day):
                continue
            when = self._on(day, time(0), now)
            if self.at is None or when >= now:
                return when
        raise AssertionError("unreachable: every rule has an occurrence within a year")

    def next_after(self, previous: datetime) -> datetime:
        """The next occurrence strictly after ``previous`` (an aware local due), same timezone."""
        if previous.tzinfo is None:
            raise ValueError("previous must be timezone-aware")
        last = previous.date()
        day: date
        if self.freq == "daily":
            day = last + timedelta(days=self.interval)
        elif self.freq == "weekly":
            days = self.weekdays or (last.weekday(),)
            later = [d for d in days if d > last.weekday()]
            monday = last - timedelta(days=last.weekday())
            if later:
                day = monday + timedelta(days=later[0])
            else:
                day = monday + timedelta(weeks=self.interval, days=days[0])
        elif self.freq == "monthly":
            monthday = self.monthday or last.day
            day = clamp_day(last.year, last.month, monthday)
            step = self.interval
            while day <= last:
                day = clamp_day(*add_months(last.year, last.month, step), monthday)
                step += self.interval
        else:
            month, monthday = self.month or last.month, self.monthday or last.day
            day = clamp_day(last.year, month, monthday)
            if day <= last:
                day = clamp_day(last.year + self.interval, month, monthday)
        return self._on(day, previous.time(), previous)

    def _on(self, day: date, default: time, like: datetime) -> datetime:
        naive = datetime.combine(day, self.at or default)
        # Round-trip through UTC so a wall time inside a spring-forward gap becomes a real one.
        return naive.replace(tzinfo=like.tzinfo).astimezone(UTC).astimezone(like.tzinfo)

    # ------------------------------------------------------------ wording

    def describe(self, lang: Lang = "en") -> str:
        """A short phrase for confirmations: "every Monday at 09:00", "toda segunda às 09:00"."""
        words = _WORDS[lang]
        n = self.interval
        if self.freq == "daily":
            text = words["day1"] if n == 1 else words["dayn"].format(n=n)
        elif self.freq == "weekly" and self.weekdays == WEEKDAYS_MON_FRI and n == 1:
            text = words["workdays"]
        elif self.freq == "weekly" and self.weekdays:
            names = _join([_DAY_NAMES[lang][d] for d in self.weekdays], words["and"])
            if n == 1:
                text = _every_weekday(lang, self.weekdays, names)
            else:
                text = words["weekn_on"].format(n=n, days=names)
        elif self.freq == "weekly":
            text = words["week1"] if n == 1 else words["weekn"].format(n=n)
        elif self.freq == "monthly":
            text = words["month1"] if n == 1 else words["monthn"].format(n=n)
            if self.monthday is not None:
                text += words["on_monthday"].format(d=self.monthday, th=_ordinal_suffix(self.monthday))
        else:
            text = words["year1"] if n == 1 else words["yearn"].format(n=n)
            if self.month is not None and self.monthday is not None:
                month = _MONTH_NAMES[lang][self.month - 1]
                text += words["on_date"].format(d=self.monthday, month=month)
        if self.at is not None:
            article = words["at_one"] if self.at.hour == 1 else words["at"]
            text += f" {article} {self.at:%H:%M}"
        return text


def _join(items: list[str], conjunction: str) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + f" {conjunction} {items[-1]}"


def _ordinal_suffix(day: int) -> str:
    if day in (11, 12, 13):
        return "th"
    return {1: "st", 2: "nd", 3: "rd"}.get(day % 10, "th")


def _every_weekday(lang: Lang, days: tuple[int, ...], names: str) -> str:
    if lang == "en":
        return f"every {names}"
    if lang == "es":
        # "todos los lunes y jueves"; Saturday and Sunday take a plural -s.
        plural = _join([_DAY_NAMES["es"][d] + ("s" if d >= 5 else "") for d in days], "y")
        return f"todos los {plural}"
    # Portuguese: "toda segunda", "todo sábado"; the first day's gender leads the list.
    return ("todo " if days[0] >= 5 else "toda ") + names


_DAY_NAMES: dict[Lang, tuple[str, ...]] = {
    "en": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
    "es": ("lunes", "martes", "miércoles", "jueves", "viernes", "sábado", "domingo"),
    "pt": ("segunda", "terça", "quarta", "quinta", "sexta", "sábado", "domingo"),
}
_MONTH_NAMES: dict[Lang, tuple[str, ...]] = {
    "en": ("January", "February", "March", "April", "May", "June", "July", "August", "September",
           "October", "November", "December"),
    "es": ("enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto", "septiembre",
           "octubre", "noviembre", "diciembre"),
    "pt": ("janeiro", "fevereiro", "março", "abril", "maio", "junho", "julho", "agosto", "setembro",
           "outubro", "novembro", "dezembro"),
}  # fmt: skip
_WORDS: dict[Lang, dict[str, str]] = {
    "en": {
        "day1": "every day", "dayn": "every {n} days", "workdays": "every weekday",
        "week1": "every week", "weekn": "every {n} weeks", "weekn_on": "every {n} weeks on {days}",
        "month1": "every month", "monthn": "every {n} months", "on_monthday": " on the {d}{th}",
        "year1": "every year", "yearn": "every {n} years", "on_date": " on {month} {d}",
        "and": "and", "at": "at", "at_one": "at",
    },
    "es": {
        "day1": "todos los días", "dayn": "cada {n} días", "workdays": "de lunes a viernes",
        "week1": "todas las semanas", "weekn": "cada {n} semanas", "weekn_on": "cada {n} semanas: {days}",
        "month1": "todos los meses", "monthn": "cada {n} meses", "on_monthday": " el día {d}",
        "year1": "todos los años", "yearn": "cada {n} años", "on_date": " el {d} de {month}",
        "and": "y", "at": "a las", "at_one": "a la",
    },
    "pt": {
        "day1": "todos os dias", "dayn": "a cada {n} dias", "workdays": "de segunda a sexta",
        "week1": "toda semana", "weekn": "a cada {n} semanas", "weekn_on": "a cada {n} semanas: {days}",
        "month1": "todo mês", "monthn": "a cada {n} meses", "on_monthday": " no dia {d}",
        "year1": "todo ano", "yearn": "a cada {n} anos", "on_date": " em {d} de {month}",
        "and": "e", "at": "às", "at_one": "à",
    },
}  # fmt: skip
