"""Spanish and Portuguese due dates, against a pinned "now" (Wed 25 Nov 2026, 09:00 local).

Spanish runs in Europe/Madrid and America/New_York (a Spanish speaker in the US), Portuguese in
America/Sao_Paulo and Europe/Madrid. Accents and capitals must not matter; a weekday used as a name,
an ordinal or a noun after a number must not become a date.
"""

from __future__ import annotations

import unicodedata
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest
from date_checks import expect, title_without

from tasklane_agent.domain.language import Lang
from tasklane_agent.nlu.dates import find_due

MADRID, NEW_YORK, SAO_PAULO = (
    ZoneInfo("Europe/Madrid"),
    ZoneInfo("America/New_York"),
    ZoneInfo("America/Sao_Paulo"),
)
ES_NOWS = [datetime(2026, 11, 25, 9, 0, tzinfo=z) for z in (MADRID, NEW_YORK)]
PT_NOWS = [datetime(2026, 11, 25, 9, 0, tzinfo=z) for z in (SAO_PAULO, MADRID)]
NOW_ES, NOW_PT = ES_NOWS[0], PT_NOWS[0]


# (what follows "llamar al banco", expected local due)
ES_CASES: list[tuple[str, str]] = [
    ("hoy", "2026-11-25"),
    ("mañana", "2026-11-26"),
    ("manana", "2026-11-26"),
    ("pasado mañana", "2026-11-27"),
    ("esta noche", "2026-11-25 20:00"),
    # a time range: due at its start, on the day said with it; the whole range leaves the title
    ("de 10 a 11 mañana", "2026-11-26 10:00"),
    ("mañana de 10:30 a 11:30", "2026-11-26 10:30"),
    ("desde las 10 hasta las 11 el viernes", "2026-11-27 10:00"),
    ("entre las 3 y las 4 de la tarde", "2026-11-25 15:00"),
    ("de 8 a 10 de la noche", "2026-11-25 20:00"),
    ("mañana 10h-11h", "2026-11-26 10:00"),
    ("esta tarde", "2026-11-25 15:00"),
    ("por la mañana", "2026-11-25 09:00"),
    ("mañana por la mañana", "2026-11-26 09:00"),
    ("mañana por la tarde", "2026-11-26 15:00"),
    ("el viernes", "2026-11-27"),
    ("este viernes", "2026-11-27"),
    ("el próximo lunes", "2026-11-30"),
    ("lunes que viene", "2026-11-30"),
    ("el miercoles", "2026-12-02"),
    ("este miércoles", "2026-11-25"),
    ("el SÁBADO", "2026-11-28"),
    ("el viernes de la semana que viene", "2026-12-04"),
    ("la semana que viene", "2026-12-02"),
    ("el mes que viene", "2026-12-01"),
    ("en 2 semanas", "2026-12-09"),
    ("en dos días", "2026-11-27"),
    ("dentro de 3 días", "2026-11-28"),
    ("en media hora", "2026-11-25 09:30"),
    ("en 2 horas", "2026-11-25 11:00"),
    ("a fin de mes", "2026-11-30"),
    ("final de mes", "2026-11-30"),
    ("a finales de la semana", "2026-11-27"),
    ("el fin de semana", "2026-11-28"),
    ("fin de año", "2026-12-31"),
    ("el 5", "2026-12-05"),
    ("el día 5", "2026-12-05"),
    ("el 28", "2026-11-28"),
    ("antes del 20", "2026-12-20"),
    ("para el 5 de diciembre", "2026-12-05"),
    ("el 3 de marzo", "2027-03-03"),
    ("1 de enero de 2027", "2027-01-01"),
    ("15/12", "2026-12-15"),
    ("el 3/4", "2027-04-03"),
    ("a las 3", "2026-11-25 15:00"),
    ("a las 8", "2026-11-26 08:00"),
    ("a las 15:30", "2026-11-25 15:30"),
    ("a las 3 de la tarde", "2026-11-25 15:00"),
    ("a las 9 de la mañana", "2026-11-25 09:00"),
    ("a las 8 de la noche", "2026-11-25 20:00"),
    ("a las tres y media", "2026-11-25 15:30"),
    ("a la una", "2026-11-25 13:00"),
    ("a las 10 am", "2026-11-25 10:00"),
    ("al mediodía", "2026-11-25 12:00"),
    ("mañana a las 10", "2026-11-26 10:00"),
    ("el viernes a las 3 de la tarde", "2026-11-27 15:00"),
    ("a las 11 el viernes", "2026-11-27 11:00"),
    ("esta noche a las 9", "2026-11-25 21:00"),
    ("el lunes 30 de noviembre", "2026-11-30"),
    ("el lunes 30", "2026-11-30"),
    ("el viernes 27 a las 10", "2026-11-27 10:00"),
    ("esta noche a las 12", "2026-11-26 00:00"),
]

