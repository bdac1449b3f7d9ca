"""The words of dates in English, Spanish and Portuguese, folded (lower case, no accents).

Every table is keyed by the folded spelling, because the grammars match folded text: "miércoles",
"miercoles" and "MIÉRCOLES" are one key. ``alternation`` turns a table into a regex alternative,
longest first so that "septiembre" wins over "sep".
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from tasklane_agent.domain.language import Lang

MONTHS: dict[Lang, dict[str, int]] = {
    "en": {
        "january": 1, "february": 2, "march": 3, "april": 4, "may": 5, "june": 6, "july": 7,
        "august": 8, "september": 9, "october": 10, "november": 11, "december": 12,
        "jan": 1, "feb": 2, "mar": 3, "apr": 4, "jun": 6, "jul": 7, "aug": 8, "sep": 9, "sept": 9,
        "oct": 10, "nov": 11, "dec": 12,
    },
    "es": {
        "enero": 1, "febrero": 2, "marzo": 3, "abril": 4, "mayo": 5, "junio": 6, "julio": 7,
        "agosto": 8, "septiembre": 9, "setiembre": 9, "octubre": 10, "noviembre": 11, "diciembre": 12,
        "ene": 1, "feb": 2, "mar": 3, "abr": 4, "may": 5, "jun": 6, "jul": 7, "ago": 8, "sep": 9,
        "sept": 9, "set": 9, "oct": 10, "nov": 11, "dic": 12,
    },
    "pt": {
        "janeiro": 1, "fevereiro": 2, "marco": 3, "abril": 4, "maio": 5, "junho": 6, "julho": 7,
        "agosto": 8, "setembro": 9, "outubro": 10, "novembro": 11, "dezembro": 12,
        "jan": 1, "fev": 2, "mar": 3, "abr": 4, "mai": 5, "jun": 6, "jul": 7, "ago": 8, "set": 9,
        "out": 10, "nov": 11, "dez": 12,
    },
}  # fmt: skip

# Weekday stems: a folded word is that weekday when it starts with the stem (plurals, "-feira").
WEEKDAY_STEMS: dict[Lang, tuple[str, ...]] = {
    "en": ("mo", "tu", "we", "th", "fr", "sa", "su"),
    "es": ("lu", "ma", "mi", "ju", "vi", "sa", "do"),
    "pt": ("seg", "ter", "qua", "qui", "sex", "sab", "dom"),
}
# One weekday, any accepted spelling (folded); plural "s" and "-feira" are added by the grammars.
WEEKDAY_WORDS: dict[Lang, str] = {
    "en": r"(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday|mon|tues?|weds?|thur?s?|fri|sat|sun)",
    "es": r"(?:lunes|martes|miercoles|jueves|viernes|sabados?|domingos?)",
    "pt": r"(?:(?:segunda|terca|quarta|quinta|sexta)s?(?:-feiras?|\s+feiras?)?|sabados?|domingos?)",
}

NUMBERS: dict[Lang, dict[str, int]] = {
    "en": {
        "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
        "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "fifteen": 15, "twenty": 20,
        "thirty": 30, "other": 2,
    },
    "es": {
        "un": 1, "uno": 1, "una": 1, "dos": 2, "tres": 3, "cuatro": 4, "cinco": 5, "seis": 6,
        "siete": 7, "ocho": 8, "nueve": 9, "diez": 10, "once": 11, "doce": 12, "quince": 15,
        "veinte": 20, "treinta": 30, "primero": 1, "primer": 1,
    },
    "pt": {
        "um": 1, "uma": 1, "dois": 2, "duas": 2, "tres": 3, "quatro": 4, "cinco": 5, "seis": 6,
        "sete": 7, "oito": 8, "nove": 9, "dez": 10, "onze": 11, "doze": 12, "quinze": 15,
        "vinte": 20, "trinta": 30, "primeiro": 1,
    },
}  # fmt: skip


def _english_ordinals() -> dict[str, int]:
    """ "first" .. "thirty-first" (also written "thirty first")."""
    units = ["first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth"]
    teens = ["tenth", "eleventh", "twelfth", "thirteenth", "fourteenth", "fifteenth", "sixteenth",
             "seventeenth", "eighteenth", "nineteenth"]  # fmt: skip
    table = {word: i + 1 for i, word in enumerate(units)} | {word: i + 10 for i, word in enumerate(teens)}
    table |= {"twentieth": 20, "thirtieth": 30, "thirty-first": 31, "thirty first": 31}
    table |= {f"twenty{sep}{word}": 21 + i for i, word in enumerate(units) for sep in ("-", " ")}
    return table


# Days of the month said as ordinal words ("the first day of every month", "el primer día", "no
# primeiro dia"). "last" is 31: a repeating day is clamped to the month's length, so the 31st of
# every month is its last day. Spanish and Portuguese say larger days with numbers ("el día 15").
ORDINALS: dict[Lang, dict[str, int]] = {
    "en": {**_english_ordinals(), "last": 31},
    "es": {
        "primer": 1, "primero": 1, "segundo": 2, "tercer": 3, "tercero": 3, "cuarto": 4, "quinto": 5,
        "sexto": 6, "septimo": 7, "setimo": 7, "octavo": 8, "noveno": 9, "decimo": 10, "ultimo": 31,
    },
    "pt": {
        "primeiro": 1, "segundo": 2, "terceiro": 3, "quarto": 4, "quinto": 5, "sexto": 6, "setimo": 7,
        "oitavo": 8, "nono": 9, "decimo": 10, "ultimo": 31,
    },
}  # fmt: skip

# Parts of the day -> the keys of dates.common.DAYPART_HOURS.
DAYPARTS: dict[Lang, dict[str, str]] = {
    "en": {"morning": "morning", "afternoon": "afternoon", "evening": "evening", "night": "night"},
    "es": {"manana": "morning", "tarde": "afternoon", "noche": "night", "madrugada": "morning"},
    "pt": {
        "manha": "morning",
        "tarde": "afternoon",
        "noite": "night",
        "madrugada": "morning",
        "tardinha": "afternoon",
        "noitinha": "evening",
        "fim da tarde": "evening",
        "final da tarde": "evening",
    },
}

UNITS: dict[str, str] = {
    # folded singular and plural forms of the three languages -> the unit
    "minute": "minute", "minutes": "minute", "min": "minute", "mins": "minute",
    "minuto": "minute", "minutos": "minute",
    "hour": "hour", "hours": "hour", "hora": "hour", "horas": "hour",
    "day": "day", "days": "day", "dia": "day", "dias": "day",
    "week": "week", "weeks": "week", "semana": "week", "semanas": "week",
    "month": "month", "months": "month", "mes": "month", "meses": "month",
    "year": "year", "years": "year", "ano": "year", "anos": "year",
}  # fmt: skip


def alternation(words: Iterable[str]) -> str:
    """A non-capturing regex alternative of ``words``, longest first."""
    return "(?:" + "|".join(re.escape(w) for w in sorted(set(words), key=len, reverse=True)) + ")"


def number(word: str, lang: Lang) -> int | None:
    """ "3" or "tres" -> 3; None for anything else."""
    return int(word) if word.isdigit() else NUMBERS[lang].get(word)


def day_number(word: str, lang: Lang) -> int | None:
    """A day of the month said as "3", "tres", "3rd" (digits) or "third"/"tercero"/"terceiro"."""
    return number(word, lang) or ORDINALS[lang].get(" ".join(word.split()))


def weekday(word: str, lang: Lang) -> int:
    """The weekday (0=Mon) of a folded weekday word matched by ``WEEKDAY_WORDS``."""
    stems = WEEKDAY_STEMS[lang]
    for index, stem in enumerate(stems):
        if word.startswith(stem):
            return index
    raise ValueError(f"not a weekday: {word!r}")


def weekdays(words: str, lang: Lang) -> tuple[int, ...]:
    """The weekdays of a list like "mon, wed and fri" or "segundas e quartas"."""
    found = re.findall(WEEKDAY_WORDS[lang], words)
    return tuple(sorted({weekday(w, lang) for w in found}))
