"""Reading a message against what was just said: the follow-ups a command parser alone cannot read.

A message right after a task was created or changed is often about that task and names nothing
but the change: "urgent", "low prio", "and at 8am pls", "tmrw", "prioridad alta", "às 10 da manhã".
Or it corrects what was just set: "no no not tuesday, wednesday", "no, era el viernes", "digo,
sexta", "sorry not dave its dan", "ah no, es de Derecho Penal". And a message after a question the
assistant asked answers it in words of its own: "yep go ahead", "sí, dale", "nao calma", "the deck
one", "la de Sofi", "a da escola".

Everything here is pure: the engine passes in what the conversation holds (the title of the task in
focus, the titles offered) and decides what to do with the reading. Each reader accepts a message
only when *all* of its words are accounted for (the change, connectors, fillers, a correction
marker), so a new request that happens to hold a date ("call mum tomorrow") is never taken for a
follow-up.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import datetime

from tasklane_agent.domain.language import Lang
from tasklane_agent.domain.priority import Priority
from tasklane_agent.nlu.dates import DueDate, find_due
from tasklane_agent.nlu.dates.find import names_only_a_time
from tasklane_agent.nlu.language import fold
from tasklane_agent.nlu.parse.common import bag
from tasklane_agent.nlu.priority import extract_priority

_WORD = re.compile(r"[\w']+|[#@]\d+")

# Leading words that open a follow-up or a correction ("and", "oh", "no sorry", "digo"): dropped.
_OPENERS = bag(
    """
    and also plus oh ah ahh ok okay k so then well wait actually hmm um uh too y e tambien tambem
    ademas alem pues bueno ent entao entonces ai nossa eita vish
    """
)
# A correction: the message changes what was just set rather than adding to it.
_CORRECTION = bag(
    """
    no nope nah nono nonono sorry oops oh-no mistake correction correcting meant mean rather instead
    dear goodness gosh golly heavens whoops silly my bad wrong typo said
    perdon perdona disculpa disculpe error mejor corrijo correccion quise decir nao naum desculpa
    desculpe foi mal ops opa pera calma corrigindo correcao queria quis quer dizer digo verdade vdd
    alias errei engano enganei realidad real melhor confundi confundo equivoque equivoqui liado lie enrede
    espera espere aguarda aguenta
    """
)
# Words that carry no change of their own in a follow-up ("make it", "ponle", "pls", "period").
_FILLER = bag(
    """
    super very really extremely mega muy re bien bem muito bastante demasiado
    eh ne ok ta pa vale ya hein lol lmao haha hahaha jaja jajaja kkk kkkk rs rsrs xd
    it its it's is was be that this one the a an to for on at by make set put change move push
    please pls plz pl thx thanks period comma dot full stop just really also too then instead let's
    lets do i want wanted should must should've am i'm im lo la le el los las es era sea que q ponle ponla
    ponlo pon poner cambia cambialo cambiala mueve muevelo muevela pasalo pasala dejalo dejala hazlo
    hacelo mejor porfa xfa xfavor favor por punto coma mas bien eso esto ya je jaja jajaja o os as
    um uma e seja pra pro para coloca coloque colocar bota bote poe muda mude mudar passa passe
    deixa deixe faz faca isso isto ponto virgula pfv pf tb tbm tambem ne na me en pode ser
    """
)
_NEGATION = bag(
    """
    not no nao ni nem never nunca
    """
)
_YES = bag(
    """
    yes y yeah yep yup ya yess yesss sure ok okay k kk go ahead do it please confirm confirmed right
    correct absolutely definitely fine alright si sii dale claro vale venga hazlo hacelo adelante
    confirmo correcto obvio porfa bueno listo sim ss pode podes isso beleza bora manda vai certo
    fechado exato ta
    """
)
_NO = bag(
    """
    no nope nah nop cancel stop wait dont don't never mind nevermind keep cancela cancelar espera
    mejor deja dejalo olvidalo nao naum pera calma deixa esquece
    """
)
# Verbs that, after "Delete X?", say yes by naming the action ("sim, exclui", "sí, bórrala").
_ACTION_YES = re.compile(
    r"^(?:delete|remove|erase|borra|borrala|borralo|elimina|eliminala|eliminalo|quita|quitala|"
    r"exclui|excluir|apaga|apague|remove|deleta|tira)\w*$"
)
_ORDINALS: dict[str, int] = {
    **dict.fromkeys(["first", "1st", "primera", "primero", "primer", "primeira", "primeiro"], 1),
    **dict.fromkeys(["second", "2nd", "segunda", "segundo"], 2),
    **dict.fromkeys(["third", "3rd", "tercera", "tercero", "tercer", "terceira", "terceiro"], 3),
    **dict.fromkeys(["fourth", "4th", "cuarta", "cuarto", "quarta", "quarto"], 4),
    **dict.fromkeys(["fifth", "5th", "quinta", "quinto"], 5),
    **dict.fromkeys(["last", "ultima", "ultimo"], -1),
}
# Words that say nothing about which of the offered tasks is meant ("the one about the ...").
_CHOICE_FILLER = _FILLER | bag(
    """
    one ones thing task about with from of de del do da dos das sobre con com la el lo las los one's
    that's tarea tarefa uno una esa ese essa esse aquela aquele aquella aquel la-de
    """
)


# A word stretched at its end for feeling ("nooo", "siii", "simmm", "yesss", "okkk"), but not
# laughter made of one letter ("kkkk").
_STRETCHED = re.compile(r"([a-z])(?!\1)([a-z])\2{2,}$")


def _words(folded: str) -> list[str]:
    return [_STRETCHED.sub(r"\1\2", word) for word in _WORD.findall(folded)]


@dataclass(frozen=True)
class FollowUp:
    """A change to the task in focus. ``time_only``: the message named a time of day and no day,
    so the task keeps its date ("make it 9am" on tomorrow's task)."""

    priority: Priority | None = None
    due: DueDate | None = None
    time_only: bool = False
    correction: bool = False


def _dates(text: str, now: datetime, lang: Lang) -> list[DueDate]:
    """Every date phrase of ``text``, in order (each found one blanked before the next search)."""
    found: list[DueDate] = []
    rest = text
    for _ in range(4):
        due = find_due(rest, now, lang)
        if due is None or due.end <= due.start:
            break
        found.append(due)
        rest = rest[: due.start] + " " * (due.end - due.start) + rest[due.end :]
    return sorted(found, key=lambda d: d.start)


# Between a negation and the day it denies: "not *on* tuesday", "no *el* martes", "não *é* quinta".
_BETWEEN = bag("on the for at by el la los las es era e o a os as para pra pro")


def _negated(folded: str, due: DueDate) -> bool:
    """'not tuesday', 'no el martes', 'não é quinta': the phrase names the day that was wrong."""
    before = _words(folded[: due.start])
    while before and before[-1] in _BETWEEN:
        before.pop()
    return bool(before) and before[-1] in _NEGATION


# Where a remark starts after the change ("prioridad alta *que* el cliente tiene prisa", "the 8th
# *so* i have a day spare"): the rest explains the change and is not read.
_SO = bag("so then")
_REMARK = bag("because cause cuz coz since so as porque pq que q ya pois pq porq they it's its")
# A follow-up is a few words; a longer message is a request of its own (and reading it as a
# follow-up at every possible cut would cost milliseconds).
_LONGEST = 24
_CUTS = 3
_CONTENT = 6
_SMALL = _FILLER | _OPENERS | _CORRECTION | _NEGATION | _REMARK
# Dropped before dates are looked for: a date grammar reads "a las 6" but not "a las 6 era".
_NOISE = (_CORRECTION | _OPENERS | bag("era eh pls please period punto ponto pfv porfa")) - bag("e y a o")
# A stand-in request around a priority word said alone ("important!!"): the priority reader only
# takes single words at the edges of a request.
_STAND_IN = "x"


def _blank_words(text: str, folded: str, drop: frozenset[str]) -> str:
    out = text
    for m in _WORD.finditer(folded):
        if m.group() in drop:
            out = out[: m.start()] + " " * (m.end() - m.start()) + out[m.end() :]
    return out


def _split_pair(text: str, due: DueDate, now: datetime, lang: Lang) -> list[DueDate]:
    """ "tuesday wednesday" read as one phrase is two days when each word is one."""
    words = list(_WORD.finditer(due.phrase))
    if len(words) != 2:
        return [due]
    first, second = (find_due(w.group(), now, lang) for w in words)
    # Two days ("tuesday wednesday"), not a day and its time ("amanhã 16h").
    if first is None or second is None or first.has_time or second.has_time or first.at == second.at:
        return [due]
    spans = [(due.start + w.start(), due.start + w.end()) for w in words]
    return [
        DueDate(d.at, d.has_time, a, b, text[a:b], d.recurrence)
        for d, (a, b) in zip((first, second), spans, strict=True)
    ]


# Said after the change to soften or stress it: "a las 9 si puede ser", "if possible", "se der",
# "es muy importante, no se me puede olvidar".
_COURTESY_TAIL = re.compile(
    r"[\s,.!]*(?:if\s+(?:possible|you\s+can|that'?s\s+ok)|si\s+(?:puede|se\s+puede|es\s+posible|puedes|podes)"
    r"(?:\s+ser)?|(?:que\s+)?no\s+se\s+me\s+(?:puede|debe|vaya\s+a)\s+olvidar|que\s+no\s+se\s+me\s+olvide"
    r"|no\s+(?:me\s+)?(?:lo|la)\s+(?:olvides|dejes\s+olvidar)|se\s+(?:possivel|der|puder)"
    r"|(?:que\s+)?nao\s+posso\s+esquecer)[\s.!]*$"
)


def read_follow_up(text: str, now: datetime, lang: Lang) -> FollowUp | None:
    """``text`` as nothing but a change of priority and/or due date for the task in focus; a
    remark after the change ("..., q me he liado", "... que el cliente tiene prisa") is allowed."""
    folded = fold(text)
    tail = _COURTESY_TAIL.search(folded)
    if tail and tail.start() > 0:
        text, folded = text[: tail.start()], folded[: tail.start()]
    if len(_words(folded)) > _LONGEST:
        return None
    whole = _read_change(text, folded, now, lang)
    if whole is not None:
        return whole
    cuts = [
        m
        for m in _WORD.finditer(folded)
        if m.start() > 0 and (m.group() in _REMARK or "," in folded[max(0, m.start() - 2) : m.start()])
    ]
    for m in cuts[:_CUTS]:
        change = _read_change(text[: m.start()], folded[: m.start()], now, lang)
        if change is None:
            continue
        later = find_due(text[m.start() :], now, lang)
        if later is None or _about_something_else(change, folded[m.start() :], later):
            return change
    for m in cuts[:_CUTS]:
        if m.group() in _SO:
            # "the quiz is on the 10th so make it the 3rd": what comes before "so" is the reason.
            after = read_follow_up(text[m.end() :], now, lang) if m.end() < len(text) else None
            if after is not None and after.due is not None:
                return replace(after, due=_shifted(after.due, m.end()))
    return None


# Who a remark is about: "important, *they* want to sign this week".
_SOMEONE = bag("they he she we the client customer boss")
_IT = bag("it this that")
_BECAUSE = bag("because cause cuz coz since as so")


def _about_something_else(change: FollowUp, remark: str, later: DueDate) -> bool:
    """Whether the date in the remark after a priority is someone else's doing ("its important
    they want to sign this week"), not the task's ("urgent they need it by friday")."""
    words = _words(remark[: later.start])
    while words and words[0] in _BECAUSE:
        words = words[1:]
    return (
        change.due is None
        and change.priority is not None
        and bool(words)
        and words[0] in _SOMEONE
        and not any(w in _IT for w in words)
    )


def _shifted(due: DueDate, by: int) -> DueDate:
    return replace(due, start=due.start + by, end=due.end + by)


def _read_change(text: str, folded: str, now: datetime, lang: Lang) -> FollowUp | None:
    # More words than a date and a priority take ("el viernes de la semana que viene" is three
    # once its small words go): a request, not a follow-up; said before the date grammar runs.
    if sum(1 for w in _words(folded) if w not in _SMALL) > _CONTENT:
        return None
    correction = False
    quiet = _blank_words(text, folded, _NOISE)
    dues = [part for d in _dates(quiet, now, lang) for part in _split_pair(quiet, d, now, lang)]
    kept = [d for d in dues if not _negated(folded, d)] if len(dues) > 1 else dues
    if len(dues) > 1 and any(_negated(folded, d) for d in dues):
        correction = True
    due = kept[-1] if kept else None
    rest = folded
    for d in dues:
        rest = rest[: d.start] + " " * (d.end - d.start) + rest[d.end :]
    rest, priority = extract_priority(rest, lang)
    # What is left once the fillers go may be a priority word alone ("importante eh", "urgent pls").
    bare = _blank_words(rest, rest, _FILLER | _OPENERS | _CORRECTION)
    alone, level = extract_priority(f"{_STAND_IN} {bare}", lang)
    if level is not None:
        rest, priority = alone[len(_STAND_IN) + 1 :], priority or level
    if "!!" in rest:
        priority = priority or "high"
    if due is None and priority is None:
        return None
    for word in _words(rest):
        if word in _CORRECTION or word in _NEGATION:
            correction = True
        elif word not in _OPENERS and word not in _FILLER:
            return None
    time_only = due is not None and due.recurrence is None and names_only_a_time(due.phrase, now, lang)
    return FollowUp(priority=priority, due=due, time_only=time_only, correction=correction)


def opens_correction(text: str) -> bool:
    """Whether ``text`` starts as a correction ("no, ...", "sorry ...", "digo ...")."""
    first = _words(fold(text))[:2]
    return any(w in _CORRECTION for w in first)


def read_answer(text: str) -> bool | None:
    """A yes or a no to "Delete *X*?" in words of the user's own ("yep go ahead", "sí, dale",
    "nao calma, me confundi"), or None when the message is something else. A no anywhere in the
    first words wins: "yes... no wait" is not a yes."""
    words = _words(fold(text))
    if not words or len(words) > 8:
        return None
    head = words[:3]
    if any(w in _NO for w in head) or head[:2] == ["not", "yet"]:
        return False
    if head[0] in _YES or _ACTION_YES.match(head[0]) or (len(head) > 1 and head[:2] == ["go", "ahead"]):
        # The rest must not start another request: "yes and add milk" is not only an answer.
        rest = [w for w in words[1:] if w not in _YES and w not in _FILLER and not _ACTION_YES.match(w)]
        return True if len(rest) <= 3 else None
    return None


def read_choice(
    text: str,
    options: list[str],
    days: list[str] | None = None,
    *,
    now: datetime | None = None,
    lang: Lang = "en",
) -> int | None:
    """Which of the offered task titles (1-based) a message picks: an ordinal ("the first", "la
    segunda", "o último"), words of one title alone ("the deck one", "la de Sofi", "a da
    escola"), or the day one of them is due ("a de amanhã", "the friday one"; ``days`` are the
    options' local due dates, ISO, "" for none). None when no option, or more than one, fits."""
    words = _words(fold(text))
    if not words or len(words) > 10:
        return None
    # "a segunda", "a quinta": a position among the options offered before a weekday.
    named = [_ORDINALS[w] for w in words if w in _ORDINALS and w not in _CHOICE_FILLER]
    if (
        len(named) == 1
        and 1 <= named[0] <= len(options)
        and len(words) <= 3
        and not {"de", "do", "da"} & set(words)
    ):
        return named[0]
    if days and now is not None and len(days) == len(options):
        due = find_due(text, now, lang)
        if due is not None:
            same = [i for i, d in enumerate(days) if d == due.at.date().isoformat()]
            if len(same) == 1:
                return same[0] + 1
    for w in words:
        if w in _ORDINALS:
            n = _ORDINALS[w]
            n = len(options) if n == -1 else n
            return n if 1 <= n <= len(options) else None
    wanted = {w for w in words if w not in _CHOICE_FILLER and not w.isdigit() and len(w) > 1}
    if not wanted:
        return None
    scores = []
    for title in options:
        have = set(_words(fold(title)))
        scores.append(sum(1 for w in wanted if w in have or any(_same_stem(w, h) for h in have)))
    best = max(scores)
    if best == 0 or scores.count(best) > 1:
        return None
    return scores.index(best) + 1


def _same_stem(a: str, b: str) -> bool:
    """'dentist' ~ 'dentista', 'estadistica' ~ 'estatistica' is too far; plurals and gender are near."""
    if len(a) < 4 or len(b) < 4:
        return False
    n = min(len(a), len(b))
    common = 0
    while common < n and a[common] == b[common]:
        common += 1
    return common >= max(4, n - 2)


# "not dave its dan", "it's Dan not Dave", "é Claudinei não Cláudio", "no son de cal son de cemento".
_COPULA = r"(?:it'?s|it is|is|its|es|son|era|eran|e|sao|eram|foi|was)"
_NOT_X_BUT_Y = re.compile(
    rf"(?:^|\s)(?:not|no|nao|ni)\s+(?:{_COPULA}\s+)?(?P<x>[^,]+?)\s*,?\s+(?:{_COPULA}|but|sino|mas)\s+(?P<y>[^,]+)$"
)
# "no not hollis, Hallam farm": a comma alone says "but".
_NOT_X_COMMA_Y = re.compile(r"(?:^|\s)(?:not|nao|ni)\s+(?P<x>[^,]+?)\s*,\s*(?P<y>[^,]+)$")
_Y_NOT_X = re.compile(rf"(?:^|\s){_COPULA}\s+(?P<y>[^,]+?)\s*,?\s+(?:not|no|nao|e nao|y no)\s+(?P<x>[^,]+)$")
# "no a Juliana no, a Mariana", "no de cal, de cemento": the wrong part and the right one, both
# opened by the same small word.
_NOT_LEAD_X_COMMA_Y = re.compile(
    r"(?:^|\s)(?:no|not|nao)\s+(?P<x>(?P<lead>[a-z]+)\s+[^,]+?)(?:\s+(?:no|not|nao))?\s*,\s*(?P<y>(?P=lead)\s+[^,]+)$"
)
_ONLY_Y = re.compile(rf"^(?:{_COPULA}|i meant|meant|quise decir|queria dizer|quis dizer)\s+(?P<y>.+)$")
_TRAILING = re.compile(r"(?:\s+(?:jaja\w*|haha\w*|kkk\w*|lol|rs|rsrs|sorry|perdon|desculpa|pls|please))+$")


# "corrigindo o nome: ...", "the name is ...": what is being corrected, not the correction.
_NAME_WORDS = bag("name nombre nome o el the")


def _strip_openers(folded: str) -> int:
    """How many leading characters are openers and correction words ("ah no, ", "sorry ")."""
    pos = 0
    for m in _WORD.finditer(folded):
        if (
            m.group() in _OPENERS
            or m.group() in _CORRECTION
            or m.group() in ("no", "nao", "name", "nombre", "nome")
        ):
            pos = m.end()
            continue
        break
    while pos < len(folded) and not folded[pos].isalnum():
        pos += 1
    return pos


def fix_title(text: str, title: str) -> str | None:
    """The title ``text`` corrects ``title`` into, or None: a word or phrase of the title swapped
    for the one the user meant ("not dave its dan" on *email the quote to dave*; "ah no, es de
    Derecho Penal" on *comprar el apunte de Derecho Civil*)."""
    original = text.strip()
    folded = _TRAILING.sub("", fold(original)).rstrip(" .!,")
    original = original[: len(folded)]
    # Tried from every word on: in "no para, no son de cal son de cemento" the first "no" is not
    # the one that names the wrong part.
    for pattern in (_NOT_X_BUT_Y, _Y_NOT_X, _NOT_X_COMMA_Y, _NOT_LEAD_X_COMMA_Y):
        for word in _WORD.finditer(folded):
            m = pattern.match(folded, max(0, word.start() - 1))
            if m:
                x, y = original[m.start("x") : m.end("x")], original[m.start("y") : m.end("y")]
                fixed = _swap(title, x.strip(" ,."), y.strip(" ,."))
                if fixed is not None:
                    return fixed
    if not opens_correction(original):
        return None
    start = _strip_openers(folded)
    m = _ONLY_Y.match(folded[start:])
    if m:
        return _align(title, original[start + m.start("y") : start + m.end("y")].strip(" ,."))
    return None


def _swap(title: str, wrong: str, right: str) -> str | None:
    if not wrong or not right or len(right.split()) > 6:
        return None
    at = fold(title).find(fold(wrong))
    if at < 0:
        return None
    before, after = title[:at], title[at + len(wrong) :]
    # "son 30 bultos" for the "20" of *20 bultos*: the words the user repeated from around the
    # wrong part are not said twice.
    mine, ahead, behind = right.split(), fold(after).split(), fold(before).split()
    for k in range(len(mine) - 1, 0, -1):
        if [fold(w) for w in mine[-k:]] == ahead[:k]:
            mine = mine[:-k]
            break
    for k in range(len(mine) - 1, 0, -1):
        if [fold(w) for w in mine[:k]] == behind[-k:]:
            mine = mine[k:]
            break
    return before + " ".join(mine) + after


def _align(title: str, right: str) -> str | None:
    """Replace the stretch of ``title`` that ``right`` most resembles: as many words, sharing at
    least one of them at the same place and differing in at least one."""
    mine = right.split()
    theirs = title.split()
    if not mine or len(mine) > 6 or len(mine) > len(theirs):
        return None
    best, where = 0, -1
    for i in range(len(theirs) - len(mine) + 1):
        window = [fold(w) for w in theirs[i : i + len(mine)]]
        same = sum(1 for a, b in zip(window, (fold(w) for w in mine), strict=True) if a == b)
        if 0 < same < len(mine) and same > best:
            best, where = same, i
    if where < 0:
        return None
    return " ".join([*theirs[:where], *mine, *theirs[where + len(mine) :]])


# "asignado a Fer", "assign to Ben", "give it to Priya", "pro Diego", "para la Caro".
_ASSIGNEE = re.compile(
    r"^(?:(?:and|y|e|also|no|sorry|digo|perdon|perdona)\s+)*"
    r"(?:(?:assigned|assign(?:\s+it)?|give\s+it|hand\s+it|delegate(?:\s+it)?)\s+to"
    r"|(?:asignad[oa]|asignal[oa]|asignasel[oa]|asignalo|pasasel[oa]|daselo|dasela)\s+a"
    r"|(?:atribuid[oa]|atribui|passa|repassa|delega)\s+(?:pr[oa]|para\s+[oa]|a[o]?|à)"
    r"|for|para|pro|pra|p/)"
    r"\s+(?:(?:el|la|o|a)\s+)?(?P<who>\S+(?:\s+\S+)?)$"
)


def read_assignee(text: str) -> str | None:
    """The teammate a follow-up hands the task in focus to, as typed; a bare "for"/"para" needs a
    capitalised name ("para Fer", never "para mañana")."""
    original = text.strip().rstrip(" .!")
    m = _ASSIGNEE.match(fold(original))
    if not m:
        return None
    who = original[m.start("who") : m.end("who")]
    if not who[:1].isupper() and fold(original[: m.start("who")]).split()[-1:] in (
        ["for"],
        ["para"],
        ["pro"],
        ["pra"],
    ):
        return None
    return who if who[:1].isalpha() else None
