"""What voice typing and chat habits leave in a message, taken out before it is read.

Voice typing writes punctuation as words ("call the county period", "vírgula é importante",
"punto"), keeps hesitations ("ok um add uh ...") and repeats ("remind me to to call the the
county", "me lembra me lembra de"). Chat adds fillers that belong to no title ("pls", "porfa",
"sem falta"). Every function here returns text of the *same length* (words become spaces or
punctuation padded with spaces), so the offsets the parsers cut titles at stay valid.
"""

from __future__ import annotations

import re

from tasklane_agent.domain.language import Lang
from tasklane_agent.nlu.language import fold

# Punctuation said as a word. A comma word is punctuation anywhere; a full stop only where it cannot
# be the noun: at the end of the message, or between words without an article or "of" around it
# ("my period", "el punto de venta", "o ponto de ônibus" stay).
_COMMA_WORD = re.compile(r"(?<!\w)(?:comma|virgula)(?!\w)")
_STOP_WORD = (
    r"(?:full\s+stop|period|new\s+line|question\s+mark|exclamation\s+(?:mark|point)"
    r"|punto(?:\s+(?:final|y\s+aparte|y\s+seguido))?|nueva\s+linea|signo\s+de\s+(?:interrogacion|exclamacion)"
    r"|ponto(?:\s+(?:final|de\s+interrogacao|de\s+exclamacao))?|nova\s+linha)"
)
_STOP = re.compile(rf"(?P<before>[\w']+)\s+(?P<stop>{_STOP_WORD})(?=(?P<after>[\s.!?,]*$|\s+[\w']+))")
_NOUN_BEFORE = frozenset(
    [
        "my",
        "the",
        "her",
        "his",
        "our",
        "your",
        "their",
        "one",
        "this",
        "that",
        "each",
        "free",
        "trial",
        "grace",
        "notice",
        "next",
        "last",
        "per",
        "a",
        "el",
        "un",
        "al",
        "mi",
        "su",
        "tu",
        "ese",
        "este",
        "del",
        "los",
        "o",
        "um",
        "no",
        "ao",
        "do",
        "meu",
        "seu",
        "esse",
        "nesse",
        "neste",
    ]
)
_NOUN_AFTER = frozenset(["of", "de", "do", "da", "del", "com", "con", "with"])
# "coma" is also a verb ("que coma", "no se lo coma"): not after the words that go with the verb.
_COMA = re.compile(r"(?P<before>[\w']+)\s+(?P<stop>coma)(?=[\s.!?]*$|\s+\w)")
_COMA_VERB_BEFORE = frozenset(
    ["que", "lo", "la", "le", "se", "no", "te", "me", "nos", "les", "los", "las", "ya"]
)
# Hesitations said aloud. Portuguese "um" is "a", so only English has it.
_HESITATIONS: dict[Lang, re.Pattern[str]] = {
    "en": re.compile(r"(?<!\w)(?:um+|uh+|uhm+|erm+|hmm+)(?!\w)[,.]?"),
    "es": re.compile(r"(?<!\w)(?:ehm*|mmm+|ehh+)(?!\w)[,.]?"),
    "pt": re.compile(r"(?<!\w)(?:hum+|ahn+|hmm+)(?!\w)[,.]?"),
}
# A word or two said twice in a row ("to to", "the the", "me lembra me lembra"); the first copy
# goes. Letters only: "2 2" or "10 10" may be meant.
_REPEAT = re.compile(r"(?<!\w)(?P<w>[a-z']+(?:\s+[a-z']+)?)\s+(?P=w)(?!\w)")
_CHAT_FILLERS = re.compile(r"(?<!\w)(?:pls|plz|plox|porfa|porfis|xfa|pfv|pfvr)(?!\w)[,.]?")
# Fillers that are never part of a title, in any of the three languages.
_TITLE_FILLERS = re.compile(
    r"(?<!\w)(?:please|pls|plz|plox|por\s+favor|porfa(?:vor)?|porfis|xfa|x\s+fa|pfv|pfvr"
    r"|sin\s+falta|sem\s+falta|no\s+matter\s+what|without\s+fail"
    # "..., que no me olvide", "so I don't forget", "pra eu não esquecer": why, not what.
    r"|(?:,\s*)?(?:que|para\s+que|pa\s+que|so(?:\s+that)?|pra|para)\s+(?:no\s+me\s+(?:olvide|olvido)"
    r"|i\s+don'?t\s+forget|(?:eu\s+)?nao\s+(?:esquecer|esqueca|me\s+esquecer)))(?!\w)"
)


