"""English due dates found inside sentences, against a pinned "now" (Wed 25 Nov 2026, 09:00).

Every case runs in three timezones: the result must be the user's local date and time, in the
timezone of "now", and cutting the span out must leave a clean task title.
"""

from __future__ import annotations

from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

import pytest
from date_checks import expect, title_without

from tasklane_agent.nlu.dates import find_due

ZONES = [ZoneInfo("Europe/Madrid"), ZoneInfo("America/New_York"), ZoneInfo("America/Sao_Paulo")]
NOWS = [datetime(2026, 11, 25, 9, 0, tzinfo=zone) for zone in ZONES]
NOW = NOWS[0]
ZONE_IDS = ["Madrid", "New_York", "Sao_Paulo"]


# (what follows "call the bank", expected local due)
CASES: list[tuple[str, str]] = [
    ("by Friday", "2026-11-27"),
    ("Friday", "2026-11-27"),
    ("by Fri", "2026-11-27"),
    ("next Friday", "2026-12-04"),
    ("today", "2026-11-25"),
    ("tomorrow", "2026-11-26"),
    ("due tomorrow", "2026-11-26"),
    ("tomorrow at 3pm", "2026-11-26 15:00"),
    ("the day after tomorrow", "2026-11-27"),
    ("day after tomorrow at 10am", "2026-11-27 10:00"),
    ("in 3 days", "2026-11-28"),
    ("in 2 weeks", "2026-12-09"),
    ("next week", "2026-12-02"),
    ("next month", "2026-12-01"),
    ("in an hour", "2026-11-25 10:00"),
    ("in 30 minutes", "2026-11-25 09:30"),
    ("end of month", "2026-11-30"),
    ("by the end of the week", "2026-11-27"),
    ("end of next week", "2026-12-04"),
    ("by the end of the year", "2026-12-31"),
    ("this weekend", "2026-11-28"),
    ("next weekend", "2026-12-05"),
    ("eod", "2026-11-25"),
    ("by end of day", "2026-11-25"),
    ("on the 5th", "2026-12-05"),
    ("on the 28th", "2026-11-28"),
    ("before the 20th", "2026-12-20"),
    ("on the 1st of December", "2026-12-01"),
    ("3rd of December", "2026-12-03"),
    ("on the 5th of next month", "2026-12-05"),
    ("on the 21st at 10am", "2026-12-21 10:00"),
    ("at 3pm on the 5th", "2026-12-05 15:00"),
    ("on 12/15", "2026-12-15"),
    ("on 15/12", "2026-12-15"),
    ("by 2026-12-15", "2026-12-15"),
    ("on Dec 3", "2026-12-03"),
    ("Dec 3rd", "2026-12-03"),
    ("on 3rd March at 9:30", "2027-03-03 09:30"),
    ("tonight at 8", "2026-11-25 20:00"),
    ("tonight", "2026-11-25 20:00"),
    # a time range: due at its start, on the day said with it; the whole range leaves the title
    ("10am-11am tomorrow", "2026-11-26 10:00"),
    ("10-11am tomorrow", "2026-11-26 10:00"),
    ("from 10 to 11 tomorrow", "2026-11-26 10:00"),
    ("tomorrow from 2 to 3", "2026-11-26 14:00"),
    ("tomorrow at 10-11am", "2026-11-26 10:00"),
    ("on Friday 10:00-11:30", "2026-11-27 10:00"),
    ("11-1pm on Friday", "2026-11-27 11:00"),
    ("between 2 and 3pm on Friday", "2026-11-27 14:00"),
    ("10am to 11am on Friday", "2026-11-27 10:00"),
    ("3-4pm", "2026-11-25 15:00"),
    ("12-1pm tomorrow", "2026-11-26 12:00"),
    ("from 8pm to midnight tomorrow", "2026-11-26 20:00"),
    ("10-noon on Friday", "2026-11-27 10:00"),
    ("this evening", "2026-11-25 19:00"),
    ("tomorrow morning", "2026-11-26 09:00"),
    ("in the morning", "2026-11-25 09:00"),
    ("Thursday noon", "2026-11-26 12:00"),
    ("monday at 10:30", "2026-11-30 10:30"),
    ("at 5pm", "2026-11-25 17:00"),
    ("at noon", "2026-11-25 12:00"),
    ("at 3", "2026-11-25 15:00"),
    ("at 9 tomorrow", "2026-11-26 09:00"),
    # A time that has passed today means tomorrow.
    ("at 8am", "2026-11-26 08:00"),
]


