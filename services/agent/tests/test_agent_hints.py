"""Every command the assistant suggests in its replies ("send *my tasks*", "try *done with #2*")
is one it understands, in each language."""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from tasklane_agent.domain.language import Lang
from tasklane_agent.i18n import CATALOGUES
from tasklane_agent.nlu.commands import Unknown
from tasklane_agent.nlu.parse import understand

NOW = datetime(2026, 11, 25, 9, 0, tzinfo=ZoneInfo("Europe/London"))
SAMPLE = {"name": "Launch", "project": "Launch", "n": 2, "number": 2, "text": "buy milk", "zone": "Mars"}
# Bold words that name something rather than suggest a command.
NOT_COMMANDS = {"{project}", "{title}", "{task}", "{titles}", "{who}"}


def _suggestions() -> list[tuple[str, str, str]]:
    found = []
    for lang, catalogue in CATALOGUES.items():
        for key, message in catalogue.items():
            for bold in re.findall(r"\*([^*]+)\*", message):
                if bold not in NOT_COMMANDS and not re.fullmatch(r"\{\w+\}", bold):
                    found.append((lang, key, bold.format(**SAMPLE)))
    return found


SUGGESTIONS = _suggestions()


def test_there_are_suggestions_in_every_language() -> None:
    assert {lang for lang, _, _ in SUGGESTIONS} == {"en", "es", "pt"}


@pytest.mark.parametrize(
    ("lang", "key", "text"), SUGGESTIONS, ids=[f"{x}-{k}-{t[:20]}" for x, k, t in SUGGESTIONS]
)
def test_a_suggested_command_is_understood(lang: Lang, key: str, text: str) -> None:
    command = understand(text, NOW, lang).command
    assert not isinstance(command, Unknown), (key, text)
