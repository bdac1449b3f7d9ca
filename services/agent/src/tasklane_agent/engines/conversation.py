"""What a message means in the conversation it arrives in, for both engines and the router.

The parser reads a message alone; this module reads it against the conversation state: the
question the assistant left pending (a confirmation, a choice of task or of teammate, "what's the
task?") and the task just talked about (the focus). It decides, without touching the workspace:

- whether the message answers the pending question, and how (``answer_to``): the router sends
  such answers to the offline engine, whose question it is, and the offline engine carries them
  out;
- whether a message right after a change is a follow-up on that task (``follow_up``): a change
  of priority or date with nothing else ("urgent", "tmrw", "digo, sexta").

Title corrections ("not dave its dan") need the focus task's title and are read by the engine
with :func:`tasklane_agent.nlu.parse.followup.fix_title`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from tasklane_agent.domain import ConversationState
from tasklane_agent.domain.language import Lang
from tasklane_agent.nlu import commands as c
from tasklane_agent.nlu.parse.followup import FollowUp, read_answer, read_choice, read_follow_up

# A follow-up without a pronoun only means the task in focus while the exchange is still going:
# the next morning, "tomorrow" is a question, not a change to yesterday's task.
FRESH = timedelta(minutes=30)
# The questions whose answers only the offline engine can take (its own state holds the action).
OFFLINE_QUESTIONS = ("confirm", "choose", "choose_person", "title")


@dataclass(frozen=True)
class PendingAnswer:
    """``kind``: "confirm" (``yes``), "choose" / "choose_person" (``index``, 1-based; ``yes`` when
    the only option was taken with a yes, which also answers a deletion's "are you sure"), or
    "title" (the message is the task the assistant asked for)."""

    kind: str
    yes: bool = False
    index: int = 0


def answer_to(
    pending: dict[str, Any] | None, command: c.Command, text: str, now: datetime, lang: Lang
) -> PendingAnswer | None:
    """The message as an answer to the pending question, if it is one."""
    if not pending:
        return None
    kind = str(pending.get("kind"))
    if kind == "confirm":
        if isinstance(command, c.Answer):
            return PendingAnswer(kind, yes=command.yes)
        yes = read_answer(text)
        return None if yes is None else PendingAnswer(kind, yes=yes)
    if kind in ("choose", "choose_person"):
        count = len(pending.get("task_ids" if kind == "choose" else "people", []))
        if isinstance(command, c.Choose):
            return PendingAnswer(kind, index=command.index) if 1 <= command.index <= count else None
        # "Which one? 1. X" and "sí, bórrala": the only task offered, taken with a yes.
        if count == 1 and read_answer(text) is True:
            return PendingAnswer(kind, index=1, yes=True)
        titles = [str(x) for x in pending.get("titles", [])]
        if len(titles) == count:
            days = [str(x) for x in pending.get("days", [])] or None
            index = read_choice(text, titles, days, now=now, lang=lang)
            if index is not None:
                return PendingAnswer(kind, index=index)
        return None
    # "What's the task?": anything but another request is the task asked for ("buy more screws").
    if kind == "title" and isinstance(command, c.CreateTask | c.Unknown):
        return PendingAnswer(kind)
    return None


def fresh(state: ConversationState, now: datetime) -> bool:
    if state.seen_at is None:
        return False
    seen = state.seen_at if state.seen_at.tzinfo else state.seen_at.replace(tzinfo=UTC)
    return now - seen <= FRESH


def follow_up(state: ConversationState, text: str, now: datetime, lang: Lang) -> FollowUp | None:
    """The message as a change to the task in focus ("urgent", "and at 8am pls", "no, era el
    viernes"), when a task was just talked about."""
    if not state.focus or not fresh(state, now):
        return None
    return read_follow_up(text, now, lang)
