"""Reading a message against what was just said (nlu.followup): follow-ups on the task in focus,
corrections, and answers in words to the assistant's questions, in three languages; and what
must not be read that way."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from tasklane_agent.domain.language import Lang
from tasklane_agent.nlu.parse.followup import (
    fix_title,
    read_answer,
    read_assignee,
    read_choice,
    read_follow_up,
)

NOW = datetime(2026, 11, 25, 9, 0, tzinfo=ZoneInfo("Europe/Madrid"))  # a Wednesday


@pytest.mark.parametrize(
    ("lang", "text", "priority"),
    [
        ("en", "urgent", "high"),
        ("en", "low prio pls", "low"),
        ("en", "important!!", "high"),
        ("es", "importante eh", "high"),
        ("es", "y ponle prioridad alta", "high"),
        ("es", "prioridad alta que el cliente tiene prisa", "high"),
        ("pt", "prioridade alta ponto", "high"),
        ("pt", "e coloca prioridade alta tb pfv", "high"),
        ("pt", "sem pressa", "low"),
        ("es", "es urgente!! que no se me olvide", "high"),
        ("es", "muy importante, no se me puede olvidar", "high"),
    ],
)
def test_a_priority_alone_is_a_follow_up(lang: Lang, text: str, priority: str) -> None:
    change = read_follow_up(text, NOW, lang)
    assert change is not None
    assert change.priority == priority
    assert change.due is None


@pytest.mark.parametrize(
    ("lang", "text", "day", "time_only"),
    [
        ("en", "tmrw", "2026-11-26", False),
        ("en", "also next friday", "2026-12-04", False),
        ("en", "and at 8am pls", None, True),
        ("es", "el lunes a las 7 de la mañana", "2026-11-30", False),
        ("es", "nono a las 6 era", None, True),
        ("pt", "amanhã 16h", "2026-11-26", False),
        ("pt", "até domingo", "2026-11-29", False),
        ("pt", "às 10 da manhã", None, True),
        # softened or stressed after the change
        ("en", "thursday if possible", "2026-11-26", False),
        ("es", "a las 8 y media si puede ser", None, True),
        ("es", "mejor el sábado si se puede", "2026-11-28", False),
        ("pt", "às 15h se der", None, True),
    ],
)
def test_a_date_alone_is_a_follow_up(lang: Lang, text: str, day: str | None, time_only: bool) -> None:
    change = read_follow_up(text, NOW, lang)
    assert change is not None
    assert change.due is not None
    assert change.time_only is time_only
    if day is not None:
        assert change.due.at.date().isoformat() == day


@pytest.mark.parametrize(
    ("lang", "text", "day"),
    [
        ("en", "no no not tuesday wednesday", "2026-12-02"),
        ("en", "sorry, wednesday not tuesday", "2026-12-02"),
        ("en", "no sorry i meant thursday", "2026-11-26"),
        ("en", "nope not weds, thurs", "2026-11-26"),
        ("en", "Oh goodness I am so sorry, I meant Monday not Friday", "2026-11-30"),
        ("en", "my bad, it should be saturday", "2026-11-28"),
        ("es", "no, era el viernes", "2026-11-27"),
        ("es", "no espera, es el jueves", "2026-11-26"),
        ("pt", "não, aguarda, é sexta", "2026-11-27"),
        ("es", "no perdona, el miércoles, q me he liado", "2026-12-02"),
        ("pt", "não não não é quinta é sexta", "2026-11-27"),
        ("pt", "digo, sexta", "2026-11-27"),
        ("pt", "não, queria dizer segunda", "2026-11-30"),
    ],
)
def test_a_correction_names_the_day_meant(lang: Lang, text: str, day: str) -> None:
    change = read_follow_up(text, NOW, lang)
    assert change is not None
    assert change.due is not None
    assert change.due.at.date().isoformat() == day
    assert change.correction


@pytest.mark.parametrize(
    ("lang", "text"),
    [
        ("en", "call mum tomorrow"),
        ("en", "what's due tomorrow"),
        ("en", "and its important they need it this week"),
        ("es", "llamar al banco el lunes"),
        ("es", "qué tengo mañana"),
        ("pt", "pagar a fatura amanhã"),
        ("pt", "o que tenho pra sexta"),
        ("en", "thanks"),
        ("en", "no"),
    ],
)
def test_a_new_request_or_a_question_is_no_follow_up(lang: Lang, text: str) -> None:
    assert read_follow_up(text, NOW, lang) is None


@pytest.mark.parametrize(
    ("text", "title", "fixed"),
    [
        ("sorry not dave its dan", "email the revised quote to dave", "email the revised quote to dan"),
        ("it's Lauren not Laura", "text Laura about the keys", "text Lauren about the keys"),
        ("no not the blue van, the white van", "wash the blue van", "wash the white van"),
        ("not hartley, Hadley road", "deliver the sofa to Hartley road", "deliver the sofa to Hadley road"),
        ("no es Marta, es Marina", "escribirle a Marta", "escribirle a Marina"),
        ("no a Rocío no, a Rebeca", "devolverle el taladro a Rocío", "devolverle el taladro a Rebeca"),
        ("no de fresa, de chocolate", "encargar la tarta de fresa", "encargar la tarta de chocolate"),
        ("not to Tom, to Tim", "send the invoice to Tom", "send the invoice to Tim"),
        ("no para no son de cal son de cemento", "comprar 12 bolsas de cal", "comprar 12 bolsas de cemento"),
        (
            "ah no, es de Derecho Penal jaja",
            "comprar el apunte de Derecho Civil",
            "comprar el apunte de Derecho Penal",
        ),
        (
            "corrigindo o nome é Claudinei não Cláudio",
            "mandar nota fiscal pro Cláudio",
            "mandar nota fiscal pro Claudinei",
        ),
        (
            "não pera, são os capítulos 5 e 6",
            "ler os capítulos 3 e 4 de sociologia",
            "ler os capítulos 5 e 6 de sociologia",
        ),
    ],
)
def test_a_title_correction_swaps_the_part_meant(text: str, title: str, fixed: str) -> None:
    assert fix_title(text, title) == fixed


@pytest.mark.parametrize(
    ("text", "title"),
    [
        ("no, delete it", "call the bank"),
        ("no it's fine", "call the bank"),
        ("not now", "call the bank"),
        ("sorry not dave its dan", "call the bank"),  # nothing of the title is named
    ],
)
def test_what_is_no_title_correction_changes_nothing(text: str, title: str) -> None:
    assert fix_title(text, title) is None


@pytest.mark.parametrize(
    ("text", "yes"),
    [
        ("yep go ahead", True),
        ("yes do it", True),
        ("sí, dale", True),
        ("si bórrala", True),
        ("sim, exclui", True),
        ("pode apagar sim", True),
        ("hmm no wait", False),
        ("mejor no, espera", False),
        ("nao calma, me confundi", False),
        ("yes... no wait", False),
    ],
)
def test_a_yes_or_no_in_words_answers_a_confirmation(text: str, yes: bool) -> None:
    assert read_answer(text) is yes


@pytest.mark.parametrize(
    "text", ["add milk to my list", "what's due today", "yes and also remind me to call the bank tomorrow"]
)
def test_another_request_is_no_answer(text: str) -> None:
    assert read_answer(text) is None


OPTIONS = ["send the quote for the Miller kitchen", "invoice the Miller deck"]


@pytest.mark.parametrize(
    ("text", "index"),
    [
        ("the deck one the invoice", 2),
        ("the kitchen", 1),
        ("the first", 1),
        ("la segunda", 2),
        ("o último", 2),
        ("the Miller one", None),  # both: ask again rather than guess
        ("the garage", None),
    ],
)
def test_a_choice_in_words_picks_one_offered_task(text: str, index: int | None) -> None:
    assert read_choice(text, OPTIONS) == index


def test_a_choice_by_day_picks_the_task_due_then() -> None:
    options = ["reunião de planejamento", "reunião de resultados"]
    days = ["2026-11-26", "2026-11-27"]
    assert read_choice("a de amanhã", options, days, now=NOW, lang="pt") == 1
    assert read_choice("la del viernes", options, days, now=NOW, lang="es") == 2
    assert read_choice("the monday one", options, days, now=NOW, lang="en") is None


@pytest.mark.parametrize(
    ("text", "who"),
    [
        ("asignado a Fer", "Fer"),
        ("assign it to Ben", "Ben"),
        ("pro Diego", "Diego"),
        ("atribuída à Carla", "Carla"),
    ],
)
def test_a_follow_up_may_hand_the_task_to_someone(text: str, who: str) -> None:
    assert read_assignee(text) == who


@pytest.mark.parametrize("text", ["para mañana", "for tomorrow", "pra sexta", "assign"])
def test_a_date_is_no_assignee(text: str) -> None:
    assert read_assignee(text) is None