# (what follows "ligar pro banco", expected local due)
PT_CASES: list[tuple[str, str]] = [
    ("hoje", "2026-11-25"),
    ("amanhã", "2026-11-26"),
    ("amanha", "2026-11-26"),
    ("depois de amanhã", "2026-11-27"),
    ("hoje à noite", "2026-11-25 20:00"),
    # a time range: due at its start, on the day said with it; the whole range leaves the title
    ("das 10 às 11 amanhã", "2026-11-26 10:00"),
    ("amanhã das 14h30 às 15h", "2026-11-26 14:30"),
    ("entre 10 e 11 na sexta", "2026-11-27 10:00"),
    ("das duas às três da tarde", "2026-11-25 14:00"),
    ("amanhã 10h-11h", "2026-11-26 10:00"),
    ("hoje a noite", "2026-11-25 20:00"),
    ("de manhã", "2026-11-25 09:00"),
    ("amanhã de manhã", "2026-11-26 09:00"),
    ("amanhã à tarde", "2026-11-26 15:00"),
    ("esta noite", "2026-11-25 20:00"),
    ("na sexta", "2026-11-27"),
    ("sexta-feira", "2026-11-27"),
    ("na sexta feira", "2026-11-27"),
    ("próxima segunda", "2026-11-30"),
    ("na proxima segunda-feira", "2026-11-30"),
    ("segunda que vem", "2026-11-30"),
    ("nesta quarta", "2026-11-25"),
    ("na quarta", "2026-12-02"),
    ("no sábado", "2026-11-28"),
    ("na terca", "2026-12-01"),
    ("sexta da semana que vem", "2026-12-04"),
    ("semana que vem", "2026-12-02"),
    ("em 2 semanas", "2026-12-09"),
    ("daqui a 3 dias", "2026-11-28"),
    ("em uma hora", "2026-11-25 10:00"),
    ("no fim do mês", "2026-11-30"),
    ("final da semana", "2026-11-27"),
    ("no fim de semana", "2026-11-28"),
    ("fim de semana que vem", "2026-12-05"),
    ("dia 5", "2026-12-05"),
    ("no dia 28", "2026-11-28"),
    ("até dia 20", "2026-12-20"),
    ("até o dia 20", "2026-12-20"),
    ("20 de dezembro", "2026-12-20"),
    ("em 3 de março", "2027-03-03"),
    ("15/12", "2026-12-15"),
    ("15/12/2026", "2026-12-15"),
    ("às 15h", "2026-11-25 15:00"),
    ("às 10h30", "2026-11-25 10:30"),
    ("às 10:30", "2026-11-25 10:30"),
    ("as 9", "2026-11-25 09:00"),
    ("às 3", "2026-11-25 15:00"),
    ("às 8 da noite", "2026-11-25 20:00"),
    ("às 3 da tarde", "2026-11-25 15:00"),
    ("às duas e meia", "2026-11-25 14:30"),
    ("ao meio-dia", "2026-11-25 12:00"),
    ("amanhã às 10h", "2026-11-26 10:00"),
    ("sexta às 9h", "2026-11-27 09:00"),
    ("às 14h, sexta", "2026-11-27 14:00"),
    ("sexta, dia 27", "2026-11-27"),
    ("na segunda 30 às 9h", "2026-11-30 09:00"),
]


@pytest.mark.parametrize(("phrase", "when"), ES_CASES, ids=[c[0] for c in ES_CASES])
@pytest.mark.parametrize("now", ES_NOWS, ids=["Madrid", "New_York"])
def test_spanish_date_phrases(now: datetime, phrase: str, when: str) -> None:
    text = f"llamar al banco {phrase}"
    due = expect(find_due(text, now, "es"), now, when)
    assert due.recurrence is None
    assert due.phrase == phrase
    assert title_without(text, due) == "llamar al banco"


@pytest.mark.parametrize(("phrase", "when"), PT_CASES, ids=[c[0] for c in PT_CASES])
@pytest.mark.parametrize("now", PT_NOWS, ids=["Sao_Paulo", "Madrid"])
def test_portuguese_date_phrases(now: datetime, phrase: str, when: str) -> None:
    text = f"ligar pro banco {phrase}"
    due = expect(find_due(text, now, "pt"), now, when)
    assert due.recurrence is None
    assert due.phrase == phrase
    assert title_without(text, due) == "ligar pro banco"


