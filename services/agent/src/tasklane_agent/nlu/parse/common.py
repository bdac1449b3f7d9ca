"""What the three rule grammars share: the message window, references, names, titles.

A message is matched on its *folded* form (lower case, no accents, straight quotes; see
:func:`tasklane_agent.nlu.language.fold`), which has the same length as the original. Patterns
capture spans there and the parsers cut titles, names and queries out of the *original* at the same
offsets, so "Buy oat milk", "João" and "Website Relaunch" keep the user's casing and accents while
the patterns are written once, without accents ("recuerdame", "amanha").

Every grammar is a table of full-match patterns over the *request*: the message without the
politeness around it ("hey, can you ...", "... por favor") and without edge punctuation and emoji.
The named groups are the same in every language (``ref``, ``who``, ``title``, ``name``, ``zone``,
``rest``, ``cl``) so one engine (:mod:`tasklane_agent.nlu.parse`) reads them all.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime

from tasklane_agent.domain.language import Lang
from tasklane_agent.domain.priority import Priority
from tasklane_agent.nlu.commands import Scope, TaskRef
from tasklane_agent.nlu.dates import DueDate, find_due
from tasklane_agent.nlu.language import fold

Patterns = tuple[re.Pattern[str], ...]


def compile_all(*patterns: str) -> Patterns:
    return tuple(re.compile(p) for p in patterns)


def bag(text: str) -> frozenset[str]:
    """The whitespace-separated words of ``text``."""
    return frozenset(text.split())


def words(text: str) -> str:
    """A regex alternation of whitespace-separated words, longest first (so "todos" beats "todo")."""
    return "|".join(sorted(set(text.split()), key=len, reverse=True))


# Characters kept at the edges of a request: letters, digits, "#3", "@ana", quotes, brackets.
def _keeps(ch: str) -> bool:
    return ch.isalnum() or ch in "#@'\"()"


@dataclass
class Message:
    """One message: the original, its folded twin, and the window holding the request."""

    text: str
    folded: str
    start: int = 0
    end: int = 0
    core_start: int = 0  # the window without edge punctuation but with the politeness
    core_end: int = 0
    question: bool = False  # "?" at the end or "¿" at the start
    bangs: bool = False  # "!!" at an edge: high priority
    spans: dict[str, tuple[int, int]] = field(default_factory=dict)

    @classmethod
    def of(cls, text: str) -> Message:
        folded = fold(text)
        start, end = 0, len(text)
        while start < end and not _keeps(folded[start]):
            start += 1
        while end > start and not _keeps(folded[end - 1]):
            end -= 1
        tail, head = folded[end:], folded[:start]
        return cls(
            text=text,
            folded=folded,
            start=start,
            end=end,
            core_start=start,
            core_end=end,
            question="?" in tail or "¿" in head,
            bangs="!!" in tail.replace(" ", "") or "!!" in head.replace(" ", ""),
        )

    @property
    def plain(self) -> str:
        """The request, folded."""
        return self.folded[self.start : self.end]

    @property
    def core(self) -> str:
        """The whole message, folded, without edge punctuation (politeness kept)."""
        return self.folded[self.core_start : self.core_end]

    def strip(self, prefix: re.Pattern[str], suffix: re.Pattern[str]) -> None:
        """Narrow the request window past the politeness at its edges."""
        while self.start < self.end and not _keeps(self.folded[self.start]):
            self.start += 1
        # A clause cut before its comma ("pásala al lunes x favor ,, ...") ends in a space.
        while self.end > self.start and not _keeps(self.folded[self.end - 1]):
            self.end -= 1
        m = prefix.match(self.plain)
        if m and m.end() < len(self.plain):
            self.start += m.end()
        m = suffix.search(self.plain)
        if m and m.start() > 0:
            self.end = self.start + m.start()
        while self.end > self.start and not _keeps(self.folded[self.end - 1]):
            self.end -= 1

    def original(self, m: re.Match[str], group: str | int = 0) -> str:
        """The user's own text of ``group`` (offsets of a match on :attr:`plain`)."""
        lo, hi = m.span(group)
        return self.text[self.start + lo : self.start + hi] if lo >= 0 else ""


def due_in(text: str, now: datetime, lang: Lang) -> DueDate | None:
    """The first date phrase of ``text`` in ``lang`` (dates.py resolves it against ``now``)."""
    return find_due(text, now, lang)


def shifted(due: DueDate | None, offset: int) -> DueDate | None:
    """``due`` found in a part of the message starting at ``offset``, with spans in the message."""
    if due is None or offset == 0:
        return due
    return replace(due, start=due.start + offset, end=due.end + offset)


def blank(text: str, start: int, end: int) -> str:
    """``text`` with ``[start, end)`` replaced by spaces: later offsets stay valid."""
    return text[:start] + " " * (end - start) + text[end:]


