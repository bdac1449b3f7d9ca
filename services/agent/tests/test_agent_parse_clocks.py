"""Clocks as people write them (a dot, "half past", "y media"), settings asked for after a
run-on "so", and stretched or confessed corrections ("nooo", "me confundí")."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from tasklane_agent.domain.language import Lang
from tasklane_agent.nlu import commands as c
from tasklane_agent.nlu.dates import find_due
from tasklane_agent.nlu.parse import understand
from tasklane_agent.nlu.parse.followup import read_answer, read_follow_up

NOW = datetime(2026, 11, 25, 9, 0, tzinfo=ZoneInfo("Europe/London"))  # a Wednesday


@pytest.mark.parametrize(
    ("lang", "text", "at"),
    [
        ("en", "school play on friday at 6.15", "2026-11-27 18:15"),
        ("en", "dentist tomorrow at 10.45", "2026-11-26 10:45"),
        ("en", "call the venue at 5.30am tomorrow", "2026-11-26 05:30"),
        ("en", "staff meeting thursday at half past 3", "2026-11-26 15:30"),
        ("en", "pick up the cake at quarter to 4 on saturday", "2026-11-28 15:45"),
        ("en", "drinks at half 6 tomorrow", "2026-11-26 18:30"),
        ("en", "quarter past 11 tomorrow: ring the printers", "2026-11-26 11:15"),
        ("es", "reunión de padres el jueves a las 6.30", "2026-11-26 18:30"),
        ("es", "ensayo el sábado a las 11.15", "2026-11-28 11:15"),
        ("pt", "prova de recuperação sexta às 14.30", "2026-11-27 14:30"),
        ("pt", "buscar o bolo amanhã às 9.45", "2026-11-26 09:45"),
    ],
)
def test_a_clock_with_a_dot_or_in_words_is_a_time(lang: Lang, text: str, at: str) -> None:
    due = find_due(text, NOW, lang)
    assert due is not None
    assert due.has_time
    assert due.at.strftime("%Y-%m-%d %H:%M") == at


@pytest.mark.parametrize(
    ("lang", "text"),
    [
        ("en", "update the app to v2.10"),
        ("en", "the score was 3.25 on average"),
        ("pt", "comprar 2.50 de pão"),
    ],
)
def test_a_number_with_a_dot_elsewhere_is_no_time(lang: Lang, text: str) -> None:
    due = find_due(text, NOW, lang)
    assert due is None or not due.has_time


@pytest.mark.parametrize(
    ("lang", "text", "zone"),
    [
        (
            "en",
            "we're at my sister's in Denver till the new year so switch my timezone to Denver",
            "America/Denver",
        ),
        (
            "es",
            "me voy a Lima por trabajo hasta el lunes asi que cambia mi zona horaria a Lima",
            "America/Lima",
        ),
        ("pt", "vou passar dezembro em Lisboa então muda meu fuso pra Lisboa", "Europe/Lisbon"),
    ],
)
def test_a_setting_asked_for_after_a_run_on_so_is_set(lang: Lang, text: str, zone: str) -> None:
    assert understand(text, NOW, lang).command == c.SetTimezone(zone)


@pytest.mark.parametrize(
    ("lang", "text"),
    [
        ("en", "nooo, thursday"),
        ("es", "nooo me confundí, es el jueves"),
        ("es", "perdón, me equivoqué: el jueves"),
        ("pt", "nãooo, me confundi, é na quinta"),
    ],
)
def test_a_stretched_or_confessed_correction_is_a_correction(lang: Lang, text: str) -> None:
    found = read_follow_up(text, NOW, lang)
    assert found is not None
    assert found.correction
    assert found.due is not None
    assert found.due.at.date().isoformat() == "2026-11-26"


@pytest.mark.parametrize(
    ("text", "answer"), [("siii dale", True), ("simmm pode", True), ("nooo", False), ("kkkk", None)]
)
def test_stretched_yes_and_no_answer_the_question(text: str, answer: bool | None) -> None:
    assert read_answer(text) is answer


def test_a_half_hour_in_words_is_part_of_the_time_not_a_priority() -> None:
    found = understand("cambia la reunión con la directora a las 5 y media", NOW, "es").command
    assert isinstance(found, c.UpdateTask)
    assert found.priority is None
    assert found.due is not None
    assert found.due.at.strftime("%H:%M") == "17:30"


@pytest.mark.parametrize(
    ("text", "query", "day"),
    [
        ("la entrega de las flores se movió al lunes", "entrega de las flores", "2026-11-30"),
        ("la junta con los papás quedó para el viernes", "junta con los papás", "2026-11-27"),
        ("el ensayo de la obra fue pospuesto al 3", "ensayo de la obra", "2026-12-03"),
    ],
)
def test_a_change_told_in_spanish_changes_the_task(text: str, query: str, day: str) -> None:
    found = understand(text, NOW, "es").command
    assert isinstance(found, c.UpdateTask)
    assert found.ref.query == query
    assert found.due is not None
    assert found.due.at.date().isoformat() == day


def test_remember_me_to_is_a_reminder() -> None:
    found = understand(
        "please remember me to send the permission slips for monday, thanks", NOW, "en"
    ).command
    assert isinstance(found, c.CreateTask)
    assert found.title == "send the permission slips"
    assert found.due is not None
    assert found.due.at.date().isoformat() == "2026-11-30"
