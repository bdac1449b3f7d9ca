"""Every example in docs/assistant.md's table is read as the action of its row, in its language."""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from tasklane_agent.domain.language import Lang
from tasklane_agent.nlu import commands as c
from tasklane_agent.nlu.language import detect
from tasklane_agent.nlu.parse import understand

DOC = Path(__file__).resolve().parents[3] / "docs" / "assistant.md"
NOW = datetime(2026, 11, 25, 9, 0, tzinfo=ZoneInfo("Europe/London"))
ACTIONS: dict[str, type | tuple[type, ...]] = {
    "create": c.CreateTask,
    # Filed under a project the user has: a new task, or the one of that name moved there.
    "create, in a project": (c.CreateTask, c.MoveTask),
    "create two": c.CreateTasks,
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


def _table(header: str) -> list[str]:
    """The rows of the table under ``header`` in the "What users can say" part."""
    part = DOC.read_text().split("## What users can say", 1)[1].split("\n## ", 1)[0]
    block = next(b for b in part.split("\n\n") if b.startswith(header))
    return [line for line in block.splitlines() if line.startswith("| ")][2:]


def _examples() -> list[tuple[str, str, str]]:
    rows = _table("| action |")
    found = []
    for row in rows:
        action, *cells = (cell.strip() for cell in row.strip("|").split("|"))
        for lang, cell in zip(("en", "es", "pt"), cells, strict=True):
            found.extend((action, lang, text) for text in re.findall(r"`([^`]+)`", cell))
    return found


def _expected(action: str) -> type | tuple[type, ...]:
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


# ---------------------------------------------------------------- in a conversation

DAYS = ["2026-11-26", "2026-11-27", "2026-11-30"]  # Thursday, Friday, Monday


def _conversation_examples() -> list[tuple[str, str, str, str]]:
    found = []
    for row in _table("| after |"):
        after, kind, *cells = (cell.strip() for cell in row.strip("|").split("|"))
        for lang, cell in zip(("en", "es", "pt"), cells, strict=True):
            found.extend((after, kind, lang, text) for text in re.findall(r"`([^`]+)`", cell))
    return found


CONVERSATION = _conversation_examples()


@pytest.mark.parametrize(
    ("after", "kind", "lang", "text"), CONVERSATION, ids=[f"{k}-{lang}" for _, k, lang, _ in CONVERSATION]
)
def test_each_conversation_example_is_read_as_its_kind(after: str, kind: str, lang: str, text: str) -> None:
    from tasklane_agent.nlu.parse import draft_task
    from tasklane_agent.nlu.parse.followup import (
        fix_title,
        read_answer,
        read_assignee,
        read_choice,
        read_follow_up,
    )

    language: Lang = lang  # type: ignore[assignment]
    if kind in ("yes", "no"):
        assert read_answer(text) is (kind == "yes")
    elif after.startswith('"Which one'):
        assert read_choice(text, _options(lang), DAYS, now=NOW, lang=language) is not None
    elif kind == "the task":
        task = draft_task(text, NOW, language)
        assert task.title
        assert task.due is not None
    elif kind == "a teammate":
        assert read_assignee(text)
    elif kind == "correction of the title":
        assert fix_title(text, _title(lang)) not in (None, _title(lang))
    else:
        change = read_follow_up(text, NOW, language)
        assert change is not None
        if kind == "priority":
            assert change.priority == "high"
        else:
            assert change.due is not None
            assert change.time_only is kind.startswith("time")
        if kind.startswith("correction"):
            assert change.correction


def _options(lang: str) -> list[str]:
    return {
        "en": ["invoice the Miller deck", "call about the fence", "ring the Lees"],
        "es": ["factura de Pérez", "llamar por la valla", "pagar la luz"],
        "pt": ["fatura do Souza", "ligar sobre a cerca", "pagar a luz"],
    }[lang]


def _title(lang: str) -> str:
    return {
        "en": "email the quote to dave",
        "es": "comprar 12 bolsas de cal",
        "pt": "mandar nota fiscal pro Cláudio",
    }[lang]
