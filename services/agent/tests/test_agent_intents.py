"""What the rules understand of a message: intents, clean titles, priorities."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tasklane_agent.nlu import Intent, extract_priority, understand

NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "title", "due"),
    [
        (
            "Create a task to review the quarterly reports by Friday",
            "review the quarterly reports",
            "2026-11-27",
        ),
        ("create task call mom tomorrow at 3pm", "call mom", "2026-11-26"),
        ("add a task: buy milk", "buy milk", None),
        ("add task pay rent on the 1st", "pay rent", "2026-12-01"),
        ("remind me to call the dentist tomorrow", "call the dentist", "2026-11-26"),
        ("remind me tomorrow to call Bob", "call Bob", "2026-11-26"),
        ("new task: Prepare the slides", "Prepare the slides", None),
        ("todo: buy milk", "buy milk", None),
        ("Todo - water the plants", "water the plants", None),
        ("please add task: submit the report by Fri.", "submit the report", "2026-11-27"),
        ("Hey, can you add a task to book flights next Friday?", "book flights", "2026-12-04"),
        ("add buy eggs to my list", "buy eggs", None),
        ("add to my list: renew passport by the end of the month", "renew passport", "2026-11-30"),
        ("don't let me forget to pay the gas bill on the 5th", "pay the gas bill", "2026-12-05"),
        # No date hides in these titles.
        ("add task Ask May about the budget numbers", "Ask May about the budget numbers", None),
        ("add task order 5 chairs for the office", "order 5 chairs for the office", None),
        # A quoted title is taken as written, dates outside the quotes still count.
        ("add task 'Call Jan on Monday' tomorrow", "Call Jan on Monday", "2026-11-26"),
        ("add task reply to the urgent email", "reply to the urgent email", None),
    ],
)
def test_create_task_extracts_a_clean_title_and_the_due_date(text: str, title: str, due: str | None) -> None:
    understood = understand(text, NOW)
    assert understood.intent is Intent.CREATE_TASK
    assert understood.task is not None
    assert understood.task.title == title
    if due is None:
        assert understood.task.due is None
    else:
        assert understood.task.due is not None
        assert understood.task.due.at.date() == date.fromisoformat(due)


@pytest.mark.parametrize(
    ("text", "title", "priority"),
    [
        ("add task pay rent, high priority", "pay rent", "high"),
        ("add task urgent: fix the login bug", "fix the login bug", "high"),
        ("add task fix the login bug tomorrow, urgent!", "fix the login bug", "high"),
        ("add task !! renew the certificate", "renew the certificate", "high"),
        ("Add an urgent task to file taxes by the end of the month", "file taxes", "high"),
        ("create an important task: call the lawyer", "call the lawyer", "high"),
        ("add task book the venue (important)", "book the venue", "high"),
        ("add task water the plants, low priority", "water the plants", "low"),
        ("add task read the newsletter", "read the newsletter", "normal"),
    ],
)
def test_priority_words_set_the_priority_and_leave_the_title(text: str, title: str, priority: str) -> None:
    understood = understand(text, NOW)
    assert understood.task is not None
    assert (understood.task.title, understood.task.priority) == (title, priority)


def test_priority_markers_inside_a_title_are_left_alone() -> None:
    assert extract_priority("reply to the urgent email") == ("reply to the urgent email", None)


def test_a_command_without_a_task_asks_for_one() -> None:
    understood = understand("add task", NOW)
    assert understood.intent is Intent.CREATE_TASK
    assert understood.task is not None
    assert understood.task.title == ""


def test_a_recurring_request_keeps_its_first_date() -> None:
    understood = understand("add a task to water the plants every Monday at 9am", NOW)
    assert understood.task is not None
    assert understood.task.title == "water the plants"
    assert understood.task.due is not None
    assert understood.task.due.recurring


@pytest.mark.parametrize(
    "text",
    [
        "What are my tasks?",
        "show my tasks",
        "Show me my tasks",
        "list tasks",
        "my tasks",
        "tasks",
        "what's on my list",
        "What\u2019s on my list?",
        "my to-do list",
        "what do I have to do?",
        "please list my open tasks",
    ],
)
def test_list_requests(text: str) -> None:
    assert understand(text, NOW).intent is Intent.LIST_TASKS


@pytest.mark.parametrize("text", ["hi", "Hello!", "hey", "hey there", "Good morning", "Hi 👋"])
def test_greetings(text: str) -> None:
    assert understand(text, NOW).intent is Intent.GREETING


@pytest.mark.parametrize("text", ["help", "Help!", "?", "", "what can you do?", "How does this work?"])
def test_help_requests(text: str) -> None:
    assert understand(text, NOW).intent is Intent.HELP


@pytest.mark.parametrize("text", ["thanks", "Thank you!", "👍"])
def test_thanks(text: str) -> None:
    assert understand(text, NOW).intent is Intent.THANKS


@pytest.mark.parametrize(
    ("text", "mentions_date"),
    [
        ("Ask May about the budget numbers", False),
        ("Show me all overdue items", False),
        ("Make it high priority", False),
        ("call mom tomorrow", True),
        ("Add the logo task to Website relaunch", False),
    ],
)
def test_anything_else_is_unknown_and_notes_a_date(text: str, mentions_date: bool) -> None:
    understood = understand(text, NOW)
    assert understood.intent is Intent.UNKNOWN
    assert understood.mentions_date is mentions_date


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=200))
def test_any_text_gets_a_reading_and_the_same_one_every_time(text: str) -> None:
    first = understand(text, NOW)
    assert first == understand(text, NOW)
    if first.task is not None:
        assert first.task.title == first.task.title.strip()
