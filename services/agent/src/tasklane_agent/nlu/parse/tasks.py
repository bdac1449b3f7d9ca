"""Reading task commands with one language's :class:`~tasklane_agent.nlu.parse.common.Grammar`:
changes to existing tasks and new tasks (lists are :mod:`tasklane_agent.nlu.parse.lists`).

Safety choices (a change touches data the user may not mean to touch):
- a change names its task by list number, pronoun or a few title words; anything broader ("all my
  tasks", "every user's"), a question ("is it done?"), or a phrase holding a date ("complete the
  report by Friday" is a new task, not a completion) is not a reference and the change is dropped;
- weak verbs ("change", "move", "set") only update a task named by words when a link word joins
  the new date ("move the report *to* Monday"): "change the oil tomorrow" is a new task;
- a message without a command word becomes a task only when it holds a date that is not already
  past and does not start with a question word, a pronoun or another command's verb ("pay the
  electricity bill in 2 weeks"; not "paid the rent yesterday"), in one sentence that says nothing
  of how the day feels ("long day today, so tired").
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import datetime

from tasklane_agent.domain.priority import Priority
from tasklane_agent.nlu.commands import (
    AssignTask,
    Command,
    CompleteTask,
    CreateTask,
    DeleteTask,
    ReopenTask,
    TaskRef,
    UpdateTask,
)
from tasklane_agent.nlu.dates import DueDate
from tasklane_agent.nlu.dates.find import names_only_a_time
from tasklane_agent.nlu.language import fold
from tasklane_agent.nlu.overdue import was_due
from tasklane_agent.nlu.parse.common import (
    LEVELS,
    Grammar,
    Message,
    Patterns,
    bag,
    blank,
    clean_name,
    clean_project,
    clean_title,
    due_in,
    looks_like_person,
    parse_ref,
    shifted,
    squash,
)
from tasklane_agent.nlu.priority import extract_priority, priority_of_adjective
from tasklane_agent.nlu.request_words import STRONG, WEAK
from tasklane_agent.nlu.speech import without_fillers, without_remarks

_QUOTED = re.compile(r"(?<!\w)[\"'](?P<title>[^\"]{2,}?)[\"'](?!\w)")
_PROJECT_WORD = re.compile(r"\b(?:project|proyecto|projeto)s?\b")
_LEADING_NUMBER = re.compile(
    r"\s*(?:(?:the|la|el|a|o|task|tarea|tarefa|number|numero|no)\s+)*#?\d{1,3}(?![\d:/.]|\s*(?:am|pm|h\b|st|nd|rd|th))"
)
_ABOUT_TASKS = re.compile(r"\b(?:tasks|tareas|tarefas|todos|to-dos|all my|todas mis|todas as minhas)\b")
_SENTENCES = re.compile(r"\w\s*[.!?]+\s+\w")
_MOOD = re.compile(
    r"\b(?:so\s+(?:tired|done|over\s+it|sleepy|stressed)|exhausted|knackered|shattered|wiped\s+out"
    r"|(?:long|rough|crazy|busy|mad|hectic)\s+(?:day|night|week|shift)|what\s+a\s+(?:day|night|week)"
    r"|done\s+with\s+(?:this|the)\s+week|brain\s+is\s+(?:mush|fried|dead)|dead\s+tired|ugh|cansad[oa]|agotad[oa]"
    r"|reventad[oa]|dia\s+largo|que\s+dia|exaust[oa]|morto|morta|dia\s+longo|que\s+canseira"
    r"|lol|lmao|haha+|jaja+|jeje+|kkk+|rsrs+)\b"
)
_CHANGED: dict[str, re.Pattern[str]] = {
    "pt": re.compile(
        r"(?P<ref>.+?)\s+(?P<strong>mudou|mudaram|passou|passaram|ficou|ficaram"
        r"|(?:foi|foram)\s+(?:adiad|remarcad|transferid|mudad|passad|antecipad|reagendad|empurrad)[oa]s?"
        r"|agora\s+(?:e|vai\s+ser|ficou))\s+(?=(?:pra|para|pro|as|a|em|no|na|dia)\s)(?P<rest>.+)"
    ),
    # "la entrega de sillas se movió al lunes", "la junta quedó para el viernes", "el ensayo fue
    # pospuesto al 12", "la cita ahora es a las 5".
    "es": re.compile(
        r"(?P<ref>.+?)\s+(?P<strong>(?:se\s+)?(?:movio|movieron|paso|pasaron|cambio|cambiaron|corrio|corrieron)"
        r"|quedo|quedaron|(?:fue|fueron)\s+(?:movid|pasad|cambiad|aplazad|pospuest|reprogramad|adelantad"
        r"|postergad|corrid)[oa]s?|ahora\s+(?:es|va\s+a\s+ser|queda))\s+(?=(?:para|pa|al|a|el|la|en|las)\s)"
        r"(?P<rest>.+)"
    ),
}
_SAME_TIME = re.compile(
    r"[\s,]*(?:(?:no|na|ao|a|com\s+[oa]|mantendo\s+[oa]|en\s+el|a\s+la|con\s+la|el|la|at\s+the|same)\s+)?"
    r"(?:mesmo\s+horario|mesma\s+hora|mismo\s+horario|misma\s+hora|same\s+time)\b(?:\s+de\s+sempre)?"
)
_ASKS_THE_ASSISTANT = re.compile(r"(?:show|tell|give|send|let)\s+(?:me|us)\b")
_LEADING_FLAG = re.compile(r"(?:urgent|urgente|asap|importante?|very important|muy importante)\b")
_LIST_TARGET = re.compile(r"\b(?:list|tasks|to-?dos?|lista|tareas|pendientes|tarefas|agenda)\b")


def _match(patterns: Patterns, text: str) -> re.Match[str] | None:
    for pattern in patterns:
        m = pattern.fullmatch(text)
        if m:
            return m
    return None


def _group(m: re.Match[str], name: str) -> str | None:
    return m.groupdict().get(name)


# ---------------------------------------------------------------- changes to existing tasks


def _ref(g: Grammar, msg: Message, m: re.Match[str], now: datetime) -> TaskRef | None:
    """The reference captured as ``ref`` (with a clitic pronoun on the verb as a fallback)."""
    folded = _group(m, "ref") or ""
    original = msg.original(m, "ref") if folded else ""
    # "reopen file the taxes, i forgot a form": what follows a comma is a remark (but "1, 2 and 3"
    # are several tasks, refused by parse_ref).
    if "," in folded and not re.search(r",\s*#?\d", folded):
        folded, original = folded[: folded.index(",")], original[: folded.index(",")]
    ref = parse_ref(g.lex, folded, original, (g.change_lead, g.change_trail))
    if ref is None:
        return None
    if ref == TaskRef() and _group(m, "cl"):
        return TaskRef(pronoun=True)
    # "complete the report by Friday", "delete tomorrow's meeting": a date in a reference means
    # the message is about something else (a new task, usually).
    if ref.query is not None and due_in(original, now, g.lex.lang) is not None:
        return None
    return ref


def changes(g: Grammar, msg: Message, now: datetime) -> Command | None:
    """Reopen, complete, delete or assign one task."""
    plain = msg.plain
    for patterns, make in (
        (g.reopen, ReopenTask),
        (g.complete, CompleteTask),
        (g.delete, DeleteTask),
    ):
        m = _match(patterns, plain)
        if m is None:
            continue
        ref = _ref(g, msg, m, now)
        if ref is None or (make is DeleteTask and _deletes_too_much(m, ref)):
            return None
        return make(ref)
    m = _match(g.assign, plain)
    if m:
        ref = _ref(g, msg, m, now)
        who = clean_name(g.lex, m.group("who"), msg.original(m, "who"))
        # "move #2 to Friday" is a date, not a teammate called Friday.
        if who is not None and due_in(who, now, g.lex.lang) is not None:
            return None
        if ref is not None and who is not None:
            return AssignTask(ref, who)
    return None


def _deletes_too_much(m: re.Match[str], ref: TaskRef) -> bool:
    # "delete <nothing>" needs a clitic ("bórrala"); "delete the project X" is not a task.
    if ref == TaskRef() and not _group(m, "cl"):
        return True
    return bool(ref.query and _PROJECT_WORD.search(fold(ref.query)))


def clear_due(g: Grammar, msg: Message, now: datetime) -> UpdateTask | None:
    m = _match(g.clear_due, msg.plain)
    if m is None:
        return None
    ref = _ref(g, msg, m, now)
    return UpdateTask(ref, clear_due=True) if ref is not None else None


def rename(g: Grammar, msg: Message, now: datetime) -> UpdateTask | None:
    m = _match(g.rename, msg.plain)
    if m is None:
        return None
    ref = _ref(g, msg, m, now)
    title = clean_title(g.lex, msg.original(m, "title"))
    return UpdateTask(ref, title=title) if ref is not None and title else None


def _leading_ordinal(g: Grammar, text: str) -> re.Match[str] | None:
    """ "adia *a segunda* pra sexta", "move *the second* to friday": a list position named by an
    ordinal, then the new date after a link word. Without this the ordinal reads as a day
    (*segunda* is also Monday) and the real date as the task."""
    words = "|".join(sorted(g.lex.ordinals, key=len, reverse=True))
    links = "|".join(sorted(g.lex.date_links, key=len, reverse=True))
    if not words or not links:
        return None
    return re.match(rf"\s*(?:(?:the|la|el|a|o)\s+)?(?:{words})\b(?=\s+(?:{links})\b)", text)


# Said of the task rather than asked: "my bookstore shift got moved to 12", "the dentist has been
# pushed back to friday".
_PASSIVE: dict[str, re.Pattern[str]] = {
    "en": re.compile(
        r"(?P<ref>.+?)\s+(?:got|has\s+been|have\s+been|was|were|is|has|had\s+been|'s|s|is\s+being)\s+"
        r"(?P<verb>moved|pushed(?:\s+back)?|changed|rescheduled|bumped|shifted|brought\s+forward|postponed"
        r"|delayed|put\s+back|pulled\s+forward)\s+(?P<rest>(?:to|till|until|for|back\s+to)\s+.+)"
    ),
}
# "move my shift to 12": a bare hour after "to" at the end is a time, as "at 12" is.
_TO_BARE_HOUR = re.compile(r"(?:^|\s)(?:to|till|until)\s+(?P<h>1[0-2]|0?[1-9])\s*$")


_CLOCK_BEFORE = re.compile(r"\d\s*$")
_CLOCK_AFTER = re.compile(r"\s*(?:media|cuarto|meia|quarto|quinze|veinte|vinte|\d)")


def update(g: Grammar, msg: Message, now: datetime) -> UpdateTask | None:
    """Other changes: "make it high priority and due next Friday", "push the report deadline to Monday"."""
    verb = g.update_verb.match(msg.plain)
    passive = _PASSIVE.get(g.lex.lang)
    reported = passive.fullmatch(msg.plain) if verb is None and passive is not None else None
    if reported is not None:
        # Read as the request it reports: "reschedule my bookstore shift to 12".
        request = f"reschedule {msg.original(reported, 'ref')} {msg.original(reported, 'rest')}"
        found = update(g, Message.of(request), now)
        return found if found is not None and found.ref.query is not None else None
    if verb is not None:
        lo = msg.start + verb.end()
        original = msg.text[lo : msg.end]
    else:
        # "meu plantão de sábado mudou pra 13h": the change told, not asked for.
        told = _CHANGED.get(g.lex.lang)
        verb = told.fullmatch(msg.plain) if told is not None else None
        if verb is None:
            return None
        lo = msg.start
        original = blank(msg.text[lo : msg.end], *verb.span("strong"))
    text = fold(original)
    priority: Priority | None = "high" if _group(verb, "up") else "low" if _group(verb, "down") else None
    project = None
    m = g.update_project.search(text)
    if m:
        project = clean_project(g.lex, m.group("project"), original[m.start("project") : m.end("project")])
        original, text = blank(original, *m.span()), blank(text, *m.span())
    same = _SAME_TIME.search(text)
    if same:
        # "muda o dentista pra segunda no mesmo horário": a day alone keeps the time already.
        original, text = blank(original, *same.span()), blank(text, *same.span())
    for joiner in list(g.change_joiner.finditer(text)):
        if _CLOCK_BEFORE.search(text, 0, joiner.start()) and _CLOCK_AFTER.match(text, joiner.end()):
            continue  # "a las 4 y media", "às 4 e meia": part of the time, not two changes
        original, text = blank(original, *joiner.span()), blank(text, *joiner.span())
    clear = g.update_clear.search(text)
    if clear:
        original, text = blank(original, *clear.span()), blank(text, *clear.span())
    # "coloca a 1 pra amanhã": the task's number is not a time ("a 1" would read as 1 o'clock).
    number = _LEADING_NUMBER.match(text) or _leading_ordinal(g, text)
    due = due_in(blank(original, *number.span()) if number else original, now, g.lex.lang)
    moving = bool(_group(verb, "strong")) or verb.group().strip() == "move"
    bare = _TO_BARE_HOUR.search(text) if due is None and moving else None
    if bare is not None:
        hour = bare.start("h")
        due = due_in(original[: bare.start()] + " at " + original[hour:], now, g.lex.lang)
        due = replace(due, start=bare.start(), end=len(original)) if due is not None else None
    linked = False
    if due is not None:
        before = text[: due.start].split()[-1:]
        linked = bare is not None or bool(
            set(before) & g.lex.date_links or fold(due.phrase).split()[0] in g.lex.date_links
        )
        original, text = blank(original, due.start, due.end), blank(text, due.start, due.end)
        # "adia a reunião de segunda pra sexta": the first day names the task, the one after the
        # link word is the new date.
        later = due_in(original, now, g.lex.lang) if not linked else None
        if later is not None and later.start > due.start:
            ahead = text[: later.start].split()[-1:]
            if set(ahead) & g.lex.date_links or fold(later.phrase).split()[0] in g.lex.date_links:
                due, linked = later, True
                original, text = blank(original, later.start, later.end), blank(text, later.start, later.end)
    original, said = extract_priority(original, g.lex.lang)
    text = fold(original)
    level = g.update_level.search(text)
    if level:
        original, text = blank(original, *level.span()), blank(text, *level.span())
    # What was said outright beats the verb's default ("bump it to low" is low).
    priority = said or (LEVELS[level.group("lvl")] if level else None) or priority
    into = g.update_into.search(text) if priority is None and due is None and project is None else None
    if into:
        # "put #1 in kitchen reno": a project without its keyword, only for a task named by number
        # or pronoun (checked below).
        project = clean_project(
            g.lex, into.group("project"), original[into.start("project") : into.end("project")]
        )
        original, text = blank(original, *into.span()), blank(text, *into.span())
    if priority is None and due is None and project is None and not clear:
        return None
    aside = re.search(r",(?!\s*#?\d)", text)
    if aside and re.search(r"\w", text[: aside.start()]):
        # "muda o dentista pra segunda, ele desmarcou": why the change, not the task.
        original, text = original[: aside.start()], text[: aside.start()]
    ref = parse_ref(g.lex, text, original, (g.change_lead, g.change_trail))
    if ref is None or (into and ref.query is not None):
        return None
    if ref == TaskRef() and _group(verb, "cl"):
        ref = TaskRef(pronoun=True)
    # A task named by words after a weak verb: only with a link word before the date and an
    # article before the words ("move the report to Monday", not "change the oil tomorrow").
    weak = not (_group(verb, "strong") or _group(verb, "up") or _group(verb, "down"))
    named = ref.query is not None
    if named and weak and (not g.lex.definite.match(squash(text)) or (due is not None and not linked)):
        return None
    keep_day = (
        due is not None
        and due.has_time
        and due.recurrence is None
        and names_only_a_time(due.phrase, now, g.lex.lang)
    )
    due = shifted(due, lo)
    return UpdateTask(
        ref, priority=priority, due=due, clear_due=bool(clear), project=project, keep_day=keep_day
    )


# ---------------------------------------------------------------- new tasks


def draft(
    g: Grammar,
    msg: Message,
    lo: int,
    hi: int,
    now: datetime,
    *,
    adjective: str | None = None,
    who: str | None = None,
    project: str | None = None,
    cut: tuple[int, int] | None = None,
) -> CreateTask:
    """A task from ``msg.text[lo:hi]``: its date, priority, project and assignee cut from the title.

    ``cut`` is a span of the message already read by the caller ("to the X project").
    """
    original = msg.text[lo:hi]
    if cut is not None:
        original = blank(original, cut[0] - lo, cut[1] - lo)
    text = fold(original)
    title: str | None = None
    quoted = _QUOTED.search(text)
    if quoted:
        title = squash(original[quoted.start("title") : quoted.end("title")])
        original, text = blank(original, *quoted.span()), blank(text, *quoted.span())
    due = due_in(original, now, g.lex.lang)
    if due is not None:
        past = was_due(original[: due.start], due, now, g.lex.lang)
        original, text = blank(original, due.start, due.end), blank(text, due.start, due.end)
        if past is not None:
            # "renew the tv licence, it was due monday 😬": what follows "it was" is a remark.
            due, remark = past
            original, text = blank(original, remark, len(original)), blank(text, remark, len(text))
        elif (halves := _day_and_hour(g, original, due, now)) is not None:
            due, (lo_h, hi_h) = halves
            original, text = blank(original, lo_h, hi_h), blank(text, lo_h, hi_h)
    original = without_fillers(original)
    text = fold(original)
    m = g.task_project.search(text) if project is None else None
    if m and m.group("project"):
        lo_p, hi_p = m.span("project")
        project = clean_project(g.lex, text[lo_p:hi_p], original[lo_p:hi_p])
        original, text = blank(original, *m.span("cut")), blank(text, *m.span("cut"))
    elif m and m.group("hashtag"):
        project = m.group("hashtag")
        original, text = blank(original, *m.span("tag")), blank(text, *m.span("tag"))
    m = g.task_assignee.search(text) if who is None else None
    if m:
        group = "who" if m.group("who") else "handle"
        who = clean_name(g.lex, m.group(group), original[m.start(group) : m.end(group)])
        if who is not None:
            span = m.span("cut") if group == "who" else m.span("at")
            original, text = blank(original, *span), blank(text, *span)
    original, priority = extract_priority(original, g.lex.lang)
    priority = priority or priority_of_adjective(adjective) or ("high" if msg.bangs else None)
    if title is None and due is not None:
        original = _without_aside(original, due.start, due.end)
    return CreateTask(
        # Remarks go last: "pay rent, it's important" has said its priority by now.
        title=title if title is not None else clean_title(g.lex, without_remarks(original, g.lex.lang)),
        priority=priority,
        due=shifted(due, lo),
        project=project,
        assignee=who,
    )


_HOUR_WORD = re.compile(
    r"\d|\b(?:meio|mediodia|noon|midnight|manha|manana|tarde|noite|noche|morning|afternoon|evening|night"
    r"|almoco|almuerzo|lunch|tardinha|noitinha)"
)


def _day_and_hour(
    g: Grammar, rest: str, due: DueDate, now: datetime
) -> tuple[DueDate, tuple[int, int]] | None:
    """One date said in two places around the title ("sexta reunião às 10", "toda segunda natação
    às 18h", "at 3 call Ana tomorrow"): the day of one and the hour of the other, and the span of
    the second one found in ``rest`` (the text with the first blanked)."""
    if not due.has_time and not _HOUR_WORD.search(fold(rest)):
        return None  # no hour said anywhere else: spare the date search
    other = due_in(rest, now, g.lex.lang)
    if other is None or other.recurrence is not None:
        return None
    if not due.has_time and other.has_time and names_only_a_time(other.phrase, now, g.lex.lang):
        day, hour = due, other
    elif due.has_time and due.recurrence is None and not other.has_time:
        if not names_only_a_time(due.phrase, now, g.lex.lang):
            return None
        day, hour = other, due
    else:
        return None
    first, second = sorted((due, other), key=lambda d: d.start)
    if re.search(r"[,.;!?]", rest[first.end : second.start]):
        return None  # "call the bank tomorrow, they close at 4": the hour is the remark's
    at = datetime.combine(day.at.date(), hour.at.timetz())
    repeat = replace(day.recurrence, at=hour.at.time().replace(tzinfo=None)) if day.recurrence else None
    if repeat is not None:
        at = repeat.first_on_or_after(now)  # "toda quarta ... às 8h" said on a Wednesday at 9
    phrase = f"{first.phrase} {second.phrase}"
    return DueDate(at, True, first.start, second.end, phrase, repeat), (other.start, other.end)


# A clause after the date, past a comma: "ligar pro fornecedor hj às 8, o saco tá acabando".
_ASIDE = re.compile(r"\s*,\s*\S+\s+\S+")


def _without_aside(text: str, start: int, end: int) -> str:
    """``text`` (same length) without what follows a comma right after the date, when the title
    came before the date: the task is said, then why or how it stands (its priority, project and
    assignee are read by now)."""
    if not re.search(r"\w", text[:start]) or not _ASIDE.match(text, end):
        return text
    return text[:end] + " " * (len(text) - end)


def _target_project(g: Grammar, folded: str, original: str) -> tuple[bool, str | None]:
    """Whether "add X to <target>" adds a task, and to which project (None: the user's list)."""
    if _LIST_TARGET.search(folded):
        return True, None
    if _PROJECT_WORD.search(folded):
        return True, clean_project(g.lex, folded, original)
    # "add fix the footer to Website Relaunch": English title-case names of two to four words.
    # One capitalised word is as often a person ("add send the contract to Ana") and stays in the
    # title; in Spanish and Portuguese a project needs its keyword.
    parts = original.split()
    if g.lex.lang == "en" and 2 <= len(parts) <= 4 and all(p[:1].isupper() for p in parts):
        return True, clean_project(g.lex, folded, original)
    return False, None


# Someone else's task, handed over after it is said: "Ben needs to update the onboarding doc by
# Friday, can you put it on him".
_HANDED_TO: dict[str, re.Pattern[str]] = {
    "en": re.compile(
        r"(?P<who>[a-z][\w'-]*)\s+(?:needs|has|ought|is\s+supposed|is\s+meant|is\s+going)\s+to\s+(?P<body>.+?)"
        r"\s*,?\s*(?:(?:can|could|would|will)\s+(?:you|u)\s+|pls\s+|please\s+)?(?:put|assign|give|hand)"
        r"\s+(?:it|this|that)\s+(?:on|to)\s+(?:him|her|them)\b.*"
    ),
}


def _handed_to(g: Grammar, msg: Message, now: datetime) -> CreateTask | None:
    pattern = _HANDED_TO.get(g.lex.lang)
    m = pattern.fullmatch(msg.plain) if pattern is not None else None
    if m is None or not looks_like_person(msg.original(m, "who")):
        return None
    who = clean_name(g.lex, m.group("who"), msg.original(m, "who"))
    if who is None or who == "me":
        return None
    return draft(g, msg, msg.start + m.start("body"), msg.start + m.end("body"), now, who=who)


def create(g: Grammar, msg: Message, now: datetime) -> CreateTask | None:
    """A task asked for with a command word: "create a task to ...", "remind me to ...", "add X to
    the Y project"."""
    plain = msg.plain
    handed = _handed_to(g, msg, now)
    if handed is not None:
        return handed
    for pattern in g.create_whole:
        m = pattern.fullmatch(plain)
        if m is None:
            continue
        adds, project = _target_project(g, m.group("target"), msg.original(m, "target"))
        if adds:
            cut = (msg.start + m.start("cut"), msg.start + m.end("cut"))
            return draft(g, msg, msg.start + m.start("body"), msg.end, now, project=project, cut=cut)
    for pattern in g.create_prefix:
        m = pattern.match(plain)
        if m is None:
            continue
        if _passes_on(g, plain[m.end() :]):
            return None
        who = project = None
        if _group(m, "who"):
            who = clean_name(g.lex, m.group("who"), msg.original(m, "who"))
            if who is None:
                continue
        if _group(m, "project"):
            adds, project = _target_project(g, m.group("project"), msg.original(m, "project"))
            if not adds and not project:
                project = clean_project(g.lex, m.group("project"), msg.original(m, "project"))
        return first_sentence(
            g, msg, msg.start + m.end(), msg.end, now, adjective=_group(m, "adj"), who=who, project=project
        )
    return None


# A dictated "punto" leaves its full stop after a space: "... Rosalba . que es su cumpleaños".
_SENTENCE_END = re.compile(r"(?<=\w)(?:[.!?]+|\s+[.!?]+)(?=\s+\S)")
_THAT = re.compile(r"(?:que|q|that)\s+")


def _passes_on(g: Grammar, rest: str) -> bool:
    """Whether "note that ..." holds a request of its own ("apunta que el lunes hay que ir a la obra",
    "anota aí que segunda tenho que passar lá"): the request phrase, read by
    :mod:`tasklane_agent.nlu.parse.indirect`, then says where the task starts and which day is its."""
    lead = _THAT.match(rest)
    if lead is None:
        return False
    head = " ".join(rest[lead.end() :].split()[:8])
    return bool(STRONG[g.lex.lang].search(head) or WEAK[g.lex.lang].search(head))


# A full stop after these ends no sentence: "email Dr. Smith", "la Sra. Pérez", "o Eng. Silva".
_ABBREVIATIONS = frozenset(
    [
        "dr",
        "dra",
        "mr",
        "mrs",
        "ms",
        "mx",
        "st",
        "sr",
        "sra",
        "srta",
        "prof",
        "profa",
        "av",
        "ave",
        "vs",
        "etc",
        "jr",
        "no",
        "nr",
        "rd",
        "mt",
        "ft",
        "co",
        "inc",
        "ltd",
        "eng",
        "ing",
        "lic",
        "arq",
        "tel",
        "dept",
        "approx",
        "min",
        "max",
        "pag",
        "pg",
        "fig",
        "vol",
        "cap",
        "art",
    ]
)


def _sentence_end(folded: str, lo: int, hi: int) -> int | None:
    for m in _SENTENCE_END.finditer(folded, lo, hi):
        word = re.findall(r"\w+", folded[max(lo, m.start() - 12) : m.start()])[-1:]
        if m.group().lstrip().startswith(".") and word and (len(word[0]) == 1 or word[0] in _ABBREVIATIONS):
            continue
        return m.start()
    return None


def first_sentence(
    g: Grammar,
    msg: Message,
    lo: int,
    hi: int,
    now: datetime,
    *,
    adjective: str | None = None,
    who: str | None = None,
    project: str | None = None,
) -> CreateTask:
    """A task from the first sentence of ``msg.text[lo:hi]``; the sentences after it only explain
    ("Remind me to call Ana tomorrow. She's back from holidays."), but may give the date ("I need to
    renew the car insurance. It expires on the 30th.")."""
    end = _sentence_end(msg.folded, lo, hi)
    if end is None:
        return draft(g, msg, lo, hi, now, adjective=adjective, who=who, project=project)
    task = draft(g, msg, lo, end, now, adjective=adjective, who=who, project=project)
    if task.due is None:
        later = due_in(msg.text[end:hi], now, g.lex.lang)
        if later is not None:
            # Its span is outside the title; keep it in the message's offsets all the same.
            task = replace(task, due=shifted(later, end))
    if task.priority is None:
        # "... a las 8 punto es importante", "... a las 10!! es urgente": said in the next sentence.
        _, level = extract_priority(msg.text[end:hi], g.lex.lang)
        if level is not None:
            task = replace(task, priority=level)
    return task


# A message that starts with a verb of things to do is an instruction even without a date ("revise
# for the french oral", "comprar 12 bolsas de cal", "revisar o PR do Diego"): in Spanish and
# Portuguese the infinitive says it, in English a short list of the verbs to-do items start with.
_EN_TASK_VERBS = bag(
    """
    call ring phone text email mail message buy get order pick collect book schedule pay renew
    cancel submit send post return drop bring print file sign fill finish start revise study
    review read write draft prepare prep practice practise fix repair clean wash tidy cook water
    mow plan organize organise sort update check ask tell invite visit research chase
    apply register install paint replace measure quote invoice backup
    """
)
_INFINITIVE = re.compile(r"[a-z]{2,}(?:ar|er|ir)")
# Words with an infinitive's ending that are not verbs, or not requests ("ayer", "mujer", "poder").
_NOT_INFINITIVES = bag(
    """
    ayer mujer mulher lugar hogar qualquer cualquier poder ser estar haber super primer tercer
    bar mar par lar dolar familiar particular popular regular similar titular militar escolar
    seguir saber querer quer ter tener haver
    """
)


# Said to someone, not to a to-do list: "get well soon", "call me maybe", "text me later".
_PLEASANTRY = re.compile(
    r"(?:get well|get (?:some )?(?:rest|sleep)|(?:call|text|email|message|ask|tell) me)\b"
)


def starts_with_task_verb(lang: str, text: str) -> bool:
    """Whether ``text`` opens with a verb of things to do ("renew the insurance", "devolver os
    livros")."""
    return _task_verb(lang, fold(text).split())


def _task_verb(lang: str, words: list[str]) -> bool:
    if len(words) < 2:
        return False
    first = words[0]
    if lang == "en":
        return first in _EN_TASK_VERBS and not _PLEASANTRY.match(" ".join(words))
    return bool(_INFINITIVE.fullmatch(first)) and first not in _NOT_INFINITIVES


def implicit_create(g: Grammar, msg: Message, now: datetime) -> CreateTask | None:
    """A task written without a command word: an instruction with a date ("pay rent on the 1st")."""
    if msg.question or len(msg.plain.split()) < 2:
        return None
    # "pásala al lunes, mi compadre ...": a change to a task the grammar could not finish reading
    # is no new task called "pásala".
    verb = g.update_verb.match(msg.plain)
    if verb is not None and _group(verb, "cl"):
        return None
    unmarked, marked = extract_priority(msg.text[msg.start : msg.end], g.lex.lang)
    first = re.findall(r"[\w']+", fold(unmarked))[:1]
    if not first or first[0] in g.implicit_block:
        return None
    task = draft(g, msg, msg.start, msg.end, now)
    title_words = fold(task.title).split()
    # "urgente asap conseguir el permiso ...": a priority said first marks a task as well as a date.
    flagged = marked is not None and len(title_words) >= 3 and _LEADING_FLAG.match(fold(msg.plain))
    if not title_words or title_words[0] in g.implicit_block:
        return None
    if task.due is None and not flagged and not _task_verb(g.lex.lang, title_words):
        return None
    # "paid the rent yesterday", "ayer fui al gimnasio": a day already past, said without a command
    # word, tells what happened; it asks for nothing.
    if task.due is not None and task.due.at.date() < now.date():
        return None
    # A story, not an instruction: several sentences ("Client call went well. They want the pilot
    # live by mid January."), or how the day feels ("long day today, so tired").
    if _SENTENCES.search(task.title) or _MOOD.search(fold(task.title)):
        return None
    # "show me what is due tomorrow, I want to plan my day": asking the assistant for something.
    if _ASKS_THE_ASSISTANT.match(fold(task.title)):
        return None
    # "move all my tasks to Friday" that no change could read is not a new task either.
    if _ABOUT_TASKS.search(fold(task.title)):
        return None
    if not re.search(r"[a-z]", fold(task.title)):
        return None
    return task
