"""Requests said in passing, titles cleaned of what voice typing and chat leave in them, and the
dates that go with them (past, colloquial spans, meal words kept in titles), in three languages."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from tasklane_agent.domain.language import Lang
from tasklane_agent.nlu.commands import CreateTask, Help, Unknown
from tasklane_agent.nlu.parse import understand
from tasklane_agent.nlu.speech import tidy

# Wednesday 25 November 2026, 09:00.
NOW = datetime(2026, 11, 25, 9, 0, tzinfo=ZoneInfo("Europe/London"))


def _task(text: str, lang: Lang) -> CreateTask:
    command = understand(text, NOW, lang).command
    assert isinstance(command, CreateTask), f"{text!r} -> {command!r}"
    return command


def _due(task: CreateTask) -> str | None:
    if task.due is None:
        return None
    return task.due.at.strftime("%Y-%m-%dT%H:%M" if task.due.has_time else "%Y-%m-%d")


@pytest.mark.parametrize(
    ("lang", "text", "title", "due"),
    [
        # the request only, without the story before it
        (
            "en",
            "Client call went well. They want the pilot live by mid January. Remind me to send them "
            "the SOW tomorrow morning.",
            "send them the SOW",
            "2026-11-26T09:00",
        ),
        (
            "en",
            "ugh forgot AGAIN 🙈 i need to return the library form by friday",
            "return the library form",
            "2026-11-27",
        ),
        (
            "en",
            "Busy week. Please make sure I chase the landlord on Monday at 11",
            "chase the landlord",
            "2026-11-30T11:00",
        ),
        ("en", "I need to renew my passport before March", "renew my passport", "2027-03-01"),
        (
            "en",
            "i rly need to start my essay for history by dec 10 or im cooked",
            "start my essay for history",
            "2026-12-10",
        ),
        ("en", "don't let me forget the gym bag", "the gym bag", None),
        ("es", "tengo que llamar al banco el lunes", "llamar al banco", "2026-11-30"),
        (
            "es",
            "el viernes no me dejes olvidar devolverle el taladro a Pepe",
            "devolverle el taladro a Pepe",
            "2026-11-27",
        ),
        (
            "es",
            "dentro de quince dias hay q renovar el carnet de Irene",
            "renovar el carnet de Irene",
            "2026-12-10",
        ),
        (
            "es",
            "ya sali de la obra todo bien el yeso quedo bien oye el lunes tengo que llevarle el "
            "presupuesto a Ramirez",
            "llevarle el presupuesto a Ramirez",
            "2026-11-30",
        ),
        (
            "es",
            "mañana toca preparar la merienda para la excursión",
            "preparar la merienda para la excursión",
            "2026-11-26",
        ),
        (
            "es",
            "me recuerdas ir a la reunión del cole el jueves a las 6:30 de la tarde",
            "ir a la reunión del cole",
            "2026-11-26T18:30",
        ),
        ("pt", "preciso pagar a fatura amanhã", "pagar a fatura", "2026-11-26"),
        ("pt", "daqui a quinze dias tenho de voltar à obra de Braga", "voltar à obra de Braga", "2026-12-10"),
        (
            "pt",
            "o mestre de obras me ligou acabou o cimento vírgula tem que comprar areia pra obra do Centro "
            "amanhã de manhã",
            "comprar areia pra obra do Centro",
            "2026-11-26T09:00",
        ),
        (
            "pt",
            "Olha, a orientadora disse que temos de entregar o resumo do TCC até dia 15 de dezembro.",
            "entregar o resumo do TCC",
            "2026-12-15",
        ),
        (
            "pt",
            "marca-me uma reunião com a equipa comercial na terça às 15h",
            "reunião com a equipa comercial",
            "2026-12-01T15:00",
        ),
        ("en", "I can't forget to call the school tomorrow", "call the school", "2026-11-26"),
        (
            "en",
            "Meeting with Ben went fine. I have to send him the deck by Thursday.",
            "send him the deck",
            "2026-11-26",
        ),
        ("es", "acordate de llamar a la abuela el domingo", "llamar a la abuela", "2026-11-29"),
        ("es", "no te olvides de pagar la luz el viernes", "pagar la luz", "2026-11-27"),
        ("es", "no puedo olvidarme de llamar a Juan mañana", "llamar a Juan", "2026-11-26"),
        ("es", "el lunes toca reunión con el equipo a las 10", "reunión con el equipo", "2026-11-30T10:00"),
        ("es", "en un par de semanas hay que cambiar el aceite", "cambiar el aceite", "2026-12-09"),
        ("pt", "a gente precisa revisar o contrato até sexta", "revisar o contrato", "2026-11-27"),
        ("pt", "não posso esquecer de ligar pra Ana amanhã", "ligar pra Ana", "2026-11-26"),
        ("pt", "amanhã tenho que ir ao banco", "ir ao banco", "2026-11-26"),
        ("en", "i should probably start the essay this weekend", "start the essay", "2026-11-28"),
        ("en", "I have a dentist appointment on friday at 3pm", "dentist appointment", "2026-11-27T15:00"),
        (
            "es",
            "oye apunta que el lunes hay que ir a la obra de Juan a las 8",
            "ir a la obra de Juan",
            "2026-11-30T08:00",
        ),
        ("es", "necesito que me recuerdes pagar la tarjeta el 15", "pagar la tarjeta", "2026-12-15"),
        ("es", "tengo parcial de química el lunes a las 9", "parcial de química", "2026-11-30T09:00"),
        ("es", "mañana temprano llamar al técnico", "llamar al técnico", "2026-11-26T09:00"),
        ("es", "pon ahí comprar pintura mañana", "comprar pintura", "2026-11-26"),
        ("pt", "tenho prova de cálculo na sexta às 8", "prova de cálculo", "2026-11-27T08:00"),
        (
            "pt",
            "bota aí reunião com o fornecedor quinta às 14h",
            "reunião com o fornecedor",
            "2026-11-26T14:00",
        ),
        (
            "pt",
            "ô, amanhã cedo tem que buscar o material na loja",
            "buscar o material na loja",
            "2026-11-26T09:00",
        ),
    ],
)
def test_a_request_in_passing_is_a_task_of_its_own_words(
    lang: Lang, text: str, title: str, due: str | None
) -> None:
    task = _task(text, lang)
    assert (task.title, _due(task)) == (title, due)


@pytest.mark.parametrize(
    ("lang", "text", "title"),
    [
        (
            "en",
            "remind me to call the plumber about the leak tomorrow at 8 am period",
            "call the plumber about the leak",
        ),
        ("en", "remind me to to call the the bank about the loan on 12/15", "call the bank about the loan"),
        ("en", "ok um add uh pick up the ladder from the depot asap", "pick up the ladder from the depot"),
        ("en", "add water the plants tomorrow pls", "water the plants"),
        ("es", "recuérdame llamar a la señora Pilar mañana a las 10 punto", "llamar a la señora Pilar"),
        (
            "es",
            "no me dejes olvidar pedirle el informe a Caro, mañana sin falta",
            "pedirle el informe a Caro",
        ),
        ("es", "anotame cita con la pediatra el martes 9hs porfa", "cita con la pediatra"),
        (
            "pt",
            "Me lembra me lembra de levar o orçamento pro condomínio quinta às 2 da tarde vírgula",
            "levar o orçamento pro condomínio",
        ),
        (
            "pt",
            "por favor me lembra de assinar a agenda da Bia hoje à noite sem falta",
            "assinar a agenda da Bia",
        ),
        ("pt", "anota aí revisar a planilha amanhã ponto", "revisar a planilha"),
        ("es", "xfa anota comprar pan mañana", "comprar pan"),
        ("en", "call mom tmrw pls", "call mom"),
    ],
)
def test_titles_lose_dictation_fillers_and_repeats(lang: Lang, text: str, title: str) -> None:
    assert _task(text, lang).title == title


@pytest.mark.parametrize(
    ("lang", "text", "title", "due"),
    [
        ("en", "Remind me to call Ana tomorrow. She's back from holidays.", "call Ana", "2026-11-26"),
        (
            "en",
            "I need to renew the car insurance. It expires on the 30th.",
            "renew the car insurance",
            "2026-11-30",
        ),
        ("en", "remind me to call the bank tomorrow, they close at 4", "call the bank", "2026-11-26"),
        ("en", "remind me to email Dr. Smith tomorrow", "email Dr. Smith", "2026-11-26"),
        (
            "es",
            "recuérdame llamar a la Sra. Pérez mañana. Ya volvió de vacaciones.",
            "llamar a la Sra. Pérez",
            "2026-11-26",
        ),
        ("es", "tengo que pagar la luz el viernes, que si no me la cortan", "pagar la luz", "2026-11-27"),
        ("pt", "me lembra de ligar pra Ana amanhã. Ela voltou de férias.", "ligar pra Ana", "2026-11-26"),
        ("pt", "preciso pagar a luz sexta senão cortam", "pagar a luz", "2026-11-27"),
    ],
)
def test_the_sentences_and_remarks_after_a_request_stay_out_of_its_title(
    lang: Lang, text: str, title: str, due: str
) -> None:
    task = _task(text, lang)
    assert (task.title, _due(task)) == (title, due)


def test_a_remark_after_a_comma_still_says_the_priority() -> None:
    assert understand("pay rent tomorrow, it's important", NOW, "en").command == CreateTask(
        title="pay rent", priority="high", due=_task("pay rent tomorrow", "en").due
    )


@pytest.mark.parametrize(
    ("lang", "text", "priority"),
    [
        ("es", "urgente asap conseguir el permiso de obra para la calle Mayor", "high"),
        ("en", "ok um add uh pick up the ladder from the depot asap", "high"),
        ("pt", "me lembra de ligar pro contador amanhã sem falta", None),
    ],
)
def test_asap_and_urgent_mean_high_sin_falta_means_nothing(
    lang: Lang, text: str, priority: str | None
) -> None:
    assert _task(text, lang).priority == priority


@pytest.mark.parametrize(
    ("lang", "text", "due"),
    [
        ("es", "anota pagar la luz que vencía ayer", "2026-11-24"),
        ("es", "agrega pagar el seguro, venció el lunes pasado", "2026-11-23"),
        ("es", "se me olvidó llamar al dentista anteayer", "2026-11-23"),
        ("es", "anota mandar el informe de la semana pasada", "2026-11-18"),
        ("pt", "esqueci de ligar pro contador ontem", "2026-11-24"),
        ("pt", "anota pagar o IPVA que venceu segunda passada", "2026-11-23"),
        ("pt", "anota pagar a luz, venceu anteontem", "2026-11-23"),
        ("en", "add renew the tv licence, was due yesterday", "2026-11-24"),
    ],
)
def test_past_days_in_every_language(lang: Lang, text: str, due: str) -> None:
    assert _due(_task(text, lang)) == due


@pytest.mark.parametrize(
    ("lang", "text", "title", "due"),
    [
        ("en", "add renew the car insurance, it was due monday 😬", "renew the car insurance", "2026-11-23"),
        ("en", "add submit my timesheet - it was due last friday", "submit my timesheet", "2026-11-20"),
        (
            "es",
            "se me pasó cobrarle la seña a don Hernán eso era para el lunes",
            "cobrarle la seña a don Hernán",
            "2026-11-23",
        ),
        (
            "pt",
            "anota aí entregar o orçamento pro seu Nelson era pra ter entregado dia 20 já tô atrasado",
            "entregar o orçamento pro seu Nelson",
            "2026-11-20",
        ),
    ],
)
def test_a_past_due_date_makes_an_overdue_task(lang: Lang, text: str, title: str, due: str) -> None:
    task = _task(text, lang)
    assert (task.title, _due(task)) == (title, due)


@pytest.mark.parametrize(
    ("lang", "text", "title", "due"),
    [
        ("en", "book the eye test in a fortnight", "book the eye test", "2026-12-09"),
        (
            "en",
            "follow up with the Smiths on the quote in a couple weeks",
            "follow up with the Smiths on the quote",
            "2026-12-09",
        ),
        ("en", "check the drains in a few days", "check the drains", "2026-11-28"),
        ("en", "remind me to book the venue by mid January", "book the venue", "2027-01-15"),
        ("en", "team breakfast friday 8:30", "team breakfast", "2026-11-27T08:30"),
        ("en", "dinner with Ana on Friday", "dinner with Ana", "2026-11-27"),
        ("en", "pay the school trip money fri", "pay the school trip money", "2026-11-27"),
        ("en", "movie night friday at 8", "movie night", "2026-11-27T20:00"),
        ("en", "parents evening next wednesday at 6:30pm", "parents evening", "2026-12-02T18:30"),
        ("en", "remind me to cover her 1:1s on Monday", "cover her 1:1s", "2026-11-30"),
        ("es", "renovar el abono en quince días", "renovar el abono", "2026-12-10"),
        ("es", "necesito sacar copias antes del lunes", "sacar copias", "2026-11-30"),
        ("es", "cena con Ana el viernes", "cena con Ana", "2026-11-27"),
        ("pt", "trocar o filtro em duas semanas", "trocar o filtro", "2026-12-09"),
        (
            "pt",
            "almoço de fim de ano com o time dia 18 ao meio-dia",
            "almoço de fim de ano com o time",
            "2026-12-18T12:00",
        ),
        ("pt", "reunião com o síndico amanhã 16hs", "reunião com o síndico", "2026-11-26T16:00"),
    ],
)
def test_colloquial_dates_and_meal_words(lang: Lang, text: str, title: str, due: str) -> None:
    task = _task(text, lang)
    assert (task.title, _due(task)) == (title, due)


@pytest.mark.parametrize(
    ("lang", "text"),
    [
        ("en", "long day today, so tired"),
        ("en", "Client call went well. They want the pilot live by mid January."),
        ("en", "what do we still need to do for the launch"),
        ("en", "I don't need to call mom tomorrow"),
        ("en", "They need to fix the roof by friday"),
        ("en", "i need to"),
        ("en", "I have a question about tomorrow"),
        ("en", "I have a headache today"),
        ("en", "I should have called mom yesterday"),
        ("es", "tengo mucho trabajo mañana"),
        ("es", "oye te debo una cerveza el viernes"),
        ("pt", "te devo uma cerveja sexta"),
        ("es", "ya no tengo que ir al banco el lunes"),
        ("es", "qué día largo hoy, estoy agotada"),
        ("pt", "hoje foi um dia longo, tô morta"),
        # what happened on a day already past asks for nothing (completion is read elsewhere)
        ("en", "paid the rent yesterday"),
        ("es", "ayer fui al gimnasio"),
        ("pt", "ontem paguei a luz"),
    ],
)
def test_a_story_without_a_request_creates_nothing(lang: Lang, text: str) -> None:
    assert not isinstance(understand(text, NOW, lang).command, CreateTask)


def test_i_need_help_is_help_not_a_task() -> None:
    assert isinstance(understand("I need help", NOW, "en").command, Help | Unknown)


@pytest.mark.parametrize(
    ("lang", "text"),
    [
        ("en", "track my period"),
        ("en", "read the chapter about the period of the Tudors"),
        ("es", "revisar el punto de venta"),
        ("pt", "esperar no ponto de ônibus"),
    ],
)
def test_punctuation_words_that_are_nouns_stay(lang: Lang, text: str) -> None:
    assert tidy(text, lang) == text


def test_tidy_keeps_the_length() -> None:
    text = "Me lembra me lembra de levar o orçamento vírgula é importante ponto"
    assert len(tidy(text, "pt")) == len(text)