# Calling the assistant a name, at either end of a message: "oye pasame mi lista güey", "che,
# anotá ...", "bora ver a lista mano", "send me my list bro". Only at the edges: "man" or "cara"
# inside a title are words of the title.
_VOCATIVE = (
    r"(?:guey|wey|guei|boludo|bolu|che|tio|tia|parce|parcero|mijo|mija|chamo|mano|cara|mana|velho|"
    r"bro|dude|mate|man|fam|buddy|pal)"
)
_VOCATIVES = re.compile(rf"^\s*(?:{_VOCATIVE})\b[\s,!.]*|[\s,]+(?:{_VOCATIVE})\W*$")


# European Portuguese puts "me" on a command ("marca-me a 2 como feita", "apaga-me isso"): it asks
# for nothing more than the command does. Not on reminders: "lembra-me" is "remind me".
_ETHIC_ME = re.compile(
    r"\b(?:marca|marque|apaga|apague|muda|mude|poe|ponha|mete|passa|passe|adia|adie|tira|tire|risca"
    r"|coloca|coloque|cancela|cancele|elimina|exclui|conclui|fecha|arquiva|atualiza|troca|troque|altera)(?P<me>-me)\b"
)


def _put(chars: list[str], start: int, end: int, mark: str = "") -> None:
    chars[start:end] = list(mark.ljust(end - start))


def tidy(text: str, lang: Lang) -> str:
    """``text`` (same length) without dictated punctuation, hesitations and repeated words."""
    folded = fold(text)
    if len(folded) != len(text):  # fold keeps lengths; a safety net all the same
        return text
    chars = list(text)
    for m in _COMMA_WORD.finditer(folded):
        _put(chars, m.start(), m.end(), ",")
    for m in _STOP.finditer(folded):
        after = m.group("after").split()
        at_end = not after or not re.search(r"\w", after[0])
        if m.group("before") in _NOUN_BEFORE or (not at_end and after[0] in _NOUN_AFTER):
            continue
        stop = m.group("stop")
        mark = "?" if "question" in stop or "interroga" in stop else "!" if "xclama" in stop else "."
        _put(chars, m.start("stop"), m.end("stop"), mark)
    if lang == "es":
        for m in _COMA.finditer(folded):
            # "que coma", "no se lo coma": the verb.
            if m.group("before") not in _COMA_VERB_BEFORE:
                _put(chars, m.start("stop"), m.end("stop"), ",")
    if lang == "pt":
        for m in _ETHIC_ME.finditer(folded):
            _put(chars, m.start("me"), m.end("me"))
    for m in _HESITATIONS[lang].finditer(folded):
        _put(chars, m.start(), m.end())
    # Chat fillers anywhere ("xfa anota comprar pan"), unless they are the whole message.
    folded = fold("".join(chars))
    fillers = list(_CHAT_FILLERS.finditer(folded))
    if fillers and len(folded.split()) > len(fillers):
        for m in fillers:
            _put(chars, m.start(), m.end())
    folded = fold("".join(chars))
    if len(folded.split()) > 2:
        for m in list(_VOCATIVES.finditer(folded)):
            _put(chars, m.start(), m.end())
    folded = fold("".join(chars))
    for m in _REPEAT.finditer(folded):
        # "Bora Bora", "Walla Walla": a name said twice on purpose is written capitalised twice.
        if text[m.start()].isupper() and text[m.end() - len(m.group("w"))].isupper():
            continue
        _put(chars, m.start("w"), m.end("w"))
    return "".join(chars)


