"""'And 3 too': the last change again, on another task of the last list, in three languages."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from tasklane_agent.domain.language import Lang
from tasklane_agent.nlu.commands import Again, TaskRef
from tasklane_agent.nlu.parse import understand

NOW = datetime(2026, 11, 25, 9, 0, tzinfo=ZoneInfo("Europe/London"))


@pytest.mark.parametrize(
    ("lang", "text", "number"),
    [
        ("en", "and 3 too", 3),
        ("en", "and #4 as well", 4),
        ("en", "same for #2", 2),
        ("en", "5 too!", 5),
        ("es", "y la 3 también", 3),
        ("es", "lo mismo con la 2", 2),
        ("es", "la 4 tambien", 4),
        ("pt", "e a 3 também", 3),
        ("pt", "o mesmo com a 2", 2),
        ("pt", "a 4 tambem", 4),
    ],
)
def test_the_last_change_again_on_another_number(lang: Lang, text: str, number: int) -> None:
    assert understand(text, NOW, lang).command == Again(TaskRef(number=number))


@pytest.mark.parametrize("text", ["and 3 more tasks for tomorrow", "buy 3 apples too", "3"])
def test_other_messages_with_a_number_are_not_repeats(text: str) -> None:
    assert not isinstance(understand(text, NOW, "en").command, Again)