@pytest.mark.parametrize(("phrase", "when"), CASES, ids=[c[0] for c in CASES])
@pytest.mark.parametrize("now", NOWS, ids=ZONE_IDS)
def test_date_phrases_resolve_in_the_users_timezone_and_leave_a_clean_title(
    now: datetime, phrase: str, when: str
) -> None:
    text = f"call the bank {phrase}"
    due = expect(find_due(text, now), now, when)
    assert due.recurrence is None
    assert due.phrase == phrase
    assert title_without(text, due) == "call the bank"


MONTHLY_1ST = "FREQ=MONTHLY;INTERVAL=1;BYMONTHDAY=1"
MONTHLY_LAST = "FREQ=MONTHLY;INTERVAL=1;BYMONTHDAY=31"  # clamped: the last day of each month
# (sentence, first occurrence, stored rule, title left)
REPEATING: list[tuple[str, str, str, str]] = [
    (
        "water the plants every Monday at 9am",
        "2026-11-30 09:00",
        "FREQ=WEEKLY;INTERVAL=1;BYDAY=MO;AT=09:00",
        "water the plants",
    ),
    ("water the plants every other day", "2026-11-25", "FREQ=DAILY;INTERVAL=2", "water the plants"),
    ("pay rent on the 1st of every month", "2026-12-01", MONTHLY_1ST, "pay rent"),
    (
        "stand-up every weekday at 9:30",
        "2026-11-25 09:30",
        "FREQ=WEEKLY;INTERVAL=1;BYDAY=MO,TU,WE,TH,FR;AT=09:30",
        "stand-up",
    ),
    ("take pills every day at 8pm", "2026-11-25 20:00", "FREQ=DAILY;INTERVAL=1;AT=20:00", "take pills"),
    ("water the plants daily", "2026-11-25", "FREQ=DAILY;INTERVAL=1", "water the plants"),
    ("back up the laptop weekly", "2026-11-25", "FREQ=WEEKLY;INTERVAL=1;BYDAY=WE", "back up the laptop"),
    ("review the budget every 2 weeks", "2026-11-25", "FREQ=WEEKLY;INTERVAL=2;BYDAY=WE", "review the budget"),
    ("pay rent every month on the 15th", "2026-12-15", "FREQ=MONTHLY;INTERVAL=1;BYMONTHDAY=15", "pay rent"),
    (
        "renew the domain every year on March 3",
        "2027-03-03",
        "FREQ=YEARLY;INTERVAL=1;BYMONTH=3;BYMONTHDAY=3",
        "renew the domain",
    ),
    (
        "gym every Mon, Wed and Fri at 7am",
        "2026-11-27 07:00",
        "FREQ=WEEKLY;INTERVAL=1;BYDAY=MO,WE,FR;AT=07:00",
        "gym",
    ),
    ("team lunch every other Friday", "2026-11-27", "FREQ=WEEKLY;INTERVAL=2;BYDAY=FR", "team lunch"),
    ("yoga on Tuesdays", "2026-12-01", "FREQ=WEEKLY;INTERVAL=1;BYDAY=TU", "yoga"),
    ("check the mail every morning", "2026-11-25 09:00", "FREQ=DAILY;INTERVAL=1;AT=09:00", "check the mail"),
    (
        "send invoices monthly on the 31st",
        "2026-11-30",
        MONTHLY_LAST,
        "send invoices",
    ),
    ("pay rent every month", "2026-11-25", "FREQ=MONTHLY;INTERVAL=1;BYMONTHDAY=25", "pay rent"),
    ("read every night at 10", "2026-11-25 22:00", "FREQ=DAILY;INTERVAL=1;AT=22:00", "read"),
    (
        "at 9am every Monday plan the week",
        "2026-11-30 09:00",
        "FREQ=WEEKLY;INTERVAL=1;BYDAY=MO;AT=09:00",
        "plan the week",
    ),
    (
        "stretch every weekend morning",
        "2026-11-28 09:00",
        "FREQ=WEEKLY;INTERVAL=1;BYDAY=SA,SU;AT=09:00",
        "stretch",
    ),
    # a day of the month said as an ordinal word; the last day is the 31st, clamped to each month
    ("pay rent on the first day of every month", "2026-12-01", MONTHLY_1ST, "pay rent"),
    ("pay rent on the first of every month", "2026-12-01", MONTHLY_1ST, "pay rent"),
    ("pay rent every month on the first", "2026-12-01", MONTHLY_1ST, "pay rent"),
    ("pay rent monthly on the first day", "2026-12-01", MONTHLY_1ST, "pay rent"),
    (
        "pay rent on the twenty-first of every month",
        "2026-12-21",
        "FREQ=MONTHLY;INTERVAL=1;BYMONTHDAY=21",
        "pay rent",
    ),
    ("pay rent on the last day of every month", "2026-11-30", MONTHLY_LAST, "pay rent"),
    ("close the books every last day of the month", "2026-11-30", MONTHLY_LAST, "close the books"),
]