def without_fillers(text: str) -> str:
    """``text`` (same length) without "pls", "porfa", "sin falta" and the like."""
    folded = fold(text)
    if len(folded) != len(text):
        return text
    for m in list(_TITLE_FILLERS.finditer(folded)):
        text = text[: m.start()] + " " * (m.end() - m.start()) + text[m.end() :]
    return text


# A remark after the request that no title holds: "... by dec 10 or im cooked", "o si no me matan".
_REMARKS: dict[Lang, re.Pattern[str]] = {
    "en": re.compile(
        r"\s*,\s*(?:they|she|he|it|it'?s|its|because|cause|cuz|coz|since)\b.*$"
        r"|[\s,]+or\s+(?:else\b|i'?m\b|im\b|i\s+am\b|i'?ll\b|ill\b|we'?re\b).*$"
        # Asking the assistant to write it down is the request, not its title: "..., would you put
        # that down for me", "..., dont let me forget lol", "... lol".
        r"|\s*,\s*(?:and\s+)?(?:would|could|can|will|pls|please)\s+(?:you|u|ya)\b.*$"
        r"|[\s,]+(?:and\s+)?(?:pls\s+|please\s+)?(?:don'?t|dont|do\s+not)\s+(?:let\s+me|you\s+let\s+me)\s+forget\b.*$"
        r"|[\s,]+(?:lol|lmao|haha+|hehe+|xd)\W*$"
    ),
    "es": re.compile(
        # "..., q nos quedan 3 sacos", "..., que es su cumpleaños": after a comma, "que" says why.
        r"\s*,\s*(?:que\s+si\s+no|si\s+no|porque|porq|pq|ya\s+que|que|q)\b.*$"
        r"|[\s,]+(?:o\s+si\s+no|si\s+no)\s+(?:me|estoy|estamos|nos)\b.*$"
    ),
    "pt": re.compile(
        r"\s*,\s*(?:porque|pq|ja\s+que|pois|que\s+senao)\b.*$"
        r"|[\s,]+(?:senao|se\s+nao)\b.*$"
    ),
}


def without_remarks(text: str, lang: Lang) -> str:
    """``text`` (same length) without a trailing "or I'm cooked" kind of remark."""
    m = _REMARKS[lang].search(fold(text))
    return text[: m.start()] + " " * (len(text) - m.start()) if m else text


# How people shorten words on a phone, spelt out before anything is read: "qnd é a vacina da bia
# msm?" is "quando é a vacina da bia mesmo?". Only words that cannot be anything else.
_SHORTHAND: dict[Lang, dict[str, str]] = {
    "en": {
        "wen": "when", "whens": "when's", "wat": "what", "wats": "what's", "u": "you", "ur": "your",
        "remnd": "remind", "rmnd": "remind", "remid": "remind", "rmind": "remind",
        "shld": "should", "shud": "should", "shuld": "should", "shoud": "should", "cld": "could",
        "wld": "would", "smth": "something",
    },
    "es": {
        "xq": "porque", "pq": "porque", "tmb": "también", "mñn": "mañana", "mna": "mañana", "cdo": "cuando",
    },
    "pt": {
        "qnd": "quando", "qdo": "quando", "qndo": "quando", "hj": "hoje", "amnh": "amanhã",
        "msm": "mesmo", "vc": "você", "ta": "tá", "tbm": "também", "pq": "porque", "td": "tudo",
        "sxta": "sexta", "q": "que", "oq": "o que", "vdd": "verdade", "fds": "fim de semana",
        "dps": "depois", "agr": "agora", "tb": "também", "mto": "muito", "cmg": "comigo", "prox": "próxima",
        "qto": "quanto", "qts": "quantas", "hrs": "horas",
    },
}  # fmt: skip
_SHORT_WORD = re.compile(r"(?<![\w#@])[a-zñ]{1,5}(?![\w])")