MONTHLY_1ST = "FREQ=MONTHLY;INTERVAL=1;BYMONTHDAY=1"
MONTHLY_LAST = "FREQ=MONTHLY;INTERVAL=1;BYMONTHDAY=31"  # clamped: the last day of each month
# (language, sentence, first occurrence, stored rule, title left)
REPEATING: list[tuple[Lang, str, str, str, str]] = [
    ("es", "leer todas las noches a las 10", "2026-11-25 22:00", "FREQ=DAILY;INTERVAL=1;AT=22:00", "leer"),
    ("es", "limpiar los fines de semana", "2026-11-28", "FREQ=WEEKLY;INTERVAL=1;BYDAY=SA,SU", "limpiar"),
    ("pt", "ler todas as noites às 10", "2026-11-25 22:00", "FREQ=DAILY;INTERVAL=1;AT=22:00", "ler"),
    ("pt", "feira aos sábados", "2026-11-28", "FREQ=WEEKLY;INTERVAL=1;BYDAY=SA", "feira"),
    (
        "es",
        "regar las plantas cada lunes",
        "2026-11-30",
        "FREQ=WEEKLY;INTERVAL=1;BYDAY=MO",
        "regar las plantas",
    ),
    (
        "es",
        "gimnasio todos los lunes a las 9",
        "2026-11-30 09:00",
        "FREQ=WEEKLY;INTERVAL=1;BYDAY=MO;AT=09:00",
        "gimnasio",
    ),
    ("es", "regar las plantas cada dos días", "2026-11-25", "FREQ=DAILY;INTERVAL=2", "regar las plantas"),
    (
        "es",
        "pagar el alquiler el 1 de cada mes",
        "2026-12-01",
        MONTHLY_1ST,
        "pagar el alquiler",
    ),
    (
        "es",
        "tomar la pastilla todos los días a las 8 de la noche",
        "2026-11-25 20:00",
        "FREQ=DAILY;INTERVAL=1;AT=20:00",
        "tomar la pastilla",
    ),
    (
        "es",
        "limpiar la cocina cada semana",
        "2026-11-25",
        "FREQ=WEEKLY;INTERVAL=1;BYDAY=WE",
        "limpiar la cocina",
    ),
    ("es", "inglés los martes y jueves", "2026-11-26", "FREQ=WEEKLY;INTERVAL=1;BYDAY=TU,TH", "inglés"),
    (
        "es",
        "reunión de equipo de lunes a viernes a las 9:30",
        "2026-11-25 09:30",
        "FREQ=WEEKLY;INTERVAL=1;BYDAY=MO,TU,WE,TH,FR;AT=09:30",
        "reunión de equipo",
    ),
    (
        "es",
        "pagar la cuota cada mes el día 15",
        "2026-12-15",
        "FREQ=MONTHLY;INTERVAL=1;BYMONTHDAY=15",
        "pagar la cuota",
    ),
    (
        "es",
        "renovar el dominio cada año el 3 de marzo",
        "2027-03-03",
        "FREQ=YEARLY;INTERVAL=1;BYMONTH=3;BYMONTHDAY=3",
        "renovar el dominio",
    ),
    (
        "pt",
        "regar as plantas toda segunda",
        "2026-11-30",
        "FREQ=WEEKLY;INTERVAL=1;BYDAY=MO",
        "regar as plantas",
    ),
    (
        "pt",
        "academia todas as segundas às 9h",
        "2026-11-30 09:00",
        "FREQ=WEEKLY;INTERVAL=1;BYDAY=MO;AT=09:00",
        "academia",
    ),
    ("pt", "regar as plantas a cada dois dias", "2026-11-25", "FREQ=DAILY;INTERVAL=2", "regar as plantas"),
    (
        "pt",
        "pagar o aluguel todo dia 1",
        "2026-12-01",
        MONTHLY_1ST,
        "pagar o aluguel",
    ),
    (
        "pt",
        "tomar o remédio todos os dias às 20h",
        "2026-11-25 20:00",
        "FREQ=DAILY;INTERVAL=1;AT=20:00",
        "tomar o remédio",
    ),
    (
        "pt",
        "limpar a cozinha toda semana",
        "2026-11-25",
        "FREQ=WEEKLY;INTERVAL=1;BYDAY=WE",
        "limpar a cozinha",
    ),
    (
        "pt",
        "tomar o remédio todo dia às 8h",
        "2026-11-26 08:00",
        "FREQ=DAILY;INTERVAL=1;AT=08:00",
        "tomar o remédio",
    ),
    ("pt", "caminhar dia sim, dia não", "2026-11-25", "FREQ=DAILY;INTERVAL=2", "caminhar"),
    (
        "pt",
        "reunião de segunda a sexta às 9h",
        "2026-11-25 09:00",
        "FREQ=WEEKLY;INTERVAL=1;BYDAY=MO,TU,WE,TH,FR;AT=09:00",
        "reunião",
    ),
    ("pt", "inglês às terças e quintas", "2026-11-26", "FREQ=WEEKLY;INTERVAL=1;BYDAY=TU,TH", "inglês"),
    (
        "pt",
        "pagar o condomínio todo mês no dia 10",
        "2026-12-10",
        "FREQ=MONTHLY;INTERVAL=1;BYMONTHDAY=10",
        "pagar o condomínio",
    ),
    # a day of the month said as an ordinal word; the last day is the 31st, clamped to each month
    ("es", "pagar el alquiler el primer día de cada mes", "2026-12-01", MONTHLY_1ST, "pagar el alquiler"),
    ("es", "pagar el alquiler el último día de cada mes", "2026-11-30", MONTHLY_LAST, "pagar el alquiler"),
    ("es", "pagar el alquiler todos los meses el primer día", "2026-12-01", MONTHLY_1ST, "pagar el alquiler"),
    ("es", "pagar el alquiler cada primer día del mes", "2026-12-01", MONTHLY_1ST, "pagar el alquiler"),
    (
        "es",
        "cerrar la caja el tercer día de cada mes",
        "2026-12-03",
        "FREQ=MONTHLY;INTERVAL=1;BYMONTHDAY=3",
        "cerrar la caja",
    ),
    ("pt", "pagar aluguel no primeiro dia de cada mês", "2026-12-01", MONTHLY_1ST, "pagar aluguel"),
    ("pt", "pagar aluguel no último dia de cada mês", "2026-11-30", MONTHLY_LAST, "pagar aluguel"),
    ("pt", "pagar aluguel todo mês no primeiro dia", "2026-12-01", MONTHLY_1ST, "pagar aluguel"),
    ("pt", "fechar o caixa todo último dia do mês", "2026-11-30", MONTHLY_LAST, "fechar o caixa"),
]