def squash(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


@dataclass(frozen=True)
class Lexicon:
    """The words of one language that references, names and titles are built from."""

    lang: Lang
    pronoun: re.Pattern[str]  # full match: "it", "that one", "eso", "isso"
    ordinals: Mapping[str, int]  # "second" -> 2, "segunda" -> 2
    ref_lead: re.Pattern[str]  # noise before a reference: articles, "task", prepositions
    ref_trail: re.Pattern[str]  # noise after it: "task", "one", "deadline"
    question_words: frozenset[str]  # a reference starting with these is a question, not a task
    name_lead: re.Pattern[str]  # "to", "a", "pro", "o", "@" before a teammate's name
    self_words: frozenset[str]  # "me", "mí", "mim": the user
    title_lead: re.Pattern[str]  # connecting words left at the start of a title
    title_trail: re.Pattern[str]  # and at its end ("by", "para", "até")
    project_lead: re.Pattern[str]  # "the", "project", "el proyecto", "o projeto" before a name
    project_trail: re.Pattern[str]  # "project", "proyecto", "projeto" after it
    definite: re.Pattern[str]  # match: "the", "el", "o" — a reference to an existing task
    date_links: frozenset[str]  # "to", "para", "pra": what joins a task to its new date


# A reference may not reach for more than one task: "delete all my tasks", "every user's tasks".
_BROAD = re.compile(
    # "all" in a compound noun ("the all hands deck", "all-day workshop") names one thing.
    r"\b(?:all(?![\s-]+(?:hands|staff|day|nighter|stars?|saints|inclusive|weather|purpose)\b)|every|everything|everyone|everybody|users?|todas|todos|todo|tudo|usuarios?|tasks|tareas"
    r"|tarefas|"
    r"anything|something|nothing|algo|nada|alguma|algum|alguna|"
    r"instructions?|instrucciones|instrucoes|prompt|system)\b"
)
_SEVERAL = re.compile(r"#?\d+\s*(?:,|&|\+|\band\b|\by\b|\be\b)\s*(?:(?:la|el|a|o|the)\s+)?#?\d+")
_NUMBER = re.compile(r"#?\s*(?P<n>\d{1,3})(?:st|nd|rd|th|º|ª|o|a)?")
_EDGE_LEAD = re.compile(r"[\s,.;:!?'\"()\-\u2013\u2014]+")
_EDGE_TRAIL = re.compile(r"[\s,.;:!?'\"()\-\u2013\u2014]+$")
# Levels said in a change ("to high", "a alta", "pra baixa"); priority.py finds the longer phrases.
LEVELS: dict[str, Priority] = {
    "high": "high", "top": "high", "urgent": "high", "alta": "high", "urgente": "high",
    "low": "low", "baja": "low", "baixa": "low",
    "normal": "normal", "medium": "normal", "media": "normal",
}  # fmt: skip
MAX_QUERY_WORDS = 7


def peel(
    text: str, leads: tuple[re.Pattern[str], ...], trails: tuple[re.Pattern[str], ...]
) -> tuple[int, int]:
    """The span of ``text`` left after repeatedly removing lead/trail noise and edge marks."""
    start, end = 0, len(text)
    while True:
        before = (start, end)
        for pattern in (_EDGE_LEAD, *leads):
            m = pattern.match(text[start:end])
            if m and m.end() > 0:
                start += m.end()
        for pattern in (_EDGE_TRAIL, *trails):
            part = text[start:end]
            m = pattern.search(part)
            if m and m.start() < len(part):
                end = start + m.start()
        if (start, end) == before:
            return start, end


def parse_ref(
    lex: Lexicon, folded: str, original: str, extra: tuple[re.Pattern[str], re.Pattern[str]] | None = None
) -> TaskRef | None:
    """A reference to one task ("#3", "it", "the presentation task"); None if it is not one.

    Empty means "the task last referred to" (``TaskRef()``). None means the words cannot be a
    reference to a single task (a question, "all of them", a sentence): callers then refuse the
    command, which keeps destructive commands to messages that clearly name what they touch.
    """
    plain = squash(folded)
    if not plain:
        return TaskRef()
    # "1, 2 and 3", "la 2 y la 3": one command changes one task; several are not guessed at.
    if _SEVERAL.search(plain):
        return None
    if lex.pronoun.fullmatch(plain):
        return TaskRef(pronoun=True)
    if _BROAD.search(plain):
        return None
    leads, trails = (
        (lex.ref_lead, extra[0]) if extra else (lex.ref_lead,),
        (lex.ref_trail, extra[1]) if extra else (lex.ref_trail,),
    )
    start, end = peel(folded, leads, trails)
    core = squash(folded[start:end])
    if not core:
        return TaskRef()
    if lex.pronoun.fullmatch(core):
        return TaskRef(pronoun=True)
    number = _NUMBER.fullmatch(core)
    if number:
        return TaskRef(number=int(number.group("n")))
    if core in lex.ordinals:
        return TaskRef(number=lex.ordinals[core])
    first = re.findall(r"[a-z]+", core)[:1] or [""]
    if first[0] in lex.question_words or len(core.split()) > MAX_QUERY_WORDS or not re.search(r"[a-z]", core):
        return None
    return TaskRef(query=squash(original[start:end]))


def clean_name(lex: Lexicon, folded: str, original: str, *, max_words: int = 3) -> str | None:
    """A teammate's name as typed ("to Ana" -> "Ana", "pro João" -> "João"); None if not a name."""
    m = lex.name_lead.match(folded)
    start = m.end() if m else 0
    end = len(folded)
    while end > start and not (folded[end - 1].isalnum()):
        end -= 1
    name = squash(original[start:end])
    plain = squash(folded[start:end])
    parts = name.split()
    if not parts or len(parts) > max_words or re.search(r"\d", name):
        return None
    if plain in lex.self_words:
        return "me"
    # Several words are a name only when capitalised like one ("Ana Silva", not "buy the milk").
    if len(parts) > 1 and not all(p[:1].isupper() for p in parts):
        return None
    return name


def looks_like_person(original: str) -> bool:
    """Whether ``original`` is capitalised like a name ("Ana", "Ben Ross"; not "milk", "design logo")."""
    parts = original.split()
    return 0 < len(parts) <= 3 and all(p[:1].isupper() and p.isalpha() for p in parts)


def clean_project(lex: Lexicon, folded: str, original: str) -> str | None:
    """A project name as typed, without "the ... project" / "el proyecto ..." / "#"."""
    start, end = peel(folded, (lex.project_lead,), (lex.project_trail,))
    name = squash(original[start:end]).lstrip("#")
    return name or None


def clean_title(lex: Lexicon, text: str) -> str:
    """A task title: single spaces, no punctuation or connecting words left at its edges."""
    folded = fold(text)
    start, end = peel(folded, (lex.title_lead,), (lex.title_trail,))
    # "anota pra mim pagar o boleto": who the note is for is not the task.
    lead = _FOR_ME.match(folded, start)
    if lead and lead.end() < end:
        start = lead.end()
    return squash(text[start:end])


_FOR_ME = re.compile(r"\s*(?:(?:(?:pra|para|pa)\s+)?mim|(?:para|pa)\s+mi|for\s+me)\s*[:\-]?\s+")


@dataclass(frozen=True)
class Grammar:
    """One language's patterns. Unless noted, each is a full match over the request."""

    lex: Lexicon
    polite_prefix: re.Pattern[str]  # match at the start: "hey, can you", "oye, puedes", "vc pode"
    polite_suffix: re.Pattern[str]  # search at the end: "please", "por favor", "pfv"
    # settings and projects
    timezone: Patterns  # group zone: the user named a timezone; kept raw when unresolvable
    timezone_implicit: Patterns  # group zone: "I'm in London now"; only when it resolves
    list_projects: Patterns
    create_project: Patterns  # group name
    project_status: Patterns  # optional group name (absent: every project)
    add_member: Patterns  # groups who, optional project
    # changes to tasks; optional group cl: a clitic pronoun on the verb ("bórrala")
    undo: Patterns
    clear_due: Patterns  # optional group ref
    rename: Patterns  # groups ref, title
    reopen: Patterns  # group ref
    complete: Patterns  # group ref
    delete: Patterns  # group ref (required: "delete" alone is not enough)
    assign: Patterns  # groups ref, who
    # match at the start; optional groups cl, up ("prioritise"), down, strong (a verb that can only
    # be about a date, "postpone": a weak one, "change", needs "to <date>" with a task named by words)
    update_verb: re.Pattern[str]
    update_project: re.Pattern[str]  # search: "to the X project" (group project) at the end
    update_level: re.Pattern[str]  # search: "to high" (group lvl) at the end
    update_clear: re.Pattern[str]  # search: "and remove the due date"
    update_into: re.Pattern[str]  # search: "in kitchen reno" (group project) at the end, no keyword
    change_joiner: re.Pattern[str]  # finditer: "and make it", "y que sea", "e muda" between changes
    change_lead: re.Pattern[str]  # connecting words around the reference in a change
    change_trail: re.Pattern[str]
    # lists
    list_vocabulary: frozenset[str]  # words a list request may consist of
    list_triggers: frozenset[str]  # at least one must be present (a noun, "what", "show")
    list_scopes: tuple[tuple[re.Pattern[str], Scope], ...]  # search, in precedence order
    list_project: re.Pattern[str]  # search: "in Website Relaunch", "del proyecto X" (group project)
    list_nouns_after_project: frozenset[str]  # "Website Relaunch tasks" (English word order)
    # creating tasks
    create_prefix: Patterns  # match at the start; optional groups adj (priority), who (assignee)
    create_whole: Patterns  # groups body, optional project: "add X to my list", "add X to the Y project"
    # search in a task body: "in project X" (groups cut, project) or "#website" (groups tag, hashtag)
    task_project: re.Pattern[str]
    # search in a task body: "and assign it to Ana" (groups cut, who) or "@ana" (groups at, handle)
    task_assignee: re.Pattern[str]
    implicit_block: frozenset[str]  # first words that never start a task written without a command
