"""Which task a message means, and the questions asked when it is not clear.

A reference is a list position ("#3" in the last list shown), words of a title ("the presentation
task"), or nothing/a pronoun ("finished it": the task last talked about). One match is used; several
are offered as a WhatsApp list (or buttons) and the action waits in ``state.pending`` until the
user picks; none gets a clear answer. Destructive actions are never applied to a guess.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from tasklane_agent import replies
from tasklane_agent.domain import Task
from tasklane_agent.domain.deadlines import due_day
from tasklane_agent.domain.names import clearly_meant, name_key
from tasklane_agent.engines.base import MAX_BUTTONS, MAX_ROWS, Button, Context, Outgoing, Row
from tasklane_agent.i18n import t
from tasklane_agent.nlu.commands import TaskRef
from tasklane_agent.nlu.language import fold
from tasklane_agent.storage.tasks import TaskFilter


@dataclass(frozen=True)
class Resolved:
    """Either the task, or the message to send instead (a question or "not found")."""

    task: Task | None
    reply: Outgoing | None = None


def action(verb: str, **params: Any) -> dict[str, Any]:
    """A JSON-ready action that can wait in ``state.pending`` for a choice or a confirmation."""
    return {"verb": verb, "params": params}


async def resolve(ctx: Context, ref: TaskRef, pending: dict[str, Any], *, done: bool = False) -> Resolved:
    """The task ``ref`` names. ``done`` looks among completed tasks first (for "reopen")."""
    ws = ctx.workspace
    if ref.number is not None:
        if not 1 <= ref.number <= len(ctx.state.last_list):
            return Resolved(None, Outgoing(t(ctx.lang, "no_such_number", number=ref.number)))
        found = await ws.tasks.tasks_by_id([ctx.state.last_list[ref.number - 1]])
        if not found:
            return Resolved(None, Outgoing(t(ctx.lang, "task_gone")))
        return Resolved(found[0])
    if ref.verb_forms is not None:
        return await _told(ctx, ref, ref.verb_forms, pending)
    if ref.query:
        statuses = ("done", "open") if done else ("open", "done")
        for status in statuses:
            matches, exact = await ws.tasks.match_tasks(ref.query, status=status, limit=MAX_ROWS)
            # One open task close to the words is the one meant for a change of date or priority
            # ("adia a instalação do aquecedor" and *instalar o aquecedor*): asking "which one?"
            # with one choice only slows the user down, and "undo" puts it back. Completing and
            # deleting still want the words to match exactly, or a tap.
            verb = pending.get("verb")
            gentle = (verb == "update" and status == "open") or (verb == "reopen" and status == "done")
            # Completing one task whose title holds every word the user named ("marca a de
            # estatística como feita" with one statistics task) is no guess either.
            named = verb == "complete" and status == "open" and _holds_every_word(matches, ref.query)
            if len(matches) == 1 and (exact or gentle or named):
                return Resolved(matches[0])
            if (verb in ("complete", "update") and status == "open") or (
                verb == "reopen" and status == "done"
            ):
                meant = await _clearly_meant(ctx, ref.query, status)
                if meant is not None:
                    return Resolved(meant)
            if matches:
                return Resolved(None, choose(ctx, matches, pending))
        return Resolved(None, Outgoing(t(ctx.lang, "not_found", query=ref.query)))
    focus = await ws.tasks.tasks_by_id(ctx.state.focus[:1])
    if focus:
        return Resolved(focus[0])
    # "make it high priority" right after a list of one: that one.
    if len(ctx.state.last_list) == 1:
        only = await ws.tasks.tasks_by_id(ctx.state.last_list)
        if only:
            return Resolved(only[0])
    return Resolved(None, Outgoing(t(ctx.lang, "which_task")))


def _holds_verb(task: Task, forms: tuple[str, ...]) -> bool:
    return any(word.startswith(form) for word in name_key(task.title).split() for form in forms)


async def _told(ctx: Context, ref: TaskRef, forms: tuple[str, ...], pending: dict[str, Any]) -> Resolved:
    """The open task a statement is about ("paid the rent", "ya llamé al plomero"). Acted on only
    when one title holds every other word and the verb too ("pay rent"); a title missing the verb
    ("buy flowers for mom" after "called mom"), or holding only some of the words, is offered as a
    choice; nothing is ever created from it."""
    if ref.query is None:
        focus = await ctx.workspace.tasks.tasks_by_id(ctx.state.focus[:1])
        if focus and focus[0].status == "open":
            if _holds_verb(focus[0], forms):
                return Resolved(focus[0])
            return Resolved(None, choose(ctx, focus, pending))
        if not ref.pronoun and forms:
            # "ya llamé" with nothing in focus: the open tasks that hold the verb, asked about
            # (never guessed at) when there are several.
            open_tasks = await ctx.workspace.tasks.list_tasks(TaskFilter(status="open", limit=200))
            told = [x for x in open_tasks if _holds_verb(x, forms)][:MAX_ROWS]
            if len(told) == 1:
                return Resolved(told[0])
            if told:
                return Resolved(None, choose(ctx, told, pending))
        return Resolved(None, Outgoing(t(ctx.lang, "which_task")))
    matches, exact = await ctx.workspace.tasks.match_tasks(ref.query, status="open", limit=MAX_ROWS)
    with_verb = [x for x in matches if _holds_verb(x, forms)]
    if exact and len(with_verb) == 1:
        return Resolved(with_verb[0])
    # The words match no title exactly, yet one title that holds the verb is clearly the one
    # meant ("ya fui por las medicinas a la farmacia, había de todo" and *ir por las medicinas a
    # la farmacia*). Titles without the verb stay out ("called the dentist" never completes
    # *dentist appointment*).
    if matches:
        meant = await _clearly_meant(
            ctx, ref.query, "open", lambda task: _holds_verb(task, forms) or not forms
        )
        if meant is not None:
            return Resolved(meant)
    if with_verb or (matches and exact):
        return Resolved(None, choose(ctx, with_verb or matches, pending))
    return Resolved(None, Outgoing(t(ctx.lang, "not_found_done", query=ref.query)))


# The most tasks a reference is weighed against (a user's open tasks, nearly always all of them).
_WEIGHED = 200


async def _clearly_meant(
    ctx: Context, query: str, status: str, eligible: Callable[[Task], bool] = lambda task: True
) -> Task | None:
    """The one task of ``status`` whose title ``query`` clearly names, weighed against all of them
    (``names.clearly_meant``), when it is ``eligible``."""
    tasks = await ctx.workspace.tasks.list_tasks(TaskFilter(status=status, limit=_WEIGHED))
    candidates = [task for task in tasks if eligible(task)]
    index = clearly_meant(query, [task.title for task in candidates])
    return candidates[index] if index is not None else None


def ask(ctx: Context, kind: str, **waiting: Any) -> str:
    """Leave a question in the conversation state; returns the token its buttons carry, so a tap
    on an older question's button answers nothing (the token is this message's)."""
    token = ctx.workspace.core.seed[:8]
    ctx.state.pending = {"kind": kind, "token": token, **waiting}
    return token


def choose(ctx: Context, tasks: list[Task], pending: dict[str, Any]) -> Outgoing:
    """Ask which of ``tasks`` was meant; the action waits in the conversation state."""
    # Titles and days too: an answer in words ("the deck one", "a de amanhã") is read against
    # them, without the workspace.
    days = [due_day(x.due_at, x.due_has_time, ctx.tz).isoformat() if x.due_at else "" for x in tasks]
    token = ask(
        ctx, "choose", task_ids=[x.id for x in tasks], titles=[x.title for x in tasks], days=days, **pending
    )
    ctx.state.last_list = [x.id for x in tasks]
    text = t(ctx.lang, "which_one")
    if len(tasks) <= MAX_BUTTONS:
        buttons = tuple(Button(f"pick:{token}:{task.id}", task.title) for task in tasks)
        return Outgoing(text + "\n" + replies.numbered(ctx, tasks), buttons=buttons)
    rows = tuple(
        Row(f"pick:{token}:{task.id}", task.title, replies.due_note(ctx, task)) for task in tasks[:MAX_ROWS]
    )
    return Outgoing(text, rows=rows, list_button=t(ctx.lang, "choose_button"))


def confirm(ctx: Context, question: str, pending: dict[str, Any]) -> Outgoing:
    """Yes/No buttons; the action waits in the conversation state."""
    token = ask(ctx, "confirm", **pending)
    return Outgoing(
        question,
        buttons=(
            Button(f"confirm:{token}:yes", t(ctx.lang, "yes")),
            Button(f"confirm:{token}:no", t(ctx.lang, "no")),
        ),
    )


def _holds_every_word(matches: list[Task], query: str) -> bool:
    """Whether the one match's title holds each word of ``query`` longer than a joining word."""
    if len(matches) != 1:
        return False
    have = set(re.findall(r"\w+", fold(matches[0].title)))
    wanted = [w for w in re.findall(r"\w+", fold(query)) if len(w) > 3]
    return bool(wanted) and all(w in have for w in wanted)