@pytest.mark.parametrize(
    ("lang", "text", "first", "rule", "title"), REPEATING, ids=[f"{c[0]}-{c[1]}" for c in REPEATING]
)
def test_repeating_phrases(lang: Lang, text: str, first: str, rule: str, title: str) -> None:
    now = NOW_ES if lang == "es" else NOW_PT
    due = expect(find_due(text, now, lang), now, first)
    assert due.recurrence is not None
    assert due.recurrence.to_rule() == rule
    assert title_without(text, due) == title


NEGATIVES: list[tuple[Lang, str]] = [
    ("es", "llamar a Marta"),
    ("es", "comprar pan"),
    ("es", "reunión con Domingo"),
    ("es", "Domingo Pérez tiene que firmar"),
    ("es", "llamar a las 5 personas de la lista"),
    ("es", "revisar el informe diario"),
    ("es", "leer el capítulo 5"),
    ("es", "mandar 3 cajas a Sevilla"),
    ("es", "llegaré tarde a la reunión"),
    ("es", "pagar 15 euros"),
    ("pt", "ligar para o Sábado Bar"),
    ("pt", "revisar a segunda versão do contrato"),
    ("pt", "separar as 3 caixas"),
    ("pt", "comprar pão"),
    ("pt", "a quinta parte do relatório"),
    ("pt", "organizar o café da manhã da equipe"),
    ("pt", "mandar boa noite pro grupo"),
    ("pt", "comprar 2 kg de arroz"),
    ("pt", "pagar 1.50 na cantina"),
]


@pytest.mark.parametrize(
    ("lang", "text", "title"),
    [
        ("es", "invitar de 5 a 10 personas mañana", "invitar de 5 a 10 personas"),
        ("pt", "convidar de 5 a 10 pessoas amanhã", "convidar de 5 a 10 pessoas"),
        ("pt", "ler as páginas 10-12 amanhã", "ler as páginas 10-12"),
    ],
)
def test_numbers_that_are_no_time_range_stay_in_the_title(lang: Lang, text: str, title: str) -> None:
    now = ES_NOWS[0]
    due = expect(find_due(text, now, lang), now, "2026-11-26")
    assert title_without(text, due) == title


