"""Which language a message is written in, and the folding the parsers match on (pure)."""

from __future__ import annotations

import pytest

from tasklane_agent.domain.language import LANGS, Lang
from tasklane_agent.nlu.language import detect, fold


@pytest.mark.parametrize(
    ("text", "default", "expected"),
    [
        # Whole sentences switch to their language.
        ("crea una tarea para revisar los informes el viernes", "en", "es"),
        ("recuérdame llamar al dentista mañana por la mañana, es importante", "pt", "es"),
        ("recuerdame comprar pan manana", "en", "es"),
        ("¿qué tengo vencido?", "en", "es"),
        ("mis tareas", "en", "es"),
        ("cria uma tarefa pra revisar os relatórios até sexta", "en", "pt"),
        ("me lembra de ligar pro dentista amanhã de manhã, é importante", "es", "pt"),
        ("o que está atrasado?", "en", "pt"),
        ("minhas tarefas", "es", "pt"),
        ("vc pode me lembrar de mandar o email amanha", "en", "pt"),
        ("Create a task to review the quarterly reports by Friday", "es", "en"),
        ("my tasks", "pt", "en"),
        ("what's overdue?", "es", "en"),
        # Short, symbolic or shared words keep the user's language.
        ("ok", "es", "es"),
        ("#3", "pt", "pt"),
        ("👍", "es", "es"),
        ("3", "en", "en"),
        ("sí", "en", "en"),
        ("si", "pt", "pt"),
        ("gracias", "en", "en"),
        ("sim", "en", "en"),
        ("obrigado", "es", "es"),
        ("no", "pt", "pt"),
        ("Website Relaunch", "es", "es"),
        ("", "pt", "pt"),
        # Spanish/Portuguese words that are spelled the same do not count.
        ("para semana", "en", "en"),
        # Mixed messages go to the language with more words; a tie keeps the current one.
        ("hola, my tasks", "es", "en"),
        ("my tasks, mis tareas", "pt", "pt"),
    ],
)
def test_detect(text: str, default: Lang, expected: Lang) -> None:
    assert detect(text, default) == expected


@pytest.mark.parametrize("default", LANGS)
def test_a_clear_sentence_wins_over_any_default(default: Lang) -> None:
    assert detect("por favor borra la tarea del gimnasio", default) == "es"
    assert detect("por favor apaga a tarefa da academia", default) == "pt"
    assert detect("please delete the gym task", default) == "en"


@pytest.mark.parametrize(
    ("text", "folded"),
    [
        ("Mañana", "manana"),
        ("Você TÁ aí?", "voce ta ai?"),
        ("Ação", "acao"),
        ("don\u2019t", "don't"),
        ("\u201cquoted\u201d", '"quoted"'),
        ("İstanbul", "istanbul"),
        ("👍 ok", "👍 ok"),
    ],
)
def test_fold_keeps_offsets(text: str, folded: str) -> None:
    assert fold(text) == folded
    assert len(fold(text)) == len(text)