@pytest.mark.parametrize(("text", "first", "rule", "title"), REPEATING, ids=[c[0] for c in REPEATING])
def test_repeating_phrases_give_their_first_occurrence_and_rule(
    text: str, first: str, rule: str, title: str
) -> None:
    due = expect(find_due(text, NOW), NOW, first)
    assert due.recurrence is not None
    assert due.recurring
    assert due.recurrence.to_rule() == rule
    assert title_without(text, due) == title


def test_a_range_repeats_at_its_start() -> None:
    text = "stand-up every Monday 10-10:30am"
    due = expect(find_due(text, NOW), NOW, "2026-11-30 10:00")
    assert due.recurrence is not None
    assert due.recurrence.to_rule() == "FREQ=WEEKLY;INTERVAL=1;BYDAY=MO;AT=10:00"
    assert title_without(text, due) == "stand-up"


@pytest.mark.parametrize(
    ("text", "title"),
    [
        ("invite from 5 to 10 people tomorrow", "invite from 5 to 10 people"),
        ("read chapters 3 to 5 tomorrow", "read chapters 3 to 5"),
        ("book a table for 4 to 6 people tomorrow", "book a table for 4 to 6 people"),
    ],
)
def test_numbers_that_are_no_time_range_stay_in_the_title(text: str, title: str) -> None:
    due = expect(find_due(text, NOW), NOW, "2026-11-26")
    assert title_without(text, due) == title


def test_a_range_does_not_join_the_words_around_it() -> None:
    """parsedatetime reads "lunch tomorrow" as noon: the range between them must keep them apart."""
    text = "team lunch 12:30-1:30pm tomorrow"
    due = expect(find_due(text, NOW), NOW, "2026-11-26 12:30")
    assert title_without(text, due) == "team lunch"


@pytest.mark.parametrize(
    ("text", "said", "when"),
    [
        ("ship the hotfix tonight", "21:30", "2026-11-25"),  # today, date only: not overdue at once
        ("ship the hotfix tonight", "20:00", "2026-11-25"),
        ("ship the hotfix tonight", "19:59", "2026-11-25 20:00"),
        ("ship the hotfix tonight", "09:00", "2026-11-25 20:00"),
        ("ship the hotfix tonight at 11", "21:30", "2026-11-25 23:00"),
        ("send the recap this evening", "19:30", "2026-11-25"),
        ("send the recap this morning", "11:00", "2026-11-25"),
        ("send the recap tomorrow night", "21:30", "2026-11-26 20:00"),
    ],
)
def test_a_part_of_today_said_after_its_hour_is_today_date_only(text: str, said: str, when: str) -> None:
    now = datetime.combine(NOW.date(), time.fromisoformat(said), tzinfo=NOW.tzinfo)
    due = expect(find_due(text, now), now, when)
    assert title_without(text, due) in ("ship the hotfix", "send the recap")


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
        "write the weekly report",
        "prepare the daily standup notes",
        "look at 3 options",
        "good morning team",
    ],
)
def test_sentences_without_a_date_get_none(text: str) -> None:
    assert find_due(text, NOW) is None


def test_a_name_that_is_a_month_does_not_hide_the_real_date() -> None:
    due = expect(find_due("Meeting with Jan on Thursday", NOW), NOW, "2026-11-26")
    assert due.phrase == "on Thursday"


def test_a_weekday_means_the_next_one_strictly_after_today() -> None:
    friday = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
    expect(find_due("by Friday", friday), friday, "2026-12-04")
    expect(find_due("this Friday", friday), friday, "2026-11-27")
    expect(find_due("today", friday), friday, "2026-11-27")


def test_end_of_the_week_and_this_weekend_said_on_a_saturday() -> None:
    saturday = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)
    expect(find_due("end of the week", saturday), saturday, "2026-11-29")
    expect(find_due("this weekend", saturday), saturday, "2026-11-28")


def test_the_31st_skips_months_without_one() -> None:
    expect(find_due("pay on the 31st", NOW), NOW, "2026-12-31")


def test_tomorrow_is_the_users_tomorrow_not_utcs() -> None:
    # 01:00 UTC on Thursday is still Wednesday 22:00 in Sao Paulo.
    sao_paulo = ZoneInfo("America/Sao_Paulo")
    late_evening = datetime(2026, 11, 26, 1, 0, tzinfo=UTC).astimezone(sao_paulo)
    due = find_due("call mom tomorrow at 3pm", late_evening)
    assert due is not None
    assert due.at == datetime(2026, 11, 26, 15, 0, tzinfo=sao_paulo)
    assert due.at.astimezone(UTC) == datetime(2026, 11, 26, 18, 0, tzinfo=UTC)