@pytest.mark.parametrize(
    ("lang", "text", "said", "when"),
    [
        ("es", "subir el parche esta noche", "21:30", "2026-11-25"),  # today, date only: not overdue
        ("es", "subir el parche hoy por la noche", "21:30", "2026-11-25"),
        ("es", "subir el parche esta noche", "18:00", "2026-11-25 20:00"),
        ("es", "subir el parche esta noche a las 11", "21:30", "2026-11-25 23:00"),
        ("es", "subir el parche mañana por la noche", "21:30", "2026-11-26 20:00"),
        ("pt", "subir o patch hoje à noite", "21:30", "2026-11-25"),
        ("pt", "subir o patch esta noite", "20:00", "2026-11-25"),
        ("pt", "subir o patch hoje à noite", "19:59", "2026-11-25 20:00"),
        ("pt", "subir o patch hoje de tarde", "16:00", "2026-11-25"),
    ],
)
def test_a_part_of_today_said_after_its_hour_is_today_date_only(
    lang: Lang, text: str, said: str, when: str
) -> None:
    now = datetime.combine(date(2026, 11, 25), time.fromisoformat(said), tzinfo=MADRID)
    due = expect(find_due(text, now, lang), now, when)
    assert title_without(text, due) in ("subir el parche", "subir o patch")


@pytest.mark.parametrize(("lang", "text"), NEGATIVES, ids=[f"{c[0]}-{c[1]}" for c in NEGATIVES])
def test_sentences_without_a_date_get_none(lang: Lang, text: str) -> None:
    assert find_due(text, NOW_ES if lang == "es" else NOW_PT, lang) is None


@pytest.mark.parametrize(
    ("lang", "text", "phrase", "title"),
    [
        (
            "es",
            "entregar el informe para el viernes por favor",
            "para el viernes",
            "entregar el informe por favor",
        ),
        ("es", "Pagar la luz antes del 20, sin falta", "antes del 20", "Pagar la luz , sin falta"),
        ("es", "MAÑANA A LAS 3 llamar a Ana", "MAÑANA A LAS 3", "llamar a Ana"),
        ("es", "el viernes 5 personas al teatro", "el viernes", "5 personas al teatro"),
        ("pt", "pagar a conta até dia 20 sem falta", "até dia 20", "pagar a conta sem falta"),
        (
            "pt",
            "Reunião com a Ana na próxima sexta às 15h na sala 2",
            "na próxima sexta às 15h",
            "Reunião com a Ana na sala 2",
        ),
    ],
)
def test_the_span_takes_the_filler_words_with_it(lang: Lang, text: str, phrase: str, title: str) -> None:
    due = find_due(text, NOW_ES if lang == "es" else NOW_PT, lang)
    assert due is not None
    assert due.phrase == phrase == text[due.start : due.end]
    assert title_without(text, due) == title


def test_spans_point_into_the_original_text_even_with_decomposed_accents() -> None:
    # "mañana" typed with a combining tilde (n + U+0303) is one letter longer than its folded form.
    text = unicodedata.normalize("NFD", "comprar el pan mañana por la mañana, sin falta")
    due = expect(find_due(text, NOW_ES, "es"), NOW_ES, "2026-11-26 09:00")
    assert unicodedata.normalize("NFC", due.phrase) == "mañana por la mañana"
    assert title_without(text, due) == "comprar el pan , sin falta"


def test_spanish_and_portuguese_next_weekday_is_the_coming_one_unlike_english() -> None:
    expect(find_due("el próximo viernes", NOW_ES, "es"), NOW_ES, "2026-11-27")
    expect(find_due("próxima sexta", NOW_PT, "pt"), NOW_PT, "2026-11-27")
    expect(find_due("next Friday", NOW_ES, "en"), NOW_ES, "2026-12-04")


def test_a_weekday_said_on_that_day_is_next_weeks_unless_this() -> None:
    friday = datetime(2026, 11, 27, 9, 0, tzinfo=MADRID)
    expect(find_due("el viernes", friday, "es"), friday, "2026-12-04")
    expect(find_due("este viernes", friday, "es"), friday, "2026-11-27")
    expect(find_due("na sexta", friday, "pt"), friday, "2026-12-04")
    expect(find_due("nesta sexta", friday, "pt"), friday, "2026-11-27")


def test_the_language_decides_the_grammar() -> None:
    # "mañana" is only a date in Spanish; "tomorrow" only in English.
    assert find_due("llamar mañana", NOW_ES, "en") is None
    assert find_due("call tomorrow", NOW_ES, "es") is None