# Spanish commands said to "usted" ("apúnteme", "páselo al martes", "deshaga eso") and in voseo
# ("mové", "poné", "mostrame"), written as the "tú" forms the grammar reads. Only forms no other
# word shares: a bare "cambie" or "pase" is also a past tense or a subjunctive ("ya cambié",
# "que no se me pase"), so -ar verbs need their clitic ("cámbielo", "pásela").
_CLITICS = ("", "me", "lo", "la", "le", "los", "las", "melo", "mela", "selo", "sela", "nos")
_USTED_AR = {
    "pas": "pas", "cambi": "cambi", "apunt": "apunt", "anot": "anot", "agregu": "agreg", "borr": "borr",
    "marqu": "marc", "elimin": "elimin", "quit": "quit", "cancel": "cancel", "asign": "asign",
    "dej": "dej", "mand": "mand", "muestr": "muestr", "aplac": "aplaz", "actualic": "actualiz",
    "recuerd": "recuerd", "agend": "agend", "guard": "guard", "program": "program",
    "reprogram": "reprogram", "termin": "termin", "complet": "complet", "apliqu": "aplic",
}  # fmt: skip


def _es_command_forms() -> dict[str, str]:
    table: dict[str, str] = {}
    for usted, tu in _USTED_AR.items():
        for clitic in _CLITICS[1:]:
            table[usted + "e" + clitic] = tu + "a" + clitic
            table[usted + "en" + clitic] = tu + "a" + clitic  # "apúntenme", said to several
    for usted, tu in (("pong", "pon"), ("muev", "muev"), ("hag", "haz"), ("deshag", "deshaz")):
        for clitic in _CLITICS:
            if clitic or usted in ("pong", "deshag", "muev"):
                table[usted + "a" + clitic] = tu + ("e" if usted == "muev" else "") + clitic
    # Voseo: the stress moves ("pasá", "borrá" fold to the "tú" form already); these change stem.
    for clitic in _CLITICS[1:]:
        table["pone" + clitic] = "pon" + clitic
        table["move" + clitic] = "mueve" + clitic
        table["hace" + clitic] = "haz" + clitic
        table["mostra" + clitic] = "muestra" + clitic
        table["deci" + clitic] = "di" + clitic
    table.update({"mostra": "muestra", "mostrame": "muestrame"})
    return table


_ES_COMMANDS = _es_command_forms()
# Accented voseo only ("mové", "poné", "hacé"): unaccented they are other words ("pone", "hace").
_ES_VOSEO_ACCENTED = {"mové": "mueve", "poné": "pon", "hacé": "haz", "mostrá": "muestra", "decí": "di"}
_WORD_RUN = re.compile(r"(?<![\w#@])[^\W\d_]{3,}(?![\w])")


def _es_command(m: re.Match[str]) -> str:
    typed = m.group()
    said = _ES_VOSEO_ACCENTED.get(typed.lower()) or _ES_COMMANDS.get(fold(typed))
    if said is None:
        return typed
    return said[0].upper() + said[1:] if typed[0].isupper() else said


# Opening a message, a bare "usted" command is one ("agregue visita de obra ...", "anote ..."):
# the past tense it shares its letters with is written with its accent ("agregué") or after "ya".
_ES_USTED_FIRST = {
    "agregue": "agrega", "anote": "anota", "apunte": "apunta", "borre": "borra", "elimine": "elimina",
    "cambie": "cambia", "marque": "marca", "anada": "añade", "quite": "quita", "cancele": "cancela",
}  # fmt: skip
_FIRST_WORD = re.compile(r"^\s*(?P<w>[^\W\d_]+)")


def _es_usted_first(text: str) -> str:
    m = _FIRST_WORD.match(text)
    said = _ES_USTED_FIRST.get(m.group("w").lower()) if m else None
    if m is None or said is None:
        return text
    said = said[0].upper() + said[1:] if m.group("w")[0].isupper() else said
    return text[: m.start("w")] + said + text[m.end("w") :]


def spell_out(text: str, lang: Lang) -> str:
    """``text`` with the language's phone shorthand written in full (its length may change)."""
    table = _SHORTHAND[lang]
    # Lower case only: "UR", "TD" or "Hj" may be a name or an acronym.
    text = _SHORT_WORD.sub(lambda m: table.get(m.group(), m.group()), text)
    return _es_usted_first(_WORD_RUN.sub(_es_command, text)) if lang == "es" else text
