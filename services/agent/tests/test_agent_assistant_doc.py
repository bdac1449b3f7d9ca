"""Every example in docs/assistant.md's table is read as the action of its row, in its language."""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from tasklane_agent.nlu import commands as c
from tasklane_agent.nlu.language import detect
from tasklane_agent.nlu.parse import understand

DOC = Path(__file__).resolve().parents[3] / "docs" / "assistant.md"
NOW = datetime(2026, 11, 25, 9, 0, tzinfo=ZoneInfo("Europe/London"))
ACTIONS: dict[str, type] = {
    "create": c.CreateTask,
    "list": c.ListTasks,
    "due today": c.ListTasks,
    "this week": c.ListTasks,
    "next week": c.ListTasks,
    "one day": c.ListTasks,
    "a weekend": c.ListTasks,
    "overdue": c.ListTasks,
    "by priority": c.ListTasks,
    "done": c.ListTasks,
    "complete": c.CompleteTask,
    "change": c.UpdateTask,
    "postpone": c.UpdateTask,
    "rename": c.UpdateTask,
    "delete": c.DeleteTask,
    "reopen": c.ReopenTask,
    "undo": c.Undo,
    "assign": c.AssignTask,
    "create a project": c.CreateProject,
    "project progress": c.ProjectStatus,
    "share a project": c.AddMember,
    "invite to my team": c.InviteMember,
    "my team": c.ShowTeam,
    "leave my team": c.LeaveTeam,
    "timezone": c.SetTimezone,
    "language": c.SetLanguage,
    "help": c.Help,
}


def _examples() -> list[tuple[str, str, str]]:
    table = DOC.read_text().split("## What users can say", 1)[1].split("\n\n")
    rows = [line for block in table for line in block.splitlines() if line.startswith("| ")][1:]
    found = []
    for row in rows:
        action, *cells = (cell.strip() for cell in row.strip("|").split("|"))
        for lang, cell in zip(("en", "es", "pt"), cells, strict=True):
            found.extend((action, lang, text) for text in re.findall(r"`([^`]+)`", cell))
    return found


def _expected(action: str) -> type:
    for prefix in sorted(ACTIONS, key=len, reverse=True):
        if action.startswith(prefix):
            return ACTIONS[prefix]
    raise AssertionError(f"no expected command for {action!r}")


EXAMPLES = _examples()


def test_the_table_has_every_action_in_three_languages() -> None:
    assert len(EXAMPLES) >= 28 * 3


@pytest.mark.parametrize(("action", "lang", "text"), EXAMPLES, ids=[f"{a}-{lang}" for a, lang, _ in EXAMPLES])
def test_each_example_means_its_action_whatever_the_users_language(action: str, lang: str, text: str) -> None:
    for default in ("en", "es", "pt"):
        understood = understand(text, NOW, detect(text, default))  # type: ignore[arg-type]
        assert isinstance(understood.command, _expected(action)), (default, understood.command)
        if default == lang:
            assert understood.lang == lang


@pytest.mark.parametrize(("action", "lang", "text"), [e for e in EXAMPLES if len(e[2].split()) >= 4])
def test_a_sentence_in_another_language_switches_the_replies(action: str, lang: str, text: str) -> None:
    understood = understand(text, NOW, detect(text, "en"))
    expected = "en" if action == "language" and lang == "es" else lang  # "en inglés por favor"
    assert understood.lang == expected or isinstance(understood.command, c.SetLanguage)
