"""Rendering tasks, lists and project progress as short WhatsApp texts, in the user's language.

Titles are shown in *bold* (asterisks inside a title are dropped so they cannot end the bold early);
dates through ``i18n.format_due`` in the user's timezone. A body never exceeds WhatsApp's 4096.
"""

from __future__ import annotations

from collections.abc import Sequence

from tasklane_agent.domain import Progress, Task
from tasklane_agent.domain.recurrence import Recurrence
from tasklane_agent.engines.base import Context
from tasklane_agent.i18n import format_due, t
from tasklane_agent.workspace import is_overdue

MAX_BODY = 4096


def bold(title: str) -> str:
    return "*" + title.replace("*", "") + "*"


def cut(text: str) -> str:
    return text if len(text) <= MAX_BODY else text[: MAX_BODY - 1] + "…"


def due_note(ctx: Context, task: Task) -> str:
    """ "due Fri 27 Nov" (plus "overdue") or empty."""
    if task.due_at is None:
        return ""
    note = t(ctx.lang, "due", when=format_due(task.due_at, task.due_has_time, ctx.tz, ctx.now, ctx.lang))
    if is_overdue(task, ctx.now, ctx.tz):
        note += " " + t(ctx.lang, "overdue_mark")
    return note


def describe(ctx: Context, task: Task) -> str:
    """ "*title* — due Fri 27 Nov (high priority) 🔁 every Monday" """
    text = bold(task.title)
    note = due_note(ctx, task)
    if note:
        text += " — " + note
    if task.priority != "normal":
        text += " " + t(ctx.lang, f"priority_{task.priority}_mark")
    if task.recurrence:
        text += " 🔁 " + Recurrence.from_rule(task.recurrence).describe(ctx.lang)
    if task.status == "done":
        text += " ✔️"
    return text


def numbered(ctx: Context, tasks: Sequence[Task], start: int = 1) -> str:
    return "\n".join(f"{n}. {describe(ctx, task)}" for n, task in enumerate(tasks, start=start))


def task_list(ctx: Context, heading: str, tasks: Sequence[Task], total: int) -> str:
    lines = [f"{heading} ({total}):", numbered(ctx, tasks)]
    if total > len(tasks):
        lines.append(t(ctx.lang, "and_more", n=total - len(tasks)))
    return cut("\n".join(lines))


def progress(ctx: Context, p: Progress) -> str:
    total = p.done + p.open
    lines = [
        t(ctx.lang, "progress_head", project=p.project.name),
        t(ctx.lang, "progress_counts", done=p.done, open=p.open, overdue=p.overdue)
        if total
        else t(ctx.lang, "progress_empty", name=p.project.name),
    ]
    if total:
        lines.append(f"{'▰' * round(10 * p.done / total)}{'▱' * (10 - round(10 * p.done / total))} "
                     f"{round(100 * p.done / total)}%")  # fmt: skip
    if p.next_due is not None:
        lines.append(t(ctx.lang, "progress_next", task=describe(ctx, p.next_due)))
    names = [m.name for m in p.members if m.name]
    if len(names) > 1:
        lines.append(t(ctx.lang, "progress_members", names=", ".join(names)))
    return cut("\n".join(lines))
