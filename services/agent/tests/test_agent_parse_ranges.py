"""Lists over a few days: "this weekend" (its Saturday and Sunday) and "by Friday" (every day up
to it, overdue ones included), in three languages; a task said with the same words stays a task."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from tasklane_agent.domain.language import Lang
from tasklane_agent.nlu.commands import CreateTask, ListTasks
from tasklane_agent.nlu.parse import understand

NOW = datetime(2026, 11, 25, 9, 0, tzinfo=ZoneInfo("Europe/London"))  # a Wednesday
SAT, SUN, FRI = date(2026, 11, 28), date(2026, 11, 29), date(2026, 11, 27)


@pytest.mark.parametrize(
    ("lang", "text", "expected"),
    [
        ("en", "what do I have this weekend?", ListTasks(day=SAT, until=SUN)),
        ("en", "anything this weekend", ListTasks(day=SAT, until=SUN)),
        ("en", "what's due by friday?", ListTasks(until=FRI)),
        ("en", "tasks due before the 5th", ListTasks(until=date(2026, 12, 5))),
        ("es", "¿qué tengo el fin de semana?", ListTasks(day=SAT, until=SUN)),
        ("es", "tareas del finde", ListTasks(day=SAT, until=SUN)),
        ("es", "¿qué tengo hasta el viernes?", ListTasks(until=FRI)),
        ("pt", "o que tenho no fim de semana?", ListTasks(day=SAT, until=SUN)),
        ("pt", "o que tenho até sexta?", ListTasks(until=FRI)),
    ],
)
def test_a_list_over_several_days(lang: Lang, text: str, expected: ListTasks) -> None:
    assert understand(text, NOW, lang).command == expected


@pytest.mark.parametrize(
    ("lang", "text"),
    [("en", "paint the fence this weekend"), ("es", "pintar la casa el fin de semana"),
     ("en", "book the venue before the 20th")],
)  # fmt: skip
def test_a_task_with_the_same_words_stays_a_task(lang: Lang, text: str) -> None:
    assert isinstance(understand(text, NOW, lang).command, CreateTask)


def test_on_a_sunday_the_weekend_is_what_is_left_of_it() -> None:
    sunday = datetime(2026, 11, 29, 10, 0, tzinfo=ZoneInfo("Europe/London"))
    assert understand("what do I have this weekend?", sunday, "en").command == ListTasks(day=SUN, until=SUN)
