"""Phone shorthand is read as the words it stands for, in each language, and only there."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from tasklane_agent.domain.language import Lang
from tasklane_agent.nlu import commands as c
from tasklane_agent.nlu.parse import understand
from tasklane_agent.nlu.speech import spell_out

NOW = datetime(2026, 11, 25, 9, 0, tzinfo=ZoneInfo("America/Sao_Paulo"))


@pytest.mark.parametrize(
    ("lang", "text", "command"),
    [
        ("pt", "qnd é a vacina da bia msm?", c.TaskDue),
        ("pt", "o q eu tenho hj", c.ListTasks),
        ("en", "wen is the dentist", c.TaskDue),
        ("es", "cdo es la reunion con la tutora?", c.TaskDue),
    ],
)
def test_shorthand_reads_as_the_words_it_stands_for(lang: Lang, text: str, command: type) -> None:
    assert isinstance(understand(text, NOW, lang).command, command)


def test_shorthand_of_one_language_is_left_alone_in_another() -> None:
    assert spell_out("pq", "en") == "pq"
    assert spell_out("hj ligar pro HJ", "pt") == "hoje ligar pro HJ"
    assert spell_out("#u2 call u2", "en") == "#u2 call u2"


@pytest.mark.parametrize(
    ("lang", "text", "priority", "scope"),
    [
        ("en", "show me only the urgent ones", "high", "open"),
        ("es", "muéstrame solo lo de prioridad alta", "high", "open"),
        ("pt", "me mostra só o que tá com prioridade alta", "high", "open"),
        ("en", "am I behind on anything? anything overdue", None, "overdue"),
        ("es", "¿tengo algo vencido? algo atrasado?", None, "overdue"),
    ],
)
def test_a_list_request_narrowed_or_asked_twice_is_the_list(
    lang: Lang, text: str, priority: str | None, scope: str
) -> None:
    command = understand(text, NOW, lang).command
    assert isinstance(command, c.ListTasks)
    assert command.priority == priority
    assert command.scope == scope


@pytest.mark.parametrize(
    ("lang", "text", "title"),
    [
        ("en", "remnd me to submit the chem lab report by fri", "submit the chem lab report"),
        ("en", "remind me to call mum tomorrow so I dont forget", "call mum"),
        (
            "es",
            "mañana tengo que imprimir el tp de sociologia, que no me olvide",
            "imprimir el tp de sociologia",
        ),
        ("pt", "anota pra mim pagar o boleto do inglês amanhã", "pagar o boleto do inglês"),
        ("pt", "me lembra de ligar pro dentista amanhã pra eu não esquecer", "ligar pro dentista"),
    ],
)
def test_why_it_is_asked_and_who_it_is_for_stay_out_of_the_title(lang: Lang, text: str, title: str) -> None:
    command = understand(text, NOW, lang).command
    assert isinstance(command, c.CreateTask)
    assert command.title == title
