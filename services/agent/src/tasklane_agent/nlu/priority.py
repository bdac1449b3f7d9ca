"""Priority words in a task request, in English, Spanish and Portuguese.

``extract_priority(text, lang)`` finds what the user said about priority and blanks it out of the
text (same length: the caller cuts titles at the same offsets). Matching runs on the folded text
(lower case, no accents), so "prioridad alta", "PRIORIDADE ALTA" and "é importante"/"e importante"
read the same.

Two kinds of markers, handled differently:
- phrases that can only be about priority ("high priority", "prioridad alta", "baixa prioridade",
  "priority: low", "!!") count anywhere in the message;
- single words ("urgent", "importante", "asap") count only at the edges of the request ("urgent:
  pay rent", "pay rent, it's important", "pagar la luz, es urgente"): in the middle they are
  usually part of the title ("reply to the urgent email").
"No rush" / "sin prisa" / "sem pressa" at the edges mean low.

Each language sees its own words plus the English ones, which bilingual users mix in ("urgente
pagar la luz asap").
"""

from __future__ import annotations

import re

from tasklane_agent.domain.language import Lang
from tasklane_agent.domain.priority import Priority
from tasklane_agent.nlu.language import fold

_HIGH = {"high", "top", "alta", "maxima", "urgente"}
_LOW = {"low", "baja", "baixa", "minima"}

# Phrases naming a level: "high priority", "priority high", "priority: low", "prioridad alta",
# "alta prioridad", "prioridade baixa", "de baixa prioridade". The level word is group "lvl".
_LEVEL = r"(?P<lvl>high|top|low|normal|medium|alta|baja|baixa|media|maxima|minima)"
_PRIORITY_WORD = r"(?:priority|prioridad|prioridade)"
_PHRASE = re.compile(
    rf"\(?\b(?:(?:with|con|com|de|a)\s+)?(?:{_LEVEL}[\s-]+{_PRIORITY_WORD}"
    rf"|{_PRIORITY_WORD}\s*(?:[:=]\s*|\s(?:is\s+|es\s+|e\s+)?)(?P<lvl2>high|top|low|normal|medium|alta|baja"
    r"|baixa|media|maxima|minima))\b\)?"
)
# Each alternative starts where a run of spaces does: tried inside a run (a phrase blanked out
# leaves one), "\s*" would backtrack over it from every position.
_BANGS = re.compile(r"^\s*!{2,}\s*|(?<!\s)\s*!{2,}\s*$")

_MARKERS: dict[Lang, tuple[str, str]] = {
    # (words meaning high, words meaning low), as regex alternations over folded text.
    "en": (
        r"urgent|urgently|important|very important|asap|a\.s\.a\.p\.?|top priority",
        r"no rush|not urgent|whenever|low prio",
    ),
    "es": (
        # The superlatives too: "es importantísimo", "urgentísimo: ...".
        r"urgentisimo|importantisimo|urgente|importante|muy importante|cuanto antes|lo antes posible"
        r"|lo mas pronto posible|urge",
        r"sin prisa|no es urgente|no urge|cuando puedas",
    ),
    "pt": (
        r"urgentissimo|importantissimo|urgente|importante|muito importante|o quanto antes"
        r"|o mais rapido possivel|o mais rapido"
        r"|quanto antes",
        r"sem pressa|nao e urgente|quando der|quando puder",
    ),
}
# "it's important", "es importante", "é urgente": the copula goes with the marker.
_COPULA = r"(?<!\w)(?:(?:it'?s|this\s+is|its|very|es|esto\s+es|muy|e|isso\s+e|eh|muito)\s+)?"


def _edge_patterns(lang: Lang) -> tuple[re.Pattern[str], re.Pattern[str], re.Pattern[str], re.Pattern[str]]:
    high = f"{_MARKERS[lang][0]}|{_MARKERS['en'][0]}" if lang != "en" else _MARKERS["en"][0]
    low = f"{_MARKERS[lang][1]}|{_MARKERS['en'][1]}" if lang != "en" else _MARKERS["en"][1]
    marker = rf"(?:(?P<high>{high})|(?P<low>{low}))"
    leading = re.compile(rf"^\s*{_COPULA}{marker}\b\s*[:,\-\u2013\u2014]?\s*")
    # Starts at the first separator of a run, and only a "(" may be followed by more spaces: nested
    # space quantifiers backtracked over a blanked phrase's spaces from every position (ms a message).
    trailing = re.compile(
        rf"(?<![\s,;\-\u2013\u2014])[\s,;\-\u2013\u2014]*(?:\(\s*)?{_COPULA}{marker}\s*\)?[\s.!]*$"
    )
    bracketed = re.compile(rf"\(\s*{marker}\s*\)")
    word_only = re.compile(rf"^\s*{marker}\s*$")
    return leading, trailing, bracketed, word_only


_EDGES = {lang: _edge_patterns(lang) for lang in ("en", "es", "pt")}
# Longer than the longest trailing marker with its copula and punctuation ("..., esto es lo mas
# pronto posible!!").
_TAIL = 64


def _level(word: str) -> Priority:
    if word in _LOW:
        return "low"
    return "high" if word in _HIGH else "normal"


def _blank(text: str, start: int, end: int) -> str:
    return text[:start] + " " * (end - start) + text[end:]


def extract_priority(text: str, lang: Lang = "en") -> tuple[str, Priority | None]:
    """``text`` with its priority markers blanked out (same length), and the priority they ask for."""
    found: Priority | None = None
    folded = fold(text)
    for m in list(_PHRASE.finditer(folded)):
        found = _level(m.group("lvl") or m.group("lvl2"))
        text, folded = _blank(text, *m.span()), _blank(folded, *m.span())
    for bangs in list(_BANGS.finditer(folded)):
        found = found or "high"
        text, folded = _blank(text, *bangs.span()), _blank(folded, *bangs.span())
    leading, trailing, bracketed, word_only = _EDGES[lang]
    # A message that is nothing but a marker ("urgent") is not a request about priority.
    if word_only.match(folded):
        return text, found
    # Twice over: markers come in pairs ("urgente asap conseguir el permiso", "... asap, urgent").
    for pattern in (bracketed, leading, trailing, leading, trailing):
        # A trailing marker is in the last few words: searched from every position of a long
        # message, its pattern cost more than the rest of understanding it.
        start = max(0, len(folded) - _TAIL) if pattern is trailing else 0
        marker = pattern.search(folded, start)
        if marker:
            found = found or ("low" if marker.group("low") else "high")
            text, folded = _blank(text, *marker.span()), _blank(folded, *marker.span())
    return text, found


def priority_of_adjective(word: str | None) -> Priority | None:
    """The priority of an adjective in "create an urgent task ...", "una tarea urgente"."""
    if word is None:
        return None
    plain = re.sub(r"[\s-]+", " ", fold(word)).strip()
    if plain in {"urgent", "important", "high priority", "urgente", "importante"}:
        return "high"
    return "low" if plain == "low priority" else None
