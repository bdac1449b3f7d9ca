"""The agent's words: short WhatsApp-style texts. Pure functions of their inputs.

Dates are rendered in the user's timezone as "Fri 27 Nov" (plus ", 15:00" when a time was given,
plus the year when it is not the current one), with English names whatever the process locale.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from tasklane_agent.domain import Task

_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
# WhatsApp caps a text body at 4096 characters.
MAX_BODY = 4096

EXAMPLES = (
    "• add task buy milk tomorrow\n"
    "• create a task to review the quarterly reports by Friday\n"
    "• remind me to call the dentist on the 5th at 3pm\n"
    "• what are my tasks?"
)
HELP = "I'm Tasklane, your to-do list on WhatsApp. I can create tasks and list them. Try:\n" + EXAMPLES


def format_due(due_at: datetime, has_time: bool, tz: ZoneInfo, now: datetime) -> str:
    """ "Fri 27 Nov" or "Thu 26 Nov, 15:00" in ``tz``; the year is added when it differs from now's."""
    local = due_at.astimezone(tz)
    text = f"{_DAYS[local.weekday()]} {local.day} {_MONTHS[local.month - 1]}"
    if local.year != now.astimezone(tz).year:
        text += f" {local.year}"
    if has_time:
        text += f", {local:%H:%M}"
    return text


def _is_overdue(task: Task, tz: ZoneInfo, now: datetime) -> bool:
    if task.due_at is None:
        return False
    if task.due_has_time:
        return task.due_at < now
    # A date-only deadline lasts the whole day, in the user's timezone.
    return task.due_at.astimezone(tz).date() + timedelta(days=1) <= now.astimezone(tz).date()


def _bold(title: str) -> str:
    # Asterisks inside the title would end WhatsApp's bold early.
    return "*" + title.replace("*", "") + "*"


def _priority_note(task: Task) -> str:
    return f" ({task.priority} priority)" if task.priority != "normal" else ""


def task_created(task: Task, tz: ZoneInfo, now: datetime, *, recurring: bool = False) -> str:
    text = f"✅ Task created: {_bold(task.title)}"
    if task.due_at is not None:
        text += f" — due {format_due(task.due_at, task.due_has_time, tz, now)}"
    text += _priority_note(task)
    if recurring:
        text += "\nRepeating tasks aren't supported yet, so I set it for the first date only."
    return text


def task_list(tasks: Sequence[Task], total: int, tz: ZoneInfo, now: datetime) -> str:
    if not tasks:
        return "You have no open tasks. Try:\n• add task buy milk tomorrow"
    lines = [f"Your open tasks ({total}):"]
    for number, task in enumerate(tasks, start=1):
        line = f"{number}. {task.title}{_priority_note(task)}"
        if task.due_at is not None:
            line += f" — due {format_due(task.due_at, task.due_has_time, tz, now)}"
            if _is_overdue(task, tz, now):
                line += " (overdue)"
        lines.append(line)
    if total > len(tasks):
        lines.append(f"…and {total - len(tasks)} more.")
    text = "\n".join(lines)
    return text if len(text) <= MAX_BODY else text[: MAX_BODY - 1] + "…"


def missing_title() -> str:
    return "What's the task? Send it with the command, for example:\n• add task buy milk tomorrow"


def greeting(name: str | None) -> str:
    hello = f"Hi {name}! 👋" if name else "Hi! 👋"
    return f"{hello} {HELP}"


def thanks() -> str:
    return "You're welcome! Send *what are my tasks?* any time to see your list."


def fallback(text: str, *, mentions_date: bool) -> str:
    if mentions_date:
        suggestion = text.strip()[:200]
        return (
            "I'm not sure what to do with that. To save it as a task, send:\n"
            f"• add task {suggestion}\n"
            "Or send *help* to see what I can do."
        )
    return "Sorry, I didn't get that. I can create tasks and list them. Try:\n" + EXAMPLES


def unsupported_message(message_type: str) -> str:
    kind = f"{message_type.replace('_', ' ')} messages" if message_type else "these messages"
    return (
        f"Thanks! I can't read {kind} yet, only text for now. Try:\n"
        "• add task buy milk tomorrow\n"
        "• what are my tasks?"
    )
