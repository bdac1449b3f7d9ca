"""The tools offered to the model, as JSON schemas of the OpenAI chat-completions API.

Kept apart from their execution (``tools``) so the contract with the model reads in one place,
with the checks of what the model sends back.
Arguments are strings, numbers and enums only: small local models follow flat schemas best, and
no argument can name a user (see ``tools`` for why that matters).
"""

from __future__ import annotations

from datetime import date
from typing import Any

PRIORITIES = ("low", "normal", "high")
SCOPES = ("open", "today", "tomorrow", "week", "next_week", "overdue", "done", "all")
CLEARABLE = ("due", "recurrence", "project", "assignee")

_TASK_REF = {
    "type": "string",
    "description": 'The task\'s number in the last list shown ("1" is the first) or its id.',
}
_DUE = {
    "type": "string",
    "description": "Local date YYYY-MM-DD, or local date and time YYYY-MM-DDTHH:MM, in the user's timezone.",
}
_RECURRENCE = {
    "type": "string",
    "description": 'How it repeats, in English: "every day", "every Monday at 9am", "every 1st of the month"',
}
_PRIORITY = {"type": "string", "enum": list(PRIORITIES)}


def _tool(name: str, description: str, properties: dict[str, Any], *required: str) -> dict[str, Any]:
    parameters = {"type": "object", "properties": properties, "required": list(required)}
    return {
        "type": "function",
        "function": {"name": name, "description": description, "parameters": parameters},
    }


TOOLS: list[dict[str, Any]] = [
    _tool(
        "list_tasks",
        "List the user's tasks; the result is numbered and becomes the list the user refers to.",
        {
            "scope": {"type": "string", "enum": list(SCOPES), "description": "Default: open."},
            "priority": _PRIORITY,
            "project": {"type": "string", "description": "Project name."},
            "query": {"type": "string", "description": "Words of the title."},
            "from_date": {
                "type": "string",
                "description": "Only tasks due on or after this local date, YYYY-MM-DD.",
            },
            "to_date": {
                "type": "string",
                "description": "Only tasks due on or before this local date, YYYY-MM-DD (this weekend: "
                "Saturday to Sunday; by Friday: to_date alone).",
            },
        },
    ),
    _tool(
        "find_tasks",
        "Find tasks by words of their title; the result becomes the list the user refers to.",
        {"query": {"type": "string"}, "include_done": {"type": "boolean"}},
        "query",
    ),
    _tool(
        "create_task",
        "Create a task for the user (or assigned to a teammate).",
        {
            "title": {"type": "string", "description": "Short title, without the date or priority words."},
            "due": _DUE,
            "priority": _PRIORITY,
            "project": {"type": "string", "description": "Name of an existing project."},
            "assignee": {"type": "string", "description": "A teammate's name."},
            "recurrence": _RECURRENCE,
        },
        "title",
    ),
    _tool(
        "update_task",
        "Change a task: title, due date, priority, recurrence, project or assignee.",
        {
            "task": _TASK_REF,
            "title": {"type": "string"},
            "due": _DUE,
            "priority": _PRIORITY,
            "recurrence": _RECURRENCE,
            "project": {"type": "string", "description": "Move it to this project (by name)."},
            "assignee": {"type": "string", "description": "Assign it to this teammate (by name)."},
            "clear": {"type": "array", "items": {"type": "string", "enum": list(CLEARABLE)}},
        },
        "task",
    ),
    _tool(
        "complete_task",
        "Mark a task as done; several list numbers at once too.",
        {
            "task": {
                "type": "string",
                "description": 'The task\'s number in the last list shown ("1" is the first) or its id; '
                'several numbers separated by commas ("2, 4") complete them all.',
            }
        },
        "task",
    ),
    _tool("reopen_task", "Mark a done task as open again.", {"task": _TASK_REF}, "task"),
    _tool(
        "delete_task",
        "Propose deleting a task. Nothing is deleted until the user confirms with the buttons.",
        {"task": _TASK_REF},
        "task",
    ),
    _tool("undo", "Undo the last change the user made.", {}),
    _tool("create_project", "Create a project.", {"name": {"type": "string"}}, "name"),
    _tool(
        "project_status",
        "Progress of a project (or of all the user's projects when no name is given).",
        {"project": {"type": "string"}},
    ),
    _tool(
        "add_member",
        "Add a teammate to a project.",
        {"project": {"type": "string"}, "member": {"type": "string", "description": "The teammate's name."}},
        "project",
        "member",
    ),
    _tool(
        "set_timezone",
        "Set the user's timezone.",
        {"zone": {"type": "string", "description": "IANA name, e.g. Europe/Madrid."}},
        "zone",
    ),
]


# ---------------------------------------------------------------------- reading the arguments


class ArgError(ValueError):
    """An argument the model got wrong; it is told so and may try again."""


def text_arg(args: dict[str, Any], key: str, *, required: bool = False) -> str | None:
    value = args.get(key)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise ArgError(f"{key} is required")
        return None
    if not isinstance(value, str):
        raise ArgError(f"{key} must be a string")
    return value.strip()


def date_arg(args: dict[str, Any], key: str) -> date | None:
    """A YYYY-MM-DD argument within the dates the workspace accepts."""
    value = text_arg(args, key)
    if value is None:
        return None
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise ArgError(f"{key} must be a date YYYY-MM-DD, not {value!r}") from None
    if not 1970 <= day.year < 2200:
        raise ArgError(f"{key} must fall between 1970 and 2200")
    return day


def choice_arg(args: dict[str, Any], key: str, options: tuple[str, ...]) -> Any:
    value = args.get(key)
    if value is None or value == "":
        return None
    if value not in options:
        raise ArgError(f"{key} must be one of {', '.join(options)}")
    return value