def test_span_covers_the_phrase_and_its_filler_words() -> None:
    text = "review the quarterly reports by Friday please"
    due = find_due(text, NOW)
    assert due is not None
    assert text[due.start : due.end] == "by Friday" == due.phrase
    assert title_without(text, due) == "review the quarterly reports please"


def test_english_is_the_default_language() -> None:
    assert find_due("call the bank tomorrow", NOW) == find_due("call the bank tomorrow", NOW, "en")


def test_now_must_be_timezone_aware() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        find_due("tomorrow", datetime(2026, 11, 25, 9, 0))


@pytest.mark.parametrize(
    ("text", "day", "at", "phrase"),
    [
        ("buy milk tomorow pls", "2026-11-26", None, "tomorow"),
        ("email john tmrw 9am", "2026-11-26", "09:00", "tmrw 9am"),
        ("call mum 2moro at 5", "2026-11-26", "17:00", "2moro at 5"),
        ("ship the fix tonite", "2026-11-25", "20:00", "tonite"),
        ("pay rent tommorow", "2026-11-26", None, "tommorow"),
    ],
)
def test_misspelt_date_words_are_read_and_cut_from_the_title(
    text: str, day: str, at: str | None, phrase: str
) -> None:
    now = datetime(2026, 11, 25, 9, 0, tzinfo=ZoneInfo("Europe/London"))
    due = find_due(text, now)
    assert due is not None
    assert due.at.date().isoformat() == day
    assert (due.at.strftime("%H:%M") if due.has_time else None) == at
    assert text[due.start : due.end] == phrase


@pytest.mark.parametrize(
    ("text", "day", "phrase"),
    [
        ("collect the parcel thurs", "2026-11-26", "thurs"),
        ("book the plumber on thur", "2026-11-26", "on thur"),
        ("staff rota due weds", "2026-12-02", "due weds"),
        ("swap shifts tues", "2026-12-01", "tues"),
        ("clean the van wensday", "2026-12-02", "wensday"),
        ("ring the school thrusday", "2026-11-26", "thrusday"),
        ("send the quote by firday", "2026-11-27", "by firday"),
        ("car boot sale satruday", "2026-11-28", "satruday"),
        ("tidy the shed tuesdy", "2026-12-01", "tuesdy"),
        ("call the bank mondy", "2026-11-30", "mondy"),
    ],
)
def test_weekday_abbreviations_and_typos_are_weekdays(text: str, day: str, phrase: str) -> None:
    now = datetime(2026, 11, 25, 9, 0, tzinfo=ZoneInfo("Europe/London"))
    due = find_due(text, now)
    assert due is not None
    assert due.at.date().isoformat() == day
    assert text[due.start : due.end] == phrase


@pytest.mark.parametrize(
    "text", ["buy a sundae", "pay the money back", "a sturdy ladder", "mondays are hard"]
)
def test_words_near_a_weekday_stay_words(text: str) -> None:
    assert find_due(text, NOW) is None


@pytest.mark.parametrize(
    ("text", "day", "phrase"),
    [
        ("send the invoice for oct hours tmrw", "2026-11-26", "tmrw"),
        ("book the march trip by friday", "2026-11-27", "by friday"),
        ("file the receipts from sept on the 3rd", "2026-12-03", "on the 3rd"),
    ],
)
def test_a_month_alone_gives_way_to_another_date(text: str, day: str, phrase: str) -> None:
    now = datetime(2026, 11, 25, 9, 0, tzinfo=ZoneInfo("Europe/London"))
    due = find_due(text, now)
    assert due is not None
    assert due.at.date().isoformat() == day
    assert text[due.start : due.end] == phrase


@pytest.mark.parametrize(
    ("text", "at", "phrase"),
    [
        ("ring the vet tomorrow at 10 in the morning", "2026-11-26 10:00", "tomorrow at 10 in the morning"),
        ("lock up friday 9 at night", "2026-11-27 21:00", "friday 9 at night"),
        ("meet Sam on Monday at 3 in the afternoon", "2026-11-30 15:00", "on Monday at 3 in the afternoon"),
        (
            "put the bins out thursday at 6:30 in the evening",
            "2026-11-26 18:30",
            "thursday at 6:30 in the evening",
        ),
    ],
)
def test_an_hour_said_with_its_part_of_the_day(text: str, at: str, phrase: str) -> None:
    now = datetime(2026, 11, 25, 9, 0, tzinfo=ZoneInfo("Europe/London"))
    due = find_due(text, now)
    assert due is not None
    assert due.at.strftime("%Y-%m-%d %H:%M") == at
    assert text[due.start : due.end] == phrase
