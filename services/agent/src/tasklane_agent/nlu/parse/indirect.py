"""Requests said in passing: a task asked for inside a longer message, not with a command word
at its start.

    "Client call went well. They want the pilot live by mid January. Remind me to send them the SOW
    tomorrow morning."                                   -> "send them the SOW", tomorrow morning
    "ya sali de la obra ... oye el lunes tengo que llevarle la cotizacion al arquitecto ramirez"
                                                         -> "llevarle la cotizacion ...", Monday
    "o pedreiro me ligou ..., tem que comprar reboco pra obra da Lapa amanhã de manhã"

The task is what follows the request phrase ("remind me to", "tengo que", "preciso", "tem que"), up
to the end of its sentence; the story before it stays out of the title. Its date is the one in the
request, else one said just before the request phrase ("el viernes no me dejes olvidar ...",
"daqui a quinze dias tenho de ...").

Choices that keep stories from becoming tasks:
- only first-person requests count ("I need to", "tengo que"; not "they need to");
- "tem que", "hay que", "toca" (said of anyone) count only at the start of a clause or right after
  a date;
- a negation just before ("I don't need to", "ya no tengo que") or a question is no request.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import datetime

from tasklane_agent.domain.language import Lang
from tasklane_agent.nlu.commands import CreateTask
from tasklane_agent.nlu.dates import DueDate
from tasklane_agent.nlu.language import fold
from tasklane_agent.nlu.parse.common import Grammar, Message, due_in, shifted
from tasklane_agent.nlu.parse.tasks import first_sentence
from tasklane_agent.nlu.request_words import STRONG, WEAK

# Where a clause starts: the message's start, punctuation, or a word that opens a new thought.
_CLAUSE_START = re.compile(
    r"(?:^|[.,;:!?]|\b(?:so|and|then|oye|oiga|entonces|y|luego|pues|bueno|olha|entao|e|ai|tipo|mas|pero|but))\s*$"
)
_NEGATED = re.compile(
    r"\b(?:not|don'?t|dont|didn'?t|never|no|ya\s+no|nunca|nao|ja\s+nao|jamais|nem)\s+(?:\w+\s+)?$"
)
_QUESTION = re.compile(
    r"(?:what|whats|what's|when|whens|where|which|how|who|why|cuando|donde|cual|cuales|como|quien|cuanto"
    r"|o\s+que|quando|onde|qual|quais|quem|quanto)\b"
)
# A time said without a day ("a las 10", "às 15h", "at 3pm"): it goes with a day said earlier.
_CLOCK_ONLY = re.compile(
    r"(?:(?:at|@|around|by|a\s+las?|sobre\s+las|hacia\s+las|as|pelas|por\s+volta\s+das)\s+)?"
    r"\d{1,2}(?:[:h]\d{2})?(?:\s*(?:am|pm|a\.m\.|p\.m\.|hs|hrs|h|horas))?"
    r"(?:\s+(?:de\s+la|da|de)\s+(?:manana|tarde|noche|manha|noite))?"
)
_MAX_TRIES = 3


def indirect(g: Grammar, msg: Message, now: datetime) -> CreateTask | None:
    """A task asked for inside a longer message, or None."""
    plain = msg.plain
    # "what do we still need to do for X" is a question even without its question mark.
    if msg.question or _QUESTION.match(plain):
        return None
    found = sorted(
        [(m, True) for m in STRONG[g.lex.lang].finditer(plain)]
        + [(m, False) for m in WEAK[g.lex.lang].finditer(plain)],
        key=lambda pair: pair[0].start(),
    )
    # A few candidates at most: each costs a date search, and a message holds one request.
    for i, (m, strong) in enumerate(found[:_MAX_TRIES]):
        before = plain[: m.start()]
        if any(
            s and "," in plain[m.end() : later.start()] and _names_a_task(g, msg, later.end(), now)
            for later, s in found[i + 1 :]
        ):
            # "... as coisas que preciso lembrar então vamos lá, preciso levar o carro ...": the
            # request that opens a later clause is the one; the first was part of the story. Not
            # when the later one asks nothing more ("..., dont let me forget lol").
            continue
        date_right_before = _adjacent_date(g, msg, m.start(), now)
        if not strong and date_right_before is None and not _CLAUSE_START.search(before):
            continue
        if _NEGATED.search(before):
            continue
        task = first_sentence(g, msg, msg.start + m.end(), msg.end, now)
        again = next((x for x, s in found[i + 1 :] if s and "," in plain[m.end() : x.start()]), None)
        if again is not None:
            # "esqueci de pagar a luz, preciso pagar hoje": said twice, the second time only says when.
            comma = plain.rindex(",", m.end(), again.start())
            cut = first_sentence(g, msg, msg.start + m.end(), msg.start + comma, now)
            task = replace(cut, due=cut.due or task.due)
        if not re.search(r"[a-z]", fold(task.title)):
            continue
        if date_right_before is not None:
            if task.due is None:
                task = replace(task, due=date_right_before)
            elif _day_then_hour(date_right_before, task.due):
                # "el lunes toca reunión con el equipo a las 10": the day before, the hour after.
                at = datetime.combine(date_right_before.at.date(), task.due.at.timetz())
                task = replace(task, due=replace(task.due, at=at))
        return task
    return _have_event(g, msg, now)


# "I have a dentist appointment friday at 3", "tengo parcial de química el lunes", "tenho prova na
# sexta": an event the user has, with a day to come, is a task named by the event.
_HAVE: dict[Lang, re.Pattern[str]] = {
    "en": re.compile(r"(?:i|we)\s+(?:have|'ve\s+got|have\s+got)\s+(?!to\b)(?:(?:an?|my|the|our)\s+)?"),
    "es": re.compile(
        r"(?:tengo|tenemos)\s+(?!(?:que|q|de|ganas|hambre|sueno|frio|calor|miedo|razon|prisa)\b)"
        r"(?:(?:un|una|el|la|mi|los|las)\s+)?"
    ),
    "pt": re.compile(
        r"(?:tenho|temos)\s+(?!(?:que|de|medo|fome|sono|frio|calor|razao|pressa)\b)"
        r"(?:(?:um|uma|o|a|meu|minha|os|as)\s+)?"
    ),
}
_HAVE_WORD = re.compile(r"\b(?:tenho|temos|tengo|tenemos|have|got)\b")
# What one "has" that is no event: "I have a question about tomorrow", "tengo mucho trabajo".
_NOT_EVENTS = re.compile(
    r"(?:questions?|doubts?|idea|problems?|lots?|nothing|no|something|time|mucho|mucha|muchas|muchos|nada"
    r"|tiempo|pregunta|preguntas|duda|dudas|problema|problemas|muito|muita|muitas|muitos|tempo|pergunta"
    r"|perguntas|duvida|duvidas)\b"
)
_AILMENT = re.compile(
    r"\b(?:headache|cold|flu|fever|migraine|cough|dolor|gripe|fiebre|tos|febre|dor|resfriado|resfriada)\b"
)


def _have_event(g: Grammar, msg: Message, now: datetime) -> CreateTask | None:
    m = _HAVE[g.lex.lang].match(msg.plain)
    ahead = None
    if m is None:
        # "daqui a quinze dias tenho formação", "el viernes tengo cena con Ana": the day first.
        if not _HAVE_WORD.search(msg.plain):
            return None
        ahead = due_in(msg.text[msg.start : msg.end], now, g.lex.lang)
        if ahead is None or ahead.start > 0:
            return None
        m = _HAVE[g.lex.lang].match(msg.plain, len(msg.plain) - len(msg.plain[ahead.end :].lstrip(" ,")))
    if m is None or _NOT_EVENTS.match(msg.plain, m.end()):
        return None
    task = first_sentence(g, msg, msg.start + m.end(), msg.end, now)
    if ahead is not None and task.due is None:
        task = replace(task, due=shifted(ahead, msg.start))
    elif ahead is not None and task.due is not None and _day_then_hour(ahead, task.due):
        at = datetime.combine(ahead.at.date(), task.due.at.timetz())
        task = replace(task, due=replace(task.due, at=at))
    if task.due is None or task.due.at.date() < now.date() or _AILMENT.search(fold(task.title)):
        return None
    return task if re.search(r"[a-z]", fold(task.title)) else None


def _names_a_task(g: Grammar, msg: Message, at: int, now: datetime) -> bool:
    """Whether what follows a request phrase is a task of two words at least ("preciso pagar hoje"
    only says when)."""
    return len(first_sentence(g, msg, msg.start + at, msg.end, now).title.split()) >= 2


def _day_then_hour(day: DueDate, hour: DueDate) -> bool:
    """A day said first and an hour alone later: one date ("sexta tenho dentista às 15h")."""
    return hour.has_time and not day.has_time and bool(_CLOCK_ONLY.fullmatch(fold(hour.phrase).strip()))


def _adjacent_date(g: Grammar, msg: Message, at: int, now: datetime) -> DueDate | None:
    """A date phrase ending right where the request phrase starts ("el lunes tengo que")."""
    plain = msg.plain
    clause_start = max((plain.rfind(ch, 0, at) for ch in ".,;:!?"), default=-1) + 1
    window_lo = clause_start
    words = list(re.finditer(r"\S+", plain[clause_start:at]))
    if len(words) > 6:
        window_lo = clause_start + words[-6].start()
    original = msg.text[msg.start + window_lo : msg.start + at]
    due = due_in(original, now, g.lex.lang)
    if due is None or original[due.end :].strip():
        return None
    return shifted(due, msg.start + window_lo)
