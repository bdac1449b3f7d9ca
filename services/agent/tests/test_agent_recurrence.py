"""Recurrence: the stored rule, the next occurrence after a completed one, and its wording."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from tasklane_agent.domain.language import Lang
from tasklane_agent.domain.recurrence import WEEKDAYS_MON_FRI, Recurrence

MADRID, NEW_YORK = ZoneInfo("Europe/Madrid"), ZoneInfo("America/New_York")
NOW = datetime(2026, 11, 25, 9, 0, tzinfo=MADRID)  # a Wednesday

RULES: list[tuple[Recurrence, str]] = [
    (Recurrence("daily"), "FREQ=DAILY;INTERVAL=1"),
    (Recurrence("daily", interval=2, at=time(20)), "FREQ=DAILY;INTERVAL=2;AT=20:00"),
    (Recurrence("weekly", weekdays=(0,), at=time(9)), "FREQ=WEEKLY;INTERVAL=1;BYDAY=MO;AT=09:00"),
    (
        Recurrence("weekly", weekdays=WEEKDAYS_MON_FRI, at=time(9, 30)),
        "FREQ=WEEKLY;INTERVAL=1;BYDAY=MO,TU,WE,TH,FR;AT=09:30",
    ),
    (Recurrence("weekly", interval=2, weekdays=(4,)), "FREQ=WEEKLY;INTERVAL=2;BYDAY=FR"),
    (Recurrence("monthly", monthday=31), "FREQ=MONTHLY;INTERVAL=1;BYMONTHDAY=31"),
    (
        Recurrence("monthly", interval=3, monthday=1, at=time(8, 5)),
        "FREQ=MONTHLY;INTERVAL=3;BYMONTHDAY=1;AT=08:05",
    ),
    (Recurrence("yearly", month=3, monthday=3), "FREQ=YEARLY;INTERVAL=1;BYMONTH=3;BYMONTHDAY=3"),
]


@pytest.mark.parametrize(("recurrence", "rule"), RULES, ids=[r for _, r in RULES])
def test_the_rule_is_stable_text_and_round_trips(recurrence: Recurrence, rule: str) -> None:
    assert recurrence.to_rule() == rule
    assert Recurrence.from_rule(rule) == recurrence
    assert Recurrence.from_rule(rule.lower().replace(";", " ; ")) == recurrence


@pytest.mark.parametrize(
    "rule",
    [
        "",
        "FREQ=HOURLY",
        "INTERVAL=2",
        "FREQ=DAILY;INTERVAL=0",
        "FREQ=DAILY;FREQ=WEEKLY",
        "FREQ=WEEKLY;BYDAY=XX",
        "FREQ=WEEKLY;BYDAY=MO,MO",
        "FREQ=MONTHLY;BYMONTHDAY=32",
        "FREQ=YEARLY;BYMONTH=13",
        "FREQ=DAILY;AT=25:00",
        "FREQ=DAILY;COUNT=3",
    ],
)
def test_a_bad_rule_is_refused(rule: str) -> None:
    with pytest.raises(ValueError, match="bad recurrence rule"):
        Recurrence.from_rule(rule)


def _local(text: str, zone: ZoneInfo = MADRID) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=zone)


# (rule, previous local due, next local due)
NEXT: list[tuple[str, str, str]] = [
    ("FREQ=DAILY;INTERVAL=1", "2026-11-25 00:00", "2026-11-26 00:00"),
    ("FREQ=DAILY;INTERVAL=2;AT=20:00", "2026-11-25 20:00", "2026-11-27 20:00"),
    ("FREQ=DAILY;INTERVAL=1;AT=20:00", "2026-12-31 20:00", "2027-01-01 20:00"),
    ("FREQ=WEEKLY;INTERVAL=1;BYDAY=MO;AT=09:00", "2026-11-30 09:00", "2026-12-07 09:00"),
    ("FREQ=WEEKLY;INTERVAL=1;BYDAY=MO,TH", "2026-11-30 00:00", "2026-12-03 00:00"),
    ("FREQ=WEEKLY;INTERVAL=1;BYDAY=MO,TH", "2026-12-03 00:00", "2026-12-07 00:00"),
    ("FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,TH", "2026-12-03 00:00", "2026-12-14 00:00"),
    ("FREQ=WEEKLY;INTERVAL=1;BYDAY=MO,TU,WE,TH,FR;AT=09:30", "2026-11-27 09:30", "2026-11-30 09:30"),
    # Moved off its pattern (a Monday task done on Tuesday): back on the pattern.
    ("FREQ=WEEKLY;INTERVAL=1;BYDAY=MO", "2026-12-01 00:00", "2026-12-07 00:00"),
    ("FREQ=MONTHLY;INTERVAL=1;BYMONTHDAY=15", "2026-11-15 00:00", "2026-12-15 00:00"),
    ("FREQ=MONTHLY;INTERVAL=2;BYMONTHDAY=15", "2026-11-15 00:00", "2027-01-15 00:00"),
    # The 31st is clamped to short months and comes back in long ones.
    ("FREQ=MONTHLY;INTERVAL=1;BYMONTHDAY=31", "2026-10-31 00:00", "2026-11-30 00:00"),
    ("FREQ=MONTHLY;INTERVAL=1;BYMONTHDAY=31", "2026-11-30 00:00", "2026-12-31 00:00"),
    ("FREQ=MONTHLY;INTERVAL=1;BYMONTHDAY=31", "2027-01-31 00:00", "2027-02-28 00:00"),
    ("FREQ=MONTHLY;INTERVAL=1;BYMONTHDAY=30", "2028-01-30 00:00", "2028-02-29 00:00"),
    ("FREQ=MONTHLY;INTERVAL=1;BYMONTHDAY=31;AT=18:00", "2026-12-31 18:00", "2027-01-31 18:00"),
    ("FREQ=YEARLY;INTERVAL=1;BYMONTH=3;BYMONTHDAY=3", "2027-03-03 00:00", "2028-03-03 00:00"),
    ("FREQ=YEARLY;INTERVAL=1;BYMONTH=2;BYMONTHDAY=29", "2028-02-29 00:00", "2029-02-28 00:00"),
    ("FREQ=YEARLY;INTERVAL=1;BYMONTH=2;BYMONTHDAY=29", "2031-02-28 00:00", "2032-02-29 00:00"),
]


@pytest.mark.parametrize(("rule", "previous", "expected"), NEXT, ids=[f"{r} after {p}" for r, p, _ in NEXT])
def test_next_after_is_the_following_occurrence(rule: str, previous: str, expected: str) -> None:
    nxt = Recurrence.from_rule(rule).next_after(_local(previous))
    assert nxt == _local(expected)
    assert nxt.tzinfo is MADRID


@pytest.mark.parametrize(
    ("zone", "previous", "expected", "hours_between"),
    [
        # Madrid leaves summer time on Sun 25 Oct 2026: 09:00 stays 09:00, 25 hours later.
        (MADRID, "2026-10-24 09:00", "2026-10-25 09:00", 25),
        (MADRID, "2027-03-27 09:00", "2027-03-28 09:00", 23),
        (NEW_YORK, "2026-10-31 09:00", "2026-11-01 09:00", 25),
    ],
    ids=["Madrid-autumn", "Madrid-spring", "New_York-autumn"],
)
def test_the_wall_clock_time_survives_a_dst_change(
    zone: ZoneInfo, previous: str, expected: str, hours_between: int
) -> None:
    daily = Recurrence("daily", at=time(9))
    before = _local(previous, zone)
    after = daily.next_after(before)
    assert after == _local(expected, zone)
    assert after.astimezone(UTC) - before.astimezone(UTC) == timedelta(hours=hours_between)


def test_a_time_inside_the_spring_gap_moves_forward_by_the_gap() -> None:
    # New York skips 02:00-03:00 on Sun 14 Mar 2027.
    nxt = Recurrence("daily", at=time(2, 30)).next_after(_local("2027-03-13 02:30", NEW_YORK))
    assert (nxt.date().isoformat(), nxt.time()) == ("2027-03-14", time(3, 30))
    assert nxt.utcoffset() == timedelta(hours=-4)


def test_next_after_needs_an_aware_datetime() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        Recurrence("daily").next_after(datetime(2026, 11, 25))


@pytest.mark.parametrize(
    ("recurrence", "now", "expected"),
    [
        (Recurrence("weekly", weekdays=(2,), at=time(9)), "2026-11-25 09:00", "2026-11-25 09:00"),
        (Recurrence("weekly", weekdays=(2,), at=time(8)), "2026-11-25 09:00", "2026-12-02 08:00"),
        (Recurrence("weekly", weekdays=(2,)), "2026-11-25 23:00", "2026-11-25 00:00"),
        (Recurrence("daily", at=time(8)), "2026-11-25 09:00", "2026-11-26 08:00"),
        (Recurrence("monthly", monthday=31), "2026-11-25 09:00", "2026-11-30 00:00"),
        (Recurrence("monthly", monthday=20), "2026-11-25 09:00", "2026-12-20 00:00"),
        (Recurrence("yearly", month=3, monthday=3), "2026-11-25 09:00", "2027-03-03 00:00"),
        (Recurrence("yearly", month=2, monthday=29), "2026-11-25 09:00", "2027-02-28 00:00"),
    ],
    ids=[
        "same-day-on-time",
        "same-day-passed",
        "date-only-today",
        "daily-passed",
        "31st-in-november",
        "20th-passed",
        "yearly",
        "29-feb-in-common-year",
    ],
)
def test_first_on_or_after(recurrence: Recurrence, now: str, expected: str) -> None:
    assert recurrence.first_on_or_after(_local(now)) == _local(expected)


def test_anchored_fills_the_day_a_rule_left_open() -> None:
    wednesday = NOW.date()
    assert Recurrence("weekly").anchored(wednesday).weekdays == (2,)
    assert Recurrence("monthly").anchored(wednesday).monthday == 25
    yearly = Recurrence("yearly").anchored(wednesday)
    assert (yearly.month, yearly.monthday) == (11, 25)
    assert Recurrence("weekly", weekdays=(0,)).anchored(wednesday).weekdays == (0,)


@pytest.mark.parametrize(
    ("recurrence", "lang", "text"),
    [
        (Recurrence("weekly", weekdays=(0,), at=time(9)), "en", "every Monday at 09:00"),
        (Recurrence("weekly", weekdays=(0,), at=time(9)), "es", "todos los lunes a las 09:00"),
        (Recurrence("weekly", weekdays=(0,), at=time(9)), "pt", "toda segunda às 09:00"),
        (Recurrence("daily"), "en", "every day"),
        (Recurrence("daily", interval=2), "es", "cada 2 días"),
        (Recurrence("daily", at=time(13, 30)), "pt", "todos os dias às 13:30"),
        (Recurrence("daily", at=time(1)), "es", "todos los días a la 01:00"),
        (Recurrence("weekly", weekdays=WEEKDAYS_MON_FRI), "en", "every weekday"),
        (Recurrence("weekly", weekdays=WEEKDAYS_MON_FRI), "pt", "de segunda a sexta"),
        (Recurrence("weekly", weekdays=(1, 3)), "en", "every Tuesday and Thursday"),
        (Recurrence("weekly", weekdays=(0, 2, 4)), "es", "todos los lunes, miércoles y viernes"),
        (Recurrence("weekly", weekdays=(5, 6)), "es", "todos los sábados y domingos"),
        (Recurrence("weekly", weekdays=(5,)), "pt", "todo sábado"),
        (Recurrence("weekly", interval=2, weekdays=(4,)), "en", "every 2 weeks on Friday"),
        (Recurrence("monthly", monthday=1), "en", "every month on the 1st"),
        (Recurrence("monthly", monthday=22), "en", "every month on the 22nd"),
        (Recurrence("monthly", monthday=11), "en", "every month on the 11th"),
        (Recurrence("monthly", monthday=15), "es", "todos los meses el día 15"),
        (Recurrence("monthly", monthday=1), "pt", "todo mês no dia 1"),
        (Recurrence("yearly", month=3, monthday=3), "en", "every year on March 3"),
        (Recurrence("yearly", month=3, monthday=3), "es", "todos los años el 3 de marzo"),
        (Recurrence("yearly", month=3, monthday=3), "pt", "todo ano em 3 de março"),
    ],
    ids=lambda v: v if isinstance(v, str) else None,
)
def test_describe_in_each_language(recurrence: Recurrence, lang: Lang, text: str) -> None:
    assert recurrence.describe(lang) == text


def test_an_impossible_recurrence_cannot_be_built() -> None:
    with pytest.raises(ValueError, match="weekdays"):
        Recurrence("weekly", weekdays=(3, 1))
    with pytest.raises(ValueError, match="monthday"):
        Recurrence("monthly", monthday=0)
