"""What a message asks for, as data: the contract between the parsers and the engines.

The rule parser (:mod:`tasklane_agent.nlu.parse`) turns one message into one ``Command``; the
rules engine carries it out on the user's workspace. Commands hold what the user *said* (a
teammate's name, a project name, a list position), never resolved ids: resolving is the engine's
job, with the user's visibility and conversation memory at hand.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Literal

from tasklane_agent.domain.language import Lang
from tasklane_agent.domain.priority import Priority
from tasklane_agent.nlu.dates import DueDate

# "week" is today to Sunday; "next_week" is Monday to Sunday of the week after.
Scope = Literal["open", "today", "tomorrow", "week", "next_week", "overdue", "done", "all"]


@dataclass(frozen=True)
class TaskRef:
    """Which task a change is about. Nothing set means the task last referred to."""

    number: int | None = None  # position in the last list shown ("#3", "the third one")
    query: str | None = None  # words of its title ("the presentation task" -> "presentation")
    pronoun: bool = False  # "it", "that", "eso", "isso"
    # Set when the user *told* what they did ("paid the rent", "ya llamé al plomero") rather than
    # asked for a change: the forms the verb may take in a title ("pay", "llam"; empty when it
    # has none, "ya fuimos al dentista"). A title holding the other words but not the verb is
    # offered as a choice, never changed on a guess.
    verb_forms: tuple[str, ...] | None = None


@dataclass(frozen=True)
class CreateTask:
    title: str
    priority: Priority | None = None
    due: DueDate | None = None
    project: str | None = None
    assignee: str | None = None


@dataclass(frozen=True)
class CreateTasks:
    """Several tasks asked for in one message ("Remind me to sign the slip tonight. And I need to
    buy a present for Saturday"), in the order said."""

    tasks: tuple[CreateTask, ...]


@dataclass(frozen=True)
class ListTasks:
    scope: Scope = "open"
    priority: Priority | None = None
    project: str | None = None
    # One local day ("for monday", "on the 5th", "para el viernes"): the tasks due that day, of
    # the status ``scope`` stands for ("open" or "all"). Today and tomorrow are scopes instead.
    day: date | None = None
    # The last local day of a range: alone, everything due up to and including it ("what's due
    # by Friday", overdue tasks too); with ``day``, the days from one to the other ("this weekend").
    until: date | None = None


@dataclass(frozen=True)
class UpdateTask:
    ref: TaskRef
    priority: Priority | None = None
    due: DueDate | None = None
    clear_due: bool = False
    title: str | None = None
    project: str | None = None
    # Only a time of day was said ("cámbiala a las 12:30"): the task keeps its day.
    keep_day: bool = False


@dataclass(frozen=True)
class CompleteTask:
    ref: TaskRef
    # Several tasks at once ("2 and 4 are done", "fiz a 1 e a 3"): every reference, ``ref`` first.
    # Empty for one task, so ``CompleteTask(ref)`` keeps meaning what it always did.
    refs: tuple[TaskRef, ...] = ()
    # A new task asked for in the next sentence ("finished the deck. new task: book flights").
    then: CreateTask | None = None


@dataclass(frozen=True)
class ReopenTask:
    ref: TaskRef


@dataclass(frozen=True)
class DeleteTask:
    ref: TaskRef


@dataclass(frozen=True)
class AssignTask:
    ref: TaskRef
    assignee: str


@dataclass(frozen=True)
class TaskDue:
    """A question about one task's date: "when's the dentist?", "para cuándo era lo de Techint?"."""

    ref: TaskRef


@dataclass(frozen=True)
class MoveTask:
    """A task filed under a project the user already has: "put it under Dissertation", "ponla en
    Casa", "the removal van one should be in house move"."""

    ref: TaskRef
    project: str
    # What the message means when no such project or task exists ("add milk to groceries" is a
    # new task, "poe o peru no projeto natal" might invite someone): carried out instead.
    otherwise: Command | None = None
    # "add X to P": a new task X in P unless an open task is the one meant.
    adds: bool = False
    # The words point at a task the user has ("the visa task", "lo del seguro"): one holding them
    # all is meant. Without, an "add" only means a task of that very name.
    definite: bool = False


@dataclass(frozen=True)
class CreateInProject:
    """ "põe na obra do solar impermeabilizar a laje até dia 5": a new task whose title begins
    with the name the user has for one of their projects; the engine finds where that name ends.
    ``otherwise`` is what the message means when no project's name begins the title."""

    task: CreateTask
    otherwise: Command


@dataclass(frozen=True)
class Undo:
    pass


@dataclass(frozen=True)
class Again:
    """The last change, on another task: "and 3 too", "same for #4", "y la 3 también"."""

    ref: TaskRef


@dataclass(frozen=True)
class CreateProject:
    name: str


@dataclass(frozen=True)
class ProjectStatus:
    name: str | None = None  # None: every project of the user


@dataclass(frozen=True)
class ListProjects:
    pass


@dataclass(frozen=True)
class AddMember:
    project: str | None
    member: str


@dataclass(frozen=True)
class InviteMember:
    """Ask the owner of a phone number to join the user's team: "invite +34 600 111 222"."""

    number: str  # the digits typed, country code first; empty when a name was given instead


@dataclass(frozen=True)
class ShowTeam:
    pass


@dataclass(frozen=True)
class LeaveTeam:
    pass


@dataclass(frozen=True)
class SetTimezone:
    zone: str  # an IANA name when the parser could resolve it, the user's words otherwise


@dataclass(frozen=True)
class SetLanguage:
    lang: Lang


@dataclass(frozen=True)
class Answer:
    yes: bool


@dataclass(frozen=True)
class Choose:
    index: int  # 1-based, a bare number after a list of choices


@dataclass(frozen=True)
class Greeting:
    pass


@dataclass(frozen=True)
class Help:
    pass


@dataclass(frozen=True)
class Thanks:
    pass


@dataclass(frozen=True)
class Unknown:
    mentions_date: bool = False


Command = (
    CreateTask
    | CreateTasks
    | ListTasks
    | UpdateTask
    | CompleteTask
    | ReopenTask
    | DeleteTask
    | AssignTask
    | TaskDue
    | MoveTask
    | CreateInProject
    | Undo
    | Again
    | CreateProject
    | ProjectStatus
    | ListProjects
    | AddMember
    | InviteMember
    | ShowTeam
    | LeaveTeam
    | SetTimezone
    | SetLanguage
    | Answer
    | Choose
    | Greeting
    | Help
    | Thanks
    | Unknown
)


@dataclass(frozen=True)
class Understanding:
    command: Command
    lang: Lang
