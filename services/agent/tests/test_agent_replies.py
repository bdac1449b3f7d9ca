"""The texts users read: dates in their timezone, the task list, the fallbacks."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from tasklane_agent import replies
from tasklane_agent.domain import Task
from tasklane_agent.nlu.priority import Priority

SAO_PAULO = ZoneInfo("America/Sao_Paulo")
NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def _task(
    title: str,
    due_at: datetime | None = None,
    has_time: bool = False,
    priority: Priority = "normal",
) -> Task:
    return Task(
        id=title,
        user_id="u",
        title=title,
        status="open",
        priority=priority,
        due_at=due_at,
        due_has_time=has_time,
        source_wamid=None,
        created_at=NOW,
        updated_at=NOW,
    )


def test_dates_render_in_the_users_timezone() -> None:
    # 00:00 in Sao Paulo of Fri 27 Nov is 03:00 UTC: still Friday for the user.
    midnight_local = datetime(2026, 11, 27, 3, 0, tzinfo=UTC)
    assert replies.format_due(midnight_local, False, SAO_PAULO, NOW) == "Fri 27 Nov"
    assert replies.format_due(midnight_local, False, ZoneInfo("UTC"), NOW) == "Fri 27 Nov"
    three_pm = datetime(2026, 11, 26, 18, 0, tzinfo=UTC)
    assert replies.format_due(three_pm, True, SAO_PAULO, NOW) == "Thu 26 Nov, 15:00"
    next_year = datetime(2027, 3, 3, 9, 30, tzinfo=UTC)
    assert replies.format_due(next_year, True, ZoneInfo("UTC"), NOW) == "Wed 3 Mar 2027, 09:30"


def test_created_reply_names_the_task_its_date_and_priority() -> None:
    task = _task("review the quarterly reports", datetime(2026, 11, 27, tzinfo=UTC), priority="high")
    text = replies.task_created(task, ZoneInfo("UTC"), NOW)
    assert text == "✅ Task created: *review the quarterly reports* — due Fri 27 Nov (high priority)"
    assert replies.task_created(_task("buy *milk*"), ZoneInfo("UTC"), NOW) == "✅ Task created: *buy milk*"
    recurring = replies.task_created(task, ZoneInfo("UTC"), NOW, recurring=True)
    assert "Repeating tasks aren't supported yet" in recurring


def test_task_list_is_numbered_with_due_dates_and_overdue_marks() -> None:
    utc = ZoneInfo("UTC")
    tasks = [
        _task("send the invoice", datetime(2026, 11, 24, tzinfo=UTC)),
        _task("review the quarterly reports", datetime(2026, 11, 27, tzinfo=UTC)),
        _task("buy milk"),
    ]
    assert replies.task_list(tasks, 3, utc, NOW) == (
        "Your open tasks (3):\n"
        "1. send the invoice — due Tue 24 Nov (overdue)\n"
        "2. review the quarterly reports — due Fri 27 Nov\n"
        "3. buy milk"
    )


def test_a_date_only_task_due_today_is_not_overdue() -> None:
    today = _task("pay rent", datetime(2026, 11, 25, tzinfo=UTC))
    assert "(overdue)" not in replies.task_list([today], 1, ZoneInfo("UTC"), NOW)
    passed = _task("call", datetime(2026, 11, 25, 10, 0, tzinfo=UTC), has_time=True)
    assert "(overdue)" in replies.task_list([passed], 1, ZoneInfo("UTC"), NOW)


def test_long_lists_say_how_many_more_there_are() -> None:
    text = replies.task_list([_task(f"task {i}") for i in range(20)], 25, ZoneInfo("UTC"), NOW)
    assert text.startswith("Your open tasks (25):")
    assert text.endswith("…and 5 more.")
    assert len(text) <= replies.MAX_BODY


def test_an_empty_list_suggests_what_to_say() -> None:
    text = replies.task_list([], 0, ZoneInfo("UTC"), NOW)
    assert text.startswith("You have no open tasks. Try:")
    assert "add task" in text


def test_fallback_always_suggests_something() -> None:
    plain = replies.fallback("blah", mentions_date=False)
    assert "add task" in plain
    assert "what are my tasks?" in plain
    dated = replies.fallback("call mom tomorrow", mentions_date=True)
    assert "add task call mom tomorrow" in dated
    assert "only text" in replies.unsupported_message("image")
