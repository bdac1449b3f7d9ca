"""What a message asks for: the rule-based reading of one user message.

``understand(text, now)`` is pure (no I/O, no clock of its own): the same text and ``now`` always
give the same reading, which is what the tests pin. ``now`` is timezone-aware, in the user's
timezone (see :mod:`tasklane_agent.nlu.dates`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from tasklane_agent.nlu.dates import DueDate, find_due
from tasklane_agent.nlu.priority import Priority, extract_priority, priority_of_adjective


class Intent(StrEnum):
    CREATE_TASK = "create_task"
    LIST_TASKS = "list_tasks"
    GREETING = "greeting"
    HELP = "help"
    THANKS = "thanks"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class TaskDraft:
    """A task as the user described it. ``title`` is empty when they named no task."""

    title: str
    priority: Priority
    due: DueDate | None


@dataclass(frozen=True)
class Understanding:
    intent: Intent
    task: TaskDraft | None = None
    # For UNKNOWN: the message mentions a date, so it probably was a task without a command.
    mentions_date: bool = False


# Politeness that may precede any command: "hey, please add task ...", "can you add ...".
_POLITE = (
    r"^\s*(?:(?:hey|hi|hello|ok|okay)\b[\s,!.]*)?"
    r"(?:(?:please|pls|plz|kindly|can\s+you|could\s+you|would\s+you)\b[\s,]*)*"
)
_DASH = "\\-\u2013\u2014"  # hyphen, en dash, em dash (inside a character class)
_QUOTE = "\"'\u201c\u201d\u2018\u2019"  # straight and curly quotes (inside a character class)
_TASK_WORD = r"(?:task|to-?do|reminder|item)"
_PRIORITY_ADJECTIVE = r"(?P<adj>urgent|important|high[\s-]priority|low[\s-]priority)"
_CREATE_PREFIXES = tuple(
    re.compile(_POLITE + pattern, re.IGNORECASE)
    for pattern in (
        # "create a task to X", "add task X", "new task: X", "make an urgent task for X"
        r"(?:create|add|make|new|set\s+up|open|save)\s+(?:(?:a|an|one|another|new|the)\s+)*"
        rf"(?:{_PRIORITY_ADJECTIVE}\s+)?(?:new\s+)?{_TASK_WORD}\b"
        rf"\s*(?:[:{_DASH}]|\bto\b|\bfor\b|\bcalled\b|\bnamed\b|\bthat\s+says\b)?\s*",
        # "todo: X", "task - X"
        rf"(?:new\s+)?{_TASK_WORD}\s*[:{_DASH}]\s*",
        # "remind me to X", "don't let me forget to X"
        r"(?:remind\s+me|don'?t\s+(?:let\s+me\s+)?forget)\b(?:\s+(?:to|about|that)\b)?\s*",
        # "add to my list: X"
        rf"add\s+(?:to|on)\s+(?:my\s+)?(?:list|tasks|to-?do(?:\s+list)?)\s*[:{_DASH}]?\s*",
    )
)
# "add X to my list"
_CREATE_SUFFIXED = re.compile(
    _POLITE + r"add\s+(?P<body>.+?)\s+to\s+(?:my\s+)?(?:list|tasks|task\s+list|to-?do(?:\s+list)?)[\s.!]*$",
    re.IGNORECASE,
)
# A quoted title is taken as written: "add task 'Ask May' tomorrow". The opening quote must not
# follow a letter, so apostrophes (don't, Bob's) never open one.
_QUOTED = re.compile(rf"(?<!\w)[{_QUOTE}](?P<title>[^\"\u201c\u201d]{{2,}}?)[{_QUOTE}](?!\w)")

_LIST = tuple(
    re.compile(p)
    for p in (
        r"^(?:what(?: are| is|s)?|show(?: me)?|list|see|view|display|get|give me|check|tell me|read)?\s*"
        r"(?:all\s+)?(?:of\s+)?(?:my|the)?\s*(?:open\s+|pending\s+|current\s+|remaining\s+)?"
        r"(?:tasks?|to-?dos?|to-?do list|task list|list)(?:\s+for me)?(?: again)?$",
        r"^what(?:s| is) (?:on|in) my (?:to-?do )?(?:list|plate|agenda)$",
        r"^what (?:do i have|have i got|is there|s left|is left)(?: to do)?$",
        r"^(?:anything|something) (?:to do|pending|left)$",
        r"^what(?:s| is) pending$",
    )
)
_HELP = re.compile(
    r"^(?:help(?: me)?|\?+|menu|commands|start|options|instructions|how to use|"
    r"what can you do|what do you do|how does (?:this|it) work|how do i use (?:this|you|it)|"
    r"who are you|what are you)$"
)
_GREETING = re.compile(
    r"^(?:hi+|hello+|hey+|hiya|heya|yo|howdy|greetings|hola|ola|olá|oi|"
    r"good (?:morning|afternoon|evening|day))(?: there)?(?: [a-z]+)?$"
)
_THANKS = re.compile(r"^(?:thanks?(?: you)?(?: so much| a lot)?|thx|ty|cheers|great|perfect|ok thanks)$")


def normalise(text: str) -> str:
    """Lower case, straight apostrophes, single spaces, no punctuation or emoji at the edges."""
    text = text.lower().replace("\u2019", "'").replace("\u2018", "'")
    text = re.sub(r"[^\w\s'?/-]", " ", text)
    text = re.sub(r"\s+", " ", text).strip(" ?'-")
    return text.replace("what's", "whats").replace("what s", "whats")


def _without_politeness(plain: str) -> str:
    plain = re.sub(r"^(?:(?:please|pls|can you|could you|hey|ok|okay) )+", "", plain)
    return re.sub(r" (?:please|pls)$", "", plain)


_EDGE_NOISE = re.compile(rf"^[\s,.;:!?{_DASH}{_QUOTE}]+|[\s,.;:!?{_DASH}{_QUOTE}]+$")
_DANGLING = re.compile(r"^(?:to|that|about)\s+|\s+(?:by|on|at|due|for|in|and)$", re.IGNORECASE)


def clean_title(text: str) -> str:
    """Collapse spaces and drop the punctuation and connecting words left at the edges."""
    previous = None
    text = re.sub(r"\s+", " ", text)
    while previous != text:
        previous = text
        text = _DANGLING.sub("", _EDGE_NOISE.sub("", text))
    return text


def _draft(body: str, now: datetime, adjective: str | None) -> TaskDraft:
    quoted = _QUOTED.search(body)
    rest = body[: quoted.start()] + " " * len(quoted.group()) + body[quoted.end() :] if quoted else body
    due = find_due(rest, now)
    if due is not None:
        rest = rest[: due.start] + " " + rest[due.end :]
    rest, priority = extract_priority(rest)
    title = clean_title(quoted.group("title") if quoted else rest)
    return TaskDraft(title=title, priority=priority or priority_of_adjective(adjective) or "normal", due=due)


def _create(text: str, now: datetime) -> TaskDraft | None:
    suffixed = _CREATE_SUFFIXED.match(text)
    if suffixed:
        return _draft(suffixed.group("body"), now, None)
    for pattern in _CREATE_PREFIXES:
        m = pattern.match(text)
        if m:
            adjective = m.groupdict().get("adj")
            return _draft(text[m.end() :], now, adjective)
    return None


def understand(text: str, now: datetime) -> Understanding:
    """Read one message. ``now`` is timezone-aware, in the user's timezone."""
    draft = _create(text, now)
    if draft is not None:
        return Understanding(Intent.CREATE_TASK, task=draft)
    plain = normalise(text)
    if _GREETING.match(plain):
        return Understanding(Intent.GREETING)
    plain = _without_politeness(plain)
    if any(p.match(plain) for p in _LIST):
        return Understanding(Intent.LIST_TASKS)
    if _HELP.match(plain) or (not plain and ("?" in text or not text.strip())):
        return Understanding(Intent.HELP)
    # Only emoji (a thumbs-up after a reply) reads as an acknowledgement.
    if _THANKS.match(plain) or not plain:
        return Understanding(Intent.THANKS)
    return Understanding(Intent.UNKNOWN, mentions_date=find_due(text, now) is not None)
