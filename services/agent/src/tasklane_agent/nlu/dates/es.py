"""Spanish date patterns for ``romance`` (over folded text: lower case, no accents).

Covers hoy/mañana/pasado mañana, esta noche, por la tarde, weekdays ("el viernes", "este
viernes", "el próximo lunes", "lunes que viene"), "en 2 semanas", "dentro de 3 días", "fin de
mes", "fin de semana", "el 5", "el día 5", "antes del 20", "5 de diciembre", 15/12, and times
("a las 3", "a las 15:30", "a las 3 de la tarde", "al mediodía").
"""

from __future__ import annotations

from datetime import time

from tasklane_agent.nlu.dates.romance import Grammar
from tasklane_agent.nlu.dates.words import MONTHS, NUMBERS, alternation

_WD = r"(?:lunes|martes|miercoles|jueves|viernes|sabado|domingo)"
_MONTH = alternation(MONTHS["es"])
_NUM = r"(?:\d{1,3}|" + alternation(NUMBERS["es"]) + ")"
_HOURS = alternation(["una", "dos", "tres", "cuatro", "cinco", "seis", "siete", "ocho", "nueve", "diez",
                      "once", "doce"])  # fmt: skip
_DAY = r"(?P<d>3[01]|[12]\d|0?[1-9]|primero)"

# Words that may follow a bare hour or day number ("a las 5 el viernes", not "a las 5 personas").
_FOLLOW_OK = frozenset({
    "a", "al", "por", "para", "antes", "y", "o", "hasta", "en", "sin", "temprano", "hoy", "manana",
    "pasado", "este", "esta", "el", "la", "proximo", "que", "cada", "todos", "todas", "punto",
    "horas", "hs",
})  # fmt: skip

GRAMMAR = Grammar(
    lang="es",
    today=r"\bhoy(?:\s+mismo)?\b",
    tomorrow=r"\bmanana\b",
    after_tomorrow=r"\bpasado\s+manana\b",
    yesterday=r"\bayer\b",
    before_yesterday=r"\b(?:anteayer|antier|antes\s+de\s+ayer)\b",
    last_week=r"\b(?:la\s+)?semana\s+pasada\b",
    today_part=r"\besta\s+(?P<part>manana|tarde|noche)\b",
    weekday=(
        r"\b(?:(?P<this>este)\s+|(?:el\s+)?(?P<next>proximo)\s+|el\s+)?"
        rf"(?P<wd>{_WD})(?:\s+(?P<next2>que\s+viene|proximo)|\s+(?P<last>pasado)(?!\s+manana))?"
        r"(?:\s+(?P<nextweek>de\s+la\s+(?:proxima\s+semana|semana\s+que\s+viene)))?\b"
        # "el lunes 30", "sexta 27": the day number decides.
        r"(?:,?\s+(?P<dn>3[01]|[12]\d|0?[1-9])\b(?![:/.,]?\d|\s*%|\s+de\s))?"
    ),
    weekend=(
        r"\b(?:(?:este|el|(?P<next>proximo))\s+)?(?:fin\s+de\s+semana|finde)"
        r"(?:\s+(?P<next2>que\s+viene|proximo))?\b"
    ),
    end_of=(
        r"\b(?:a\s+)?(?:fin|final|finales)\s+(?:"
        r"del?\s+(?:(?P<next>proximo)\s+)?(?P<unit>mes|ano|dia)(?:\s+(?P<next2>que\s+viene))?"
        r"|de\s+(?:la|esta)\s+(?:(?P<nextw>proxima)\s+)?(?P<unitw>semana)(?:\s+(?P<nextw2>que\s+viene))?)\b"
    ),
    next_period=(
        r"\b(?:(?:la|el)\s+)?(?:(?:proxima|proximo)\s+(?P<unit>semana|mes|ano)"
        r"|(?P<unit2>semana|mes|ano)\s+(?:que\s+viene|proxima|proximo))\b"
    ),
    relative=(
        rf"\b(?:en|dentro\s+de)\s+(?:(?P<n>{_NUM}|(?:un\s+)?par\s+de)\s+"
        r"(?P<unit>minutos?|horas?|dias?|semanas?|mes|meses|anos?)|(?P<half>media)\s+hora)\b"
    ),
    day_number=r"\b(?:(?:el|del|al)\s+(?P<dia>dia\s+)?|(?P<dia2>dia)\s+)(?P<d>3[01]|[12]\d|0?[1-9])\b(?![:/.,]?\d|\s*%|\s+de\s)",
    day_month=(
        rf"\b(?:(?:el|del|al)\s+)?(?:dia\s+)?{_DAY}(?:º|°)?\s+(?:de\s+)?(?P<mon>{_MONTH})\b\.?"
        r"(?:\s+(?:de|del)\s+(?P<y>\d{4})|\s+(?P<y2>\d{4}))?"
    ),
    clock=(
        r"(?:\b(?P<lead>(?:a|hacia|sobre|para|desde|antes\s+de|despues\s+de|(?:a\s+)?eso\s+de)\s+las?)\s+)?"
        rf"\b(?P<h>2[0-3]|[01]?\d|{_HOURS})(?!\d)(?:(?P<sep>:|h(?!r?s\b))(?P<m>[0-5]\d)?)?(?:\s*(?P<hs>horas|hs|hrs)\b)?"
        r"(?:\s*(?P<ampm>[ap])\.?\s?m\b\.?)?(?:\s+y\s+(?P<frac>media|cuarto)|\s+menos\s+(?P<minus>cuarto))?"
        r"(?:\s+(?:de|en|por)\s+la\s+(?P<part>manana|tarde|noche|madrugada))?"
    ),
    time_range=(
        rf"\b(?:de|desde|entre)\s+(?:las?\s+)?(?P<h>2[0-3]|[01]?\d|{_HOURS})(?!\d)(?:(?P<sep>:|h(?!r?s\b))(?P<m>[0-5]\d)?)?"
        r"(?:\s*(?:horas|hs|hrs)\b)?\s+(?:a|hasta|y)\s+(?:las?\s+)?"
        rf"(?P<h2>2[0-3]|[01]?\d|{_HOURS})(?!\d)(?:(?P<sep2>:|h(?!r?s\b))(?:[0-5]\d)?)?(?:\s*(?:horas|hs|hrs)\b)?"
        r"(?:\s+(?:de|en|por)\s+la\s+(?P<part>manana|tarde|noche|madrugada))?"
    ),
    named_clock=r"\b(?:(?:a|al|hacia|sobre|para|antes\s+del?)\s+(?:el\s+|la\s+)?)?(?P<named>mediodia|medianoche)\b",
    # "temprano", "a primera hora": the morning.
    daypart=(
        r"\b(?:(?:por|en|a|durante)\s+la\s+(?P<part>manana|tarde|noche|madrugada)"
        r"|(?:bien\s+|muy\s+)?temprano|a\s+primera\s+hora(?:\s+de\s+la\s+manana)?)\b"
    ),
    filler=(
        r"(?:\b(?:para|pa|antes(?:\s+del?)?|hasta|a\s+mas\s+tardar|como\s+muy\s+tarde|como\s+maximo"
        r"|no\s+mas\s+tarde\s+del?|vence|con\s+fecha(?:\s+de)?|fecha(?:\s+de)?|el)\s+)+$"
    ),
    follow_ok=_FOLLOW_OK,
    name_preps=frozenset(["a", "con", "de", "y", "e", "para", "por", "que"]),
    named_times={"mediodia": time(12), "medianoche": time(0)},
)
