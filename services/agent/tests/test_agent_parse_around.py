"""What is said around a request: a filler after its last request words, a date after a
project's name, a question typed with "q", a reason after the task named."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from tasklane_agent.domain.language import Lang
from tasklane_agent.nlu import commands as c
from tasklane_agent.nlu.parse import understand

NOW = datetime(2026, 11, 25, 9, 0, tzinfo=ZoneInfo("Europe/Lisbon"))  # a Wednesday


@pytest.mark.parametrize(
    ("lang", "text", "title"),
    [
        ("en", "tomorrow I have the science fair at 5pm, dont let me forget lol", "science fair"),
        ("es", "mañana tengo la feria de ciencias a las 5, que no se me olvide jaja", "feria de ciencias"),
        ("pt", "amanhã tenho feira de ciências às 17h, não me deixes esquecer pá", "feira de ciências"),
    ],
)
def test_a_filler_after_the_last_request_words_is_no_task(lang: Lang, text: str, title: str) -> None:
    found = understand(text, NOW, lang).command
    assert isinstance(found, c.CreateTask)
    assert found.title == title
    assert found.due is not None
    assert found.due.at.date().isoformat() == "2026-11-26"


@pytest.mark.parametrize(
    ("lang", "text", "title", "project", "day"),
    [
        ("en", "add print the menus to the Gala project on friday", "print the menus", "Gala", "2026-11-27"),
        (
            "es",
            "agrega probar el pastel al proyecto Boda Lupe el sábado",
            "probar el pastel",
            "Boda Lupe",
            "2026-11-28",
        ),
        (
            "pt",
            "adiciona ensaio do coral ao projeto formatura dia 4/12",
            "ensaio do coral",
            "formatura",
            "2026-12-04",
        ),
    ],
)
def test_a_date_after_the_project_s_name_is_the_task_s(
    lang: Lang, text: str, title: str, project: str, day: str
) -> None:
    found = understand(text, NOW, lang).command
    assert isinstance(found, c.CreateTask)
    assert (found.title, found.project) == (title, project)
    assert found.due is not None
    assert found.due.at.date().isoformat() == day


@pytest.mark.parametrize(
    ("lang", "text", "query"),
    [
        ("es", "oye a q hora era la tutoría con la familia Pérez?", "tutoría con la familia Pérez"),
        ("es", "q dia era la excursión al museo?", "excursión al museo"),
        ("pt", "q horas é a reunião do conselho?", "reunião do conselho"),
        ("pt", "qnd é a prova de ciências?", "prova de ciências"),
    ],
)
def test_a_question_typed_with_q_asks_about_the_task(lang: Lang, text: str, query: str) -> None:
    found = understand(text, NOW, lang).command
    assert isinstance(found, c.TaskDue)
    assert found.ref.query == query


@pytest.mark.parametrize(
    ("lang", "text", "number"),
    [
        ("en", "delete 3 because the trip got cancelled", 3),
        ("es", "borra la 2 que ya no hace falta", 2),
        ("pt", "apaga a 1 pq a visita foi cancelada", 1),
    ],
)
def test_a_reason_after_the_task_named_is_not_part_of_it(lang: Lang, text: str, number: int) -> None:
    assert understand(text, NOW, lang).command == c.DeleteTask(c.TaskRef(number=number))


def test_a_wish_after_and_is_no_reason() -> None:
    found = understand("ponle prioridad alta y que sea para el viernes", NOW, "es").command
    assert isinstance(found, c.UpdateTask)
    assert found.priority == "high"
    assert found.due is not None


@pytest.mark.parametrize(
    ("lang", "text", "day"),
    [
        ("en", "#2 tomorrow", "2026-11-26"),
        ("es", "la 2 mañana", "2026-11-26"),
        ("pt", "a 2 amanhã", "2026-11-26"),
    ],
)
def test_a_list_number_then_a_day_moves_that_task(lang: Lang, text: str, day: str) -> None:
    found = understand(text, NOW, lang).command
    assert isinstance(found, c.UpdateTask)
    assert found.ref == c.TaskRef(number=2)
    assert found.due is not None
    assert found.due.at.date().isoformat() == day


@pytest.mark.parametrize(
    ("lang", "text", "tasks"),
    [
        (
            "en",
            "tomorrow buy stamps and on friday post the cards",
            [("buy stamps", "2026-11-26"), ("post the cards", "2026-11-27")],
        ),
        (
            "es",
            "el jueves pagarle al del catering y el sábado armar las mesas",
            [("pagarle al del catering", "2026-11-26"), ("armar las mesas", "2026-11-28")],
        ),
        (
            "pt",
            "amanhã buscar os convites e sexta montar o painel",
            [("buscar os convites", "2026-11-26"), ("montar o painel", "2026-11-27")],
        ),
    ],
)
def test_two_things_each_with_its_day_said_first_are_two_tasks(
    lang: Lang, text: str, tasks: list[tuple[str, str]]
) -> None:
    found = understand(text, NOW, lang).command
    assert isinstance(found, c.CreateTasks)
    assert [(t.title, t.due.at.date().isoformat() if t.due else None) for t in found.tasks] == tasks


@pytest.mark.parametrize(
    ("lang", "text", "title"),
    [
        ("es", "pagar la luz mañana, es importantísimo", "pagar la luz"),
        ("es", "urgentísimo: llamar al banco", "llamar al banco"),
        ("pt", "ligar pro banco amanhã, urgentíssimo", "ligar pro banco"),
        ("pt", "importantíssimo: mandar o contrato", "mandar o contrato"),
    ],
)
def test_a_superlative_at_the_edge_is_high_priority(lang: Lang, text: str, title: str) -> None:
    found = understand(text, NOW, lang).command
    assert isinstance(found, c.CreateTask)
    assert (found.title, found.priority) == (title, "high")


def test_a_superlative_in_the_middle_stays_in_the_title() -> None:
    found = understand("apunta leer el informe importantísimo del jefe", NOW, "es").command
    assert isinstance(found, c.CreateTask)
    assert found.title == "leer el informe importantísimo del jefe"
    assert found.priority is None
