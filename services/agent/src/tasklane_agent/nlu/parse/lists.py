"""Reading a request for a list of tasks: "my tasks", "what's overdue?", "tasks in Website
Relaunch", "what do I have for Monday?", "o que tenho pra sexta?".

A list request is made only of list words (the grammar's ``list_vocabulary``) once its parts are
taken out, in this order: the priority ("urgent"), the scope words ("today", "next week",
"vencidas"), one date phrase ("for Monday", "on the 5th", "para el viernes"), then a project
("in Website Relaunch"). The date phrase goes before the project because the project pattern
("for <anything>", "para <anything>", "pra <anything>") would otherwise read "Monday" or
"viernes" as a project's name.

A date phrase makes a list of one day only when it names a day: a weekday, a day number, "the day
after tomorrow". A month ("for May"), a week, a weekend, a year, a time ("at 3") or a repeating
phrase would each need a range this command does not have, so such a message is not read as a
list at all (it gets the engine's answer to what it cannot read, rather than the wrong days); so is
"by Friday" (every day up to it). A day that is today or tomorrow becomes those scopes, so the
reply's heading says "Due tomorrow". A day said alone is a list only as a question ("friday?", "e
pra segunda?").

A weekday may also begin a project's name: followed by a capitalised word ("Sunday School",
"Lunes Creativo", "Sábado Bar") it is not a date, and when the words left around a lower-case one
are not list words ("tasks in sunday school") the message is read as if no date had been said.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from tasklane_agent.domain.priority import Priority
from tasklane_agent.nlu.commands import ListTasks, Scope
from tasklane_agent.nlu.dates.find import as_meant
from tasklane_agent.nlu.dates.words import WEEKDAY_WORDS
from tasklane_agent.nlu.language import fold
from tasklane_agent.nlu.parse.common import Grammar, Message, blank, clean_project, due_in, peel
from tasklane_agent.nlu.priority import extract_priority

_TOKEN = re.compile(r"[\w#@-]+")
_LIST_HIGH = re.compile(r"\b(?:urgent|important|urgentes?|importantes?|prioritari[ao]s?|high|alta|altas)\b")
_LIST_LOW = re.compile(r"\b(?:low|baja|bajas|baixa|baixas)\b")
# What a date phrase must hold to name one day, and what makes it name more than one.
_A_DAY = re.compile(
    r"\d|\b(?:" + "|".join(WEEKDAY_WORDS.values()) + r"|today|tomorrow|hoy|manana|hoje|amanha|primero"
    r"|primer|primeiro)\b"
)
# A capitalised word right after a date phrase: the phrase begins a name.
_NAME_GOES_ON = re.compile(r"\s+[A-ZÁÉÍÓÚÂÊÔÃÕÇÑ]")
# "by Friday", "antes del viernes", "até sexta": every day up to it, which one day's list is not.
_UP_TO = re.compile(r"\b(?:by|before|until|till|antes|hasta|ate)\b")
_WEEKEND = re.compile(
    r"\b(?:this\s+|the\s+|el\s+|este\s+|o\s+|no\s+|neste\s+|nesse\s+|esse\s+)?"
    r"(?:weekend|finde|fin\s+de\s+semana|fim\s+de\s+semana)\b"
)
_NOT_ONE_DAY = re.compile(
    r"\b(?:weeks?|weekends?|months?|years?|semanas?|finde|fin\s+de\s+semana|fim\s+de\s+semana|mes|meses"
    r"|anos?)\b"
)


_ONLY = re.compile(r"(?i)(?<!\w)(?:only|just|solo|sólo|nomás|nomas|nada\s+más|só|so|somente|apenas)(?!\w)")


def list_tasks(g: Grammar, msg: Message, now: datetime) -> ListTasks | None:
    """A request made only of list words, or None when the message is something else."""
    original = msg.text[msg.start : msg.end]
    original, priority = extract_priority(original, g.lex.lang)
    # "show me *only* the urgent ones", "me mostra *só* o que tá com prioridade alta": words
    # that narrow or soften a list request say nothing the list needs.
    original = _ONLY.sub(lambda m: " " * len(m.group()), original)
    text = fold(original)
    if priority is None and _LIST_HIGH.search(text):
        priority = "high"
    elif priority is None and _LIST_LOW.search(text):
        priority = "low"
    for pattern in (_LIST_HIGH, _LIST_LOW):
        for m in pattern.finditer(text):
            text = blank(text, *m.span())
    weekend = _WEEKEND.search(text)
    if weekend is not None:
        # "this weekend", "el fin de semana", "no fim de semana": its Saturday and Sunday (what is
        # left of it, on a Sunday). Read before the scopes, which would take "semana" for a week.
        today = now.date()
        saturday = today + timedelta(days=(5 - today.weekday()) % 7) if today.weekday() != 6 else today
        sunday = saturday + timedelta(days=1) if saturday.weekday() == 5 else saturday
        rest = blank(text, *weekend.span())
        return _Request(g, msg, now, original, None, priority).read(
            rest, saturday, weekend.group(), until=sunday
        )
    scope: Scope | None = None
    for pattern, name in g.list_scopes:
        for m in pattern.finditer(text):
            scope = scope or name
            text = blank(text, *m.span())
    request = _Request(g, msg, now, original, scope, priority)
    due = due_in(text, now, g.lex.lang)
    if due is not None and _NAME_GOES_ON.match(original, due.end):
        due = None  # "Sunday School", "Lunes Creativo", "Sábado Bar": a name, not a day
    if due is None:
        return request.read(text, None)
    # "on wensday", "thurs": the words as meant say whether the phrase names a day.
    phrase = fold(as_meant(due.phrase)) if g.lex.lang == "en" else fold(due.phrase)
    rest = blank(text, due.start, due.end)
    plain_date = not (due.recurrence or due.has_time)
    if plain_date and _UP_TO.search(phrase) and not _NOT_ONE_DAY.search(phrase) and _A_DAY.search(phrase):
        # "what's due by Friday": every day up to it, the overdue ones included.
        return request.read(rest, None, phrase, until=due.at.date())
    one_day = not (
        due.recurrence or due.has_time or _NOT_ONE_DAY.search(phrase) or _UP_TO.search(phrase)
    ) and _A_DAY.search(phrase)
    found = request.read(rest, due.at.date(), phrase) if one_day else None
    if found is None:
        # "tasks in Sunday School": the weekday was part of a project's name, which says more.
        named = request.read(text, None)
        if named is not None and named.project and set(fold(named.project).split()) - set(phrase.split()):
            return named
    return found


@dataclass(frozen=True)
class _Request:
    """What a list request said besides its date and project."""

    g: Grammar
    msg: Message
    now: datetime
    original: str
    scope: Scope | None
    priority: Priority | None

    def read(
        self, text: str, day: date | None, phrase: str = "", *, until: date | None = None
    ) -> ListTasks | None:
        """The list ``text`` (scope and priority words blanked out) asks for on ``day``, said with
        the date ``phrase`` (whose filler may be the list word: "what's *due* on Friday")."""
        g, scope = self.g, self.scope
        project, text = _list_project(g, text, self.original)
        tokens = set(_TOKEN.findall(text))
        if tokens - g.list_vocabulary:
            return None
        triggered = bool((tokens | set(_TOKEN.findall(phrase))) & g.list_triggers)
        if day is not None or until is not None:
            # "friday" alone is too little to be a list ("friday?" is a question): a list word or
            # a question mark must come with the day.
            if scope not in (None, "all") or not (tokens or self.msg.question):
                return None
            one_day = day is not None and until is None
            if one_day and scope is None and day - self.now.date() in (timedelta(0), timedelta(days=1)):  # type: ignore[operator]
                scope, day = ("today" if day == self.now.date() else "tomorrow"), None
        # A project or a priority needs a list word with it: "i'm in a meeting" is not a list.
        if not (triggered or scope or day or until or (self.priority and tokens)) or (
            project and not triggered
        ):
            return None
        return ListTasks(scope=scope or "open", priority=self.priority, project=project, day=day, until=until)


def _list_project(g: Grammar, text: str, original: str) -> tuple[str | None, str]:
    """The project a list asks about ("in Website Relaunch", "Website Relaunch tasks"), if any."""
    vocabulary = g.list_vocabulary
    # Each preposition in turn ("what's on my agenda for Website Relaunch": not "my agenda").
    m = g.list_project.search(text)
    while m:
        lo, hi = m.span("project")
        start, _ = peel(text[lo:hi], (g.lex.project_lead,), ())
        first = text[lo + start : hi].split()[:1]
        # "on my list, I think ...": the comma ends the list word, not a project's name.
        if first and first[0].rstrip(",.;:!?") not in vocabulary:
            name = clean_project(g.lex, text[lo:hi], original[lo:hi])
            return name, blank(text, m.start(), m.end())
        m = g.list_project.search(text, m.start() + 1)
    tokens = list(_TOKEN.finditer(text))
    for i, token in enumerate(tokens):
        if token.group() not in g.list_nouns_after_project:
            continue
        j = i
        while j > 0 and (tokens[j - 1].group() == "project" or tokens[j - 1].group() not in vocabulary):
            j -= 1
        # The name must sit right before the noun ("remove all tasks" is not project "remove").
        gap = text[tokens[i - 1].end() : token.start()] if i else ""
        if gap.strip() == "" and len(gap) == 1 and any(t.group() != "project" for t in tokens[j:i]):
            lo, hi = tokens[j].start(), tokens[i - 1].end()
            return clean_project(g.lex, text[lo:hi], original[lo:hi]), blank(text, lo, hi)
    return None, text
