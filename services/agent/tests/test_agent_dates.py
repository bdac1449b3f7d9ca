"""Due dates found inside sentences, against a pinned "now" (Wed 25 Nov 2026, 09:00)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from tasklane_agent.nlu import Intent, find_due, understand

NOW_UTC = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
SAO_PAULO = ZoneInfo("America/Sao_Paulo")
NOW_SAO_PAULO = datetime(2026, 11, 25, 9, 0, tzinfo=SAO_PAULO)

# (phrase as said after a task, expected local date, expected local time or None for date-only)
CASES: list[tuple[str, str, str | None]] = [
    ("by Friday", "2026-11-27", None),
    ("Friday", "2026-11-27", None),
    ("by Fri", "2026-11-27", None),
    ("next Friday", "2026-12-04", None),
    ("today", "2026-11-25", None),
    ("tomorrow", "2026-11-26", None),
    ("due tomorrow", "2026-11-26", None),
    ("tomorrow at 3pm", "2026-11-26", "15:00"),
    ("the day after tomorrow", "2026-11-27", None),
    ("day after tomorrow at 10am", "2026-11-27", "10:00"),
    ("in 3 days", "2026-11-28", None),
    ("in 2 weeks", "2026-12-09", None),
    ("next week", "2026-12-02", None),
    ("in an hour", "2026-11-25", "10:00"),
    ("in 30 minutes", "2026-11-25", "09:30"),
    ("end of month", "2026-11-30", None),
    ("by the end of the week", "2026-11-27", None),
    ("end of next week", "2026-12-04", None),
    ("by the end of the year", "2026-12-31", None),
    ("on the 5th", "2026-12-05", None),
    ("on the 28th", "2026-11-28", None),
    ("on the 1st of December", "2026-12-01", None),
    ("on the 21st at 10am", "2026-12-21", "10:00"),
    ("at 3pm on the 5th", "2026-12-05", "15:00"),
    ("on 12/15", "2026-12-15", None),
    ("on 15/12", "2026-12-15", None),
    ("by 2026-12-15", "2026-12-15", None),
    ("on Dec 3", "2026-12-03", None),
    ("on 3rd March at 9:30", "2027-03-03", "09:30"),
    ("tonight at 8", "2026-11-25", "20:00"),
    ("tonight", "2026-11-25", "20:00"),
    ("this evening", "2026-11-25", "19:00"),
    ("tomorrow morning", "2026-11-26", "09:00"),
    ("Thursday noon", "2026-11-26", "12:00"),
    ("monday at 10:30", "2026-11-30", "10:30"),
    ("at 5pm", "2026-11-25", "17:00"),
    # A time that has passed today means tomorrow.
    ("at 8am", "2026-11-26", "08:00"),
    ("eod", "2026-11-25", None),
]


def _expect(local: datetime, day: str, at: str | None) -> None:
    assert local.date() == date.fromisoformat(day)
    assert local.time() == (time.fromisoformat(at) if at else time(0))


@pytest.mark.parametrize(("phrase", "day", "at"), CASES, ids=[c[0] for c in CASES])
@pytest.mark.parametrize("now", [NOW_UTC, NOW_SAO_PAULO], ids=["UTC", "Sao_Paulo"])
def test_date_phrases_resolve_in_the_users_timezone_and_leave_a_clean_title(
    now: datetime, phrase: str, day: str, at: str | None
) -> None:
    understood = understand(f"add task call the bank {phrase}", now)
    assert understood.intent is Intent.CREATE_TASK
    assert understood.task is not None
    assert understood.task.title == "call the bank"
    due = understood.task.due
    assert due is not None
    assert due.at.tzinfo == now.tzinfo
    assert due.has_time is (at is not None)
    _expect(due.at, day, at)


@pytest.mark.parametrize(
    "text",
    [
        "Ask May about the budget numbers",
        "Order 5 chairs for the office",
        "Show me all overdue items",
        "Mark the presentation task as complete",
        "Add the logo task to Website relaunch",
        "How is the Website relaunch project going?",
        "buy sun cream",
        "fix the march plan",
        "print 300 flyers",
        "take a week off",
        "read the 5th chapter",
        "wed invitation cards",
    ],
)
def test_sentences_without_a_date_get_none(text: str) -> None:
    assert find_due(text, NOW_UTC) is None


def test_a_name_that_is_a_month_does_not_hide_the_real_date() -> None:
    due = find_due("Meeting with Jan on Thursday", NOW_UTC)
    assert due is not None
    assert due.at.date() == date(2026, 11, 26)
    assert due.phrase == "on Thursday"


def test_a_weekday_means_the_next_one_strictly_after_today() -> None:
    friday = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
    by_friday = find_due("by Friday", friday)
    this_friday = find_due("this Friday", friday)
    today = find_due("today", friday)
    assert by_friday is not None
    assert by_friday.at.date() == date(2026, 12, 4)
    assert this_friday is not None
    assert this_friday.at.date() == date(2026, 11, 27)
    assert today is not None
    assert today.at.date() == date(2026, 11, 27)


def test_end_of_the_week_on_a_weekend_is_sunday() -> None:
    saturday = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)
    due = find_due("end of the week", saturday)
    assert due is not None
    assert due.at.date() == date(2026, 11, 29)


def test_the_31st_skips_months_without_one() -> None:
    due = find_due("pay on the 31st", NOW_UTC)
    assert due is not None
    assert due.at.date() == date(2026, 12, 31)


def test_tomorrow_is_the_users_tomorrow_not_utcs() -> None:
    # 01:00 UTC on Thursday is still Wednesday 22:00 in Sao Paulo.
    late_evening = datetime(2026, 11, 26, 1, 0, tzinfo=UTC).astimezone(SAO_PAULO)
    due = find_due("call mom tomorrow at 3pm", late_evening)
    assert due is not None
    assert due.at == datetime(2026, 11, 26, 15, 0, tzinfo=SAO_PAULO)
    assert due.at.astimezone(UTC) == datetime(2026, 11, 26, 18, 0, tzinfo=UTC)
    assert find_due("call mom tomorrow", NOW_UTC.replace(day=26, hour=1)) is not None


def test_recurring_phrases_resolve_their_first_occurrence_and_say_so() -> None:
    due = find_due("water the plants every Monday at 9am", NOW_UTC)
    assert due is not None
    assert due.recurring
    assert due.phrase == "every Monday at 9am"
    _expect(due.at, "2026-11-30", "09:00")


def test_span_covers_the_phrase_and_its_filler_words() -> None:
    text = "review the quarterly reports by Friday please"
    due = find_due(text, NOW_UTC)
    assert due is not None
    assert text[due.start : due.end] == "by Friday" == due.phrase


def test_now_must_be_timezone_aware() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        find_due("tomorrow", datetime(2026, 11, 25, 9, 0))
