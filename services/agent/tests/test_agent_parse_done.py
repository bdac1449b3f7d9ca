"""Completion in other words: several list numbers at once, what the user did, a check mark."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from tasklane_agent.domain.language import Lang
from tasklane_agent.nlu.commands import (
    Again,
    Choose,
    CompleteTask,
    CreateTask,
    ListTasks,
    TaskRef,
    Thanks,
)
from tasklane_agent.nlu.parse import understand
from tasklane_agent.nlu.parse.done import number_refs

NOW = datetime(2026, 11, 25, 9, 0, tzinfo=ZoneInfo("Europe/London"))  # a Wednesday


def reading(lang: Lang, text: str) -> object:
    return understand(text, NOW, lang).command


def numbers(*ns: int) -> CompleteTask:
    refs = tuple(TaskRef(number=n) for n in ns)
    return CompleteTask(refs[0], refs=refs if len(refs) > 1 else ())


@pytest.mark.parametrize(
    ("lang", "text", "expected"),
    [
        ("en", "3 and 5 are done", (3, 5)),
        ("en", "2, 4 done", (2, 4)),
        ("en", "1 & 2 done!", (1, 2)),
        ("en", "1, 2 and 4 are finished", (1, 2, 4)),
        ("en", "mark 2 and 3 as done", (2, 3)),
        ("en", "complete #1 and #4", (1, 4)),
        ("en", "tick off 2 and 5", (2, 5)),
        ("en", "i did number two", (2,)),
        ("en", "already finished number 4 this morning haha", (4,)),
        ("en", "did the first and the third", (1, 3)),
        ("en", "I already did number 2 dropped it off yesterday", (2,)),
        ("en", "1 2 and 3 done", (1, 2, 3)),
        ("en", "ticked off 2 and 4", (2, 4)),
        ("en", "done with 1 and 4", (1, 4)),
        ("es", "la dos y la tres ya están hechas", (2, 3)),
        ("es", "la 1 y la 4 listas", (1, 4)),
        ("es", "terminé la 2 y la 5", (2, 5)),
        ("es", "ya hice la 1, la 2 y la 3 jaja", (1, 2, 3)),
        ("es", "la 4 ya la hice", (4,)),
        ("es", "la 2 ya la he terminado", (2,)),
        ("es", "ya terminé la tres", (3,)),
        ("pt", "terminei 1, 4 e 6", (1, 4, 6)),
        ("pt", "fiz a 2 e a 4 🙌", (2, 4)),
        ("pt", "ja fiz a 2 e a 3 tb", (2, 3)),
        ("pt", "a 1 e a 2 estão feitas", (1, 2)),
        ("pt", "a 2 já tá feita pá", (2,)),
        ("pt", "a 4 eu já fiz", (4,)),
        ("pt", "já cuidei da 3", (3,)),
    ],
)
def test_several_numbers_and_numbers_said_otherwise(lang: Lang, text: str, expected: tuple[int, ...]) -> None:
    assert reading(lang, text) == numbers(*expected)


@pytest.mark.parametrize(
    ("lang", "text", "query", "forms"),
    [
        ("en", "paid the water bill", "water bill", ("pay",)),
        ("en", "EMAILED the landlord about the boiler!!", "landlord about boiler", ("email", "emaile")),
        ("en", "dropped off the dry cleaning this morning", "dry cleaning", ("drop",)),
        ("en", "we booked the venue for saturday", "venue", ("book", "booke")),
        ("en", "submitted my essay finally 🎉", "essay", ("submit",)),
        ("en", "I've renewed the car insurance", "car insurance", ("renew", "renewe")),
        ("en", "bought the birthday present", "birthday present", ("buy",)),
        ("en", "went to the pharmacy", "pharmacy", ("go",)),
        ("en", "I have sent the invoice to Marco", "invoice Marco", ("send",)),
        ("es", "ya pagué la luz", "luz", ("pag",)),
        ("es", "ya le mande el presupuesto al cliente", "presupuesto cliente", ("mand",)),
        ("es", "compré las entradas del cine", "entradas cine", ("compr",)),
        ("es", "ya fuimos al pediatra", "pediatra", ("ir",)),
        ("es", "acabo de llamar a la aseguradora", "aseguradora", ("llam",)),
        ("es", "he enviado el informe", "informe", ("envi",)),
        ("pt", "liguei pro encanador", "encanador", ("lig",)),
        ("pt", "já paguei a conta de luz", "conta luz", ("pag",)),
        ("pt", "mandei o orçamento pro cliente ontem", "orçamento cliente", ("mand",)),
        ("pt", "devolvi o livro da biblioteca", "livro biblioteca", ("devolv",)),
        ("pt", "já fomos ao dentista", "dentista", ()),
    ],
)
def test_what_the_user_did(lang: Lang, text: str, query: str, forms: tuple[str, ...]) -> None:
    assert reading(lang, text) == CompleteTask(TaskRef(query=query, verb_forms=forms))


@pytest.mark.parametrize(
    ("lang", "text", "query"),
    [
        # A verb that only says "done" need not be in the title: the usual matching.
        ("en", "finished the slides yesterday", "slides"),
        ("en", "did the dishes lol", "dishes"),
        ("en", "finished the deck period new task book flights", "deck"),
        ("es", "terminé el informe. mañana sigo con lo demás", "informe"),
    ],
)
def test_a_completion_with_a_remark_around_it(lang: Lang, text: str, query: str) -> None:
    command = reading(lang, text)
    assert isinstance(command, CompleteTask)
    assert command.ref.query == query
    assert command.ref.verb_forms is None


@pytest.mark.parametrize(
    ("lang", "text", "expected"),
    [
        ("en", "✅ 2", numbers(2)),
        ("en", "4 ✔️", numbers(4)),
        ("en", "✅ 1, 3", numbers(1, 3)),
        ("en", "👍 gym bag", CompleteTask(TaskRef(query="gym bag"))),
        ("en", "car insurance ✅", CompleteTask(TaskRef(query="car insurance"))),
        ("es", "factura de Gómez ✔️", CompleteTask(TaskRef(query="factura Gómez"))),
        ("pt", "relatório mensal ✅", CompleteTask(TaskRef(query="relatório mensal"))),
        ("pt", "release da 1.4 ☑️", CompleteTask(TaskRef(query="release 1.4"))),
    ],
)
def test_check_marks(lang: Lang, text: str, expected: CompleteTask) -> None:
    assert reading(lang, text) == expected


@pytest.mark.parametrize(
    ("lang", "text"),
    [
        ("en", "did I pay the rent"),
        ("en", "I forgot to pay the rent"),
        ("en", "didn't call the plumber"),
        ("en", "paid the rent but not the water bill"),
        ("en", "moved the dentist to friday"),
        ("en", "added milk to the list"),
        ("en", "2 and 3 are not done"),
        ("en", "delete 1, 2 and 3"),
        ("en", "tried to call the bank"),
        ("en", "tired of the commute"),
        ("es", "no llamé al plomero"),
        ("es", "todavía no pagué la luz"),
        ("es", "¿ya pagué la luz?"),
        ("pt", "não mandei o currículo"),
        ("pt", "esqueci de pagar a conta"),
        ("pt", "ainda não liguei pro encanador"),
    ],
)
def test_not_a_completion(lang: Lang, text: str) -> None:
    assert not isinstance(reading(lang, text), CompleteTask)


@pytest.mark.parametrize(
    ("lang", "text", "expected"),
    [
        ("en", "what did I finish?", ListTasks("done")),
        ("en", "completed tasks", ListTasks("done")),
        ("en", "3", Choose(3)),
        ("en", "👍", Thanks()),
        ("en", "👍 see you tomorrow", Thanks()),
        ("es", "y la 3 también", Again(TaskRef(number=3))),
    ],
)
def test_other_readings_stay(lang: Lang, text: str, expected: object) -> None:
    assert reading(lang, text) == expected


def test_a_deadline_after_a_past_looking_word_is_a_new_task() -> None:
    command = reading("en", "fixed price quote for the Lees by friday")
    assert isinstance(command, CreateTask)


@pytest.mark.parametrize(
    ("lang", "text", "expected"),
    [
        ("en", "2 and 4", (2, 4)),
        ("en", "number three", (3,)),
        ("en", "the first, the second and the fourth", (1, 2, 4)),
        ("es", "la uno y la dos", (1, 2)),
        ("pt", "a 3 e a 1", (3, 1)),
        ("pt", "da 2", (2,)),
    ],
)
def test_number_lists(lang: Lang, text: str, expected: tuple[int, ...]) -> None:
    refs = number_refs(lang, text)
    assert refs is not None
    assert tuple(r.number for r in refs) == expected


@pytest.mark.parametrize(
    ("lang", "text"),
    [("en", "three"), ("en", "2.3"), ("en", "2 and the report"), ("en", "0 and 1"), ("es", "la 2 de mayo")],
)
def test_not_number_lists(lang: Lang, text: str) -> None:
    assert number_refs(lang, text) is None


@pytest.mark.parametrize(
    ("lang", "text", "title"),
    [
        ("en", "finished the deck period new task book the flights by friday", "book the flights"),
        ("en", "2 and 3 done. add task buy milk tomorrow", "buy milk"),
        ("es", "ya pagué la luz. nueva tarea pagar el agua el lunes", "pagar el agua"),
        ("pt", "já paguei a luz. nova tarefa pagar a água segunda", "pagar a água"),
    ],
)
def test_a_new_task_in_the_next_sentence_comes_along(lang: Lang, text: str, title: str) -> None:
    command = reading(lang, text)
    assert isinstance(command, CompleteTask)
    assert command.then is not None
    assert command.then.title == title
    assert command.then.due is not None


@pytest.mark.parametrize(
    ("lang", "text"),
    [("en", "paid the rent. thanks see you tomorrow"), ("en", "finished the deck period call me maybe")],
)
def test_only_a_command_word_makes_the_next_sentence_a_task(lang: Lang, text: str) -> None:
    command = reading(lang, text)
    assert isinstance(command, CompleteTask)
    assert command.then is None


@pytest.mark.parametrize(
    ("lang", "text"),
    [
        ("es", "lavé los platos y saqué la basura"),
        ("pt", "lavei a louça e tirei o lixo"),
        ("en", "got your message"),
    ],
)
def test_two_things_done_or_an_overloaded_verb_are_not_guessed(lang: Lang, text: str) -> None:
    assert not isinstance(reading(lang, text), CompleteTask)


def test_two_things_done_in_english_name_two_tasks_for_the_engine_to_be_sure_of() -> None:
    # Each is completed only when its words and verb name one task; else none is (engine).
    command = reading("en", "cleaned the kitchen and took out the trash")
    assert isinstance(command, CompleteTask)
    assert [(r.query, r.verb_forms) for r in command.refs] == [
        ("kitchen", ("clean", "cleane")),
        ("trash", ("take",)),
    ]


def test_when_it_was_done_is_not_part_of_the_title() -> None:
    command = reading("en", "I called earlier about the boiler")
    assert command == CompleteTask(TaskRef(query="about boiler", verb_forms=("call", "calle")))
