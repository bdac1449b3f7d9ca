"""The rule parser on questions about one task or one project, and on tasks filed under a project
by the name the user has for it, in the three languages. Pure; no servers.

The clock is pinned to Wed 25 Nov 2026 09:00 in Madrid.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from tasklane_agent.domain.language import Lang
from tasklane_agent.domain.names import content_words, match_names
from tasklane_agent.nlu.commands import (
    AddMember,
    AssignTask,
    Command,
    CompleteTask,
    CreateInProject,
    CreateTask,
    ListTasks,
    MoveTask,
    TaskDue,
    TaskRef,
    UpdateTask,
)
from tasklane_agent.nlu.parse import understand

NOW = datetime(2026, 11, 25, 9, 0, tzinfo=ZoneInfo("Europe/Madrid"))  # a Wednesday
IT = TaskRef(pronoun=True)


def reading(text: str, lang: Lang) -> Command:
    return understand(text, NOW, lang).command


def q(words: str) -> TaskRef:
    return TaskRef(query=words)


@pytest.mark.parametrize(
    ("lang", "text", "words"),
    [
        ("en", "when's the dentist?", "dentist"),
        ("en", "when is the walkthrough at the chen house", "walkthrough at the chen house"),
        ("en", "when's my stats midterm again", "stats midterm"),
        ("en", "what time is the parent evening?", "parent evening"),
        ("en", "when do I have the dentist", "dentist"),
        ("en", "when can I call?", "call"),
        ("es", "a que hora tenia la visita a la obra de olivos", "visita a la obra de olivos"),
        ("es", "para cuándo era lo de Techint?", "Techint"),
        ("es", "cuando es mi exposicion de historia del arte?", "exposicion de historia del arte"),
        ("es", "cuándo tengo que entregar el informe?", "entregar el informe"),
        ("pt", "quando é a consulta da Sofia?", "consulta da Sofia"),
        ("pt", "que dia é a reunião de pais?", "reunião de pais"),
        ("pt", "quando vence o IPVA mesmo?", "IPVA"),
        ("pt", "quando que é a prova de cálculo?", "prova de cálculo"),
        ("pt", "e o IPVA, vence quando?", "IPVA"),
        ("en", "by when do I need to send the invoice?", "send the invoice"),
        ("es", "y la entrega, es para cuándo?", "entrega"),
    ],
)
def test_when_a_task_is(lang: Lang, text: str, words: str) -> None:
    assert reading(text, lang) == TaskDue(q(words))


@pytest.mark.parametrize(
    ("lang", "text"),
    [
        ("en", "when is it due?"),
        ("es", "¿para cuándo es eso?"),
        ("pt", "quando é isso?"),
    ],
)
def test_when_the_task_just_talked_about_is(lang: Lang, text: str) -> None:
    assert reading(text, lang) == TaskDue(IT)


@pytest.mark.parametrize(
    ("lang", "text"),
    [
        ("en", "what time is it?"),
        ("en", "what day is tomorrow?"),
        ("es", "que dia es hoy?"),
        ("es", "cuando puedas, llama a Juan"),
        ("en", "when is everything due?"),
    ],
)
def test_not_about_a_task(lang: Lang, text: str) -> None:
    assert not isinstance(reading(text, lang), TaskDue | CreateTask | CompleteTask)


@pytest.mark.parametrize(
    ("lang", "text", "project"),
    [
        ("en", "what's left in Q3 Launch?", "Q3 Launch"),
        ("en", "what do we still need to do for the marketing group project", "marketing group"),
        ("en", "anything still open on the garden project?", "garden"),
        ("es", "que falta en la remodelacion de la cocina", "remodelacion de la cocina"),
        ("es", "q falta en migracion nube?", "migracion nube"),
        ("es", "¿qué nos queda por hacer en el proyecto Casa?", "Casa"),
        ("pt", "o que falta na reforma da granja viana", "reforma da granja viana"),
        ("pt", "oq ainda falta fazer no projeto mudança?", "mudança"),
    ],
)
def test_whats_left_in_a_project(lang: Lang, text: str, project: str) -> None:
    assert reading(text, lang) == ListTasks(scope="open", project=project)


@pytest.mark.parametrize(
    ("lang", "text", "scope"),
    [
        ("en", "what's left for today?", "today"),
        ("pt", "o que que tá marcado pra hoje", "today"),
        ("pt", "amanha tem oq?", "tomorrow"),
        ("pt", "tem alguma coisa vencida ai?", "overdue"),
        ("pt", "lista tudo q eu tenho", "all"),
        ("pt", "mostra-me as minhas tarefas", "open"),
        ("pt", "me manda minha lista de tarefas", "open"),
        ("pt", "bora ver a lista", "open"),
        ("es", "pásame mi lista", "open"),
        ("es", "qué tengo agendado para hoy?", "today"),
        ("en", "send me my list", "open"),
        ("en", "what's scheduled for today", "today"),
    ],
)
def test_day_and_list_questions(lang: Lang, text: str, scope: str) -> None:
    assert reading(text, lang) == ListTasks(scope=scope)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("lang", "text", "ref", "project"),
    [
        ("en", "file the dr alvarez meeting under dissertation", q("dr alvarez meeting"), "dissertation"),
        (
            "en",
            "that deprecation notice belongs in platform migration",
            q("deprecation notice"),
            "platform migration",
        ),
        ("en", "the removal van one should be in house move", q("removal van"), "house move"),
        (
            "es",
            "mové el checklist de bienvenida al proyecto onboarding",
            q("checklist de bienvenida"),
            "onboarding",
        ),
        ("es", "pasá lo del seguro del auto al proyecto vacaciones", q("seguro del auto"), "vacaciones"),
        (
            "pt",
            "move configurar o monitoramento pro projeto de migracao",
            q("configurar o monitoramento"),
            "migracao",
        ),
    ],
)
def test_filing_a_task_by_its_words(lang: Lang, text: str, ref: TaskRef, project: str) -> None:
    command = reading(text, lang)
    if isinstance(command, UpdateTask) and command == UpdateTask(command.ref, project=command.project):
        # A change of project alone: the engine files it as the same move.
        command = MoveTask(command.ref, command.project or "")
    assert isinstance(command, MoveTask)
    assert (command.ref, command.project, command.adds) == (ref, project, False)


@pytest.mark.parametrize(
    ("lang", "text", "project"),
    [
        ("en", "put it under Dissertation", "Dissertation"),
        ("es", "ponla en Casa Pedregal", "Casa Pedregal"),
        ("pt", "põe isso no Natal", "Natal"),
    ],
)
def test_filing_the_task_just_talked_about(lang: Lang, text: str, project: str) -> None:
    command = reading(text, lang)
    assert isinstance(command, UpdateTask | MoveTask)
    assert command.project == project
    assert command.ref in (IT, TaskRef())


def test_a_lower_case_word_is_a_task_not_a_teammate() -> None:
    # "poe o peru no projeto natal": the turkey, which is read as a teammate only when no task
    # is about it (the engine decides). "o peru", with its article, names a thing the user has.
    command = reading("poe o peru no projeto natal", "pt")
    assert command == MoveTask(q("peru"), "natal", otherwise=AddMember("natal", "peru"), definite=True)


@pytest.mark.parametrize(
    ("lang", "text", "expected"),
    [
        ("en", "add Ana to the Website project", AddMember("Website", "Ana")),
        ("es", "mete a Marta en el proyecto Mudanza", AddMember("Mudanza", "Marta")),
        ("es", "pasa la tarea a Juan", AssignTask(TaskRef(), "Juan")),
    ],
)
def test_people_stay_people(lang: Lang, text: str, expected: Command) -> None:
    assert reading(text, lang) == expected


@pytest.mark.parametrize(
    ("lang", "text"),
    [
        ("en", "move the report to Monday"),
        ("en", "add milk to my list"),
        ("es", "pon la reunión en la agenda"),
        ("pt", "bota prioridade alta na 3"),
    ],
)
def test_not_a_move(lang: Lang, text: str) -> None:
    assert not isinstance(reading(text, lang), MoveTask)


def test_a_new_task_in_a_project_with_a_colon() -> None:
    command = reading("coloca no projeto mudanca: desligar a internet do apto antigo dia 10", "pt")
    assert isinstance(command, CreateTask)
    assert (command.title, command.project) == ("desligar a internet do apto antigo", "mudanca")
    assert command.due is not None
    assert command.due.at.day == 10


def test_add_the_task_to_a_project_carries_the_new_task_too() -> None:
    command = reading("add the visa task to Travel", "en")
    assert isinstance(command, MoveTask)
    assert command.ref == q("visa")
    assert command.project == "Travel"
    assert command.adds
    assert command.definite  # "the ... task": a task holding the words is the one meant
    assert isinstance(command.otherwise, CreateTask)


def test_lo_de_points_at_a_task_the_user_has() -> None:
    command = reading("mete lo del impermeabilizante en el proyecto de casa pedregal", "es")
    assert isinstance(command, MoveTask)
    assert (command.ref, command.project, command.definite) == (q("impermeabilizante"), "casa pedregal", True)


def test_adding_a_lower_case_word_may_be_a_new_task() -> None:
    command = reading("add call to the sales project", "en")
    assert isinstance(command, MoveTask)
    assert command.adds
    assert not command.definite


PROJECTS = [
    "Q3 Product Launch",
    "Remodelación Cocina Chapinero",
    "Reforma Casa Granja Viana",
    "Edifício Solar das Palmeiras",
    "Migração AWS",
    "Vacaciones en la Costa",
    "Launch Party",
    "Bathroom Reno",
]


@pytest.mark.parametrize(
    ("typed", "found"),
    [
        ("q3 launch", ["Q3 Product Launch"]),
        ("remodelacion de la cocina", ["Remodelación Cocina Chapinero"]),
        ("reforma da granja viana", ["Reforma Casa Granja Viana"]),
        ("obra do solar", ["Edifício Solar das Palmeiras"]),
        ("migracao", ["Migração AWS"]),
        ("vacaciones", ["Vacaciones en la Costa"]),
        ("VACACIONES EN LA COSTA", ["Vacaciones en la Costa"]),
        ("bathrom reno", ["Bathroom Reno"]),  # one letter off
        ("launch", ["Launch Party", "Q3 Product Launch"]),  # two: the user is asked which
        ("kitchen reno", []),  # "reno" alone is not enough: "kitchen" is in no name
        ("moonshot", []),
    ],
)
def test_projects_by_the_users_words(typed: str, found: list[str]) -> None:
    assert [PROJECTS[i] for i in match_names(typed, PROJECTS)] == found


def test_a_tasks_words_without_the_joining_ones() -> None:
    assert content_words("the walkthrough at the Chen house") == "walkthrough chen house"
    assert content_words("lo del seguro del auto") == "seguro auto"


@pytest.mark.parametrize(
    ("lang", "text", "title"),
    [
        (
            "pt",
            "põe na obra do solar impermeabilizar a laje até dia 5",
            "obra do solar impermeabilizar a laje",
        ),
        ("es", "pon en casa pedregal comprar cemento", "casa pedregal comprar cemento"),
        ("en", "put in garden plant the bulbs", "garden plant the bulbs"),
    ],
)
def test_a_new_task_whose_title_begins_with_a_project(lang: Lang, text: str, title: str) -> None:
    # The engine finds where the project's name ends; the parser cannot know it.
    command = reading(text, lang)
    assert isinstance(command, CreateInProject)
    assert command.task.title == title


@pytest.mark.parametrize(
    ("lang", "text"),
    [("es", "ponla en casa pedregal"), ("pt", "move pro projeto de migracao"), ("pt", "põe no Natal")],
)
def test_a_move_of_the_last_task_is_no_new_task(lang: Lang, text: str) -> None:
    assert not isinstance(reading(text, lang), CreateInProject)
