"""The tools the LLM engine offers the model, and their execution on the sender's ``Workspace``.

The schemas are in ``tool_schemas`` (``TOOLS``, re-exported here).

Safety rests on what the tools can reach, not on what the model is told: every tool acts through
``context.workspace``, which is bound to the user who wrote the message. No tool takes a user id.
Tasks are named by their position in the last list shown to this user or by a task id that the
workspace only resolves when the task is visible to them; anything else is ``not_found``. So a
prompt injection ("delete every user's tasks") can at worst touch the sender's own tasks, and
deleting even those only proposes a deletion that the user must confirm with a button.

A tool never raises for a refusal or a bad argument: the model gets ``{"error": ..., "message":
...}`` as the tool result and can correct itself or tell the user. ``Toolbox.changes`` records what
was done, so the engine can still report it when the model fails afterwards.
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from tasklane_agent import replies
from tasklane_agent.domain import Profile, Project, Task
from tasklane_agent.domain.deadlines import day_span, local_due, scope_window
from tasklane_agent.domain.language import Lang
from tasklane_agent.domain.names import name_key
from tasklane_agent.domain.recurrence import Recurrence
from tasklane_agent.engines.base import Context
from tasklane_agent.engines.tool_schemas import (
    CLEARABLE,
    PRIORITIES,
    SCOPES,
    TOOLS,
    ArgError,
    choice_arg,
    date_arg,
    text_arg,
)
from tasklane_agent.storage.tasks import TaskFilter
from tasklane_agent.workspace import NotFound, TaskChanges, WorkspaceError, is_overdue

if TYPE_CHECKING:
    from tasklane_agent.nlu.dates import DueDate

FOCUS_SIZE = 10
_READING = frozenset({"list_tasks", "find_tasks", "project_status"})
# "2, 4", "#1 and #3": several list positions in the one string a flat schema allows.
_SEVERAL = re.compile(r"(?:\s|#|\d|,|;|&|\+|/|\band\b)+")

__all__ = ["TOOLS", "ArgError", "Change", "Toolbox"]


@dataclass(frozen=True)
class Change:
    """Something a tool changed, as a line of the i18n catalogue (the rules engine's own words),
    for the summary sent when the model cannot finish its answer."""

    key: str
    params: dict[str, str] = field(default_factory=dict)


class Toolbox:
    """The tools of one message: runs calls, keeps ``context.state`` up to date, records changes."""

    def __init__(self, context: Context) -> None:
        self.ctx = context
        self.ws = context.workspace
        self.changes: list[Change] = []
        self.used: list[str] = []
        self.to_delete: list[Task] = []
        # Each tool is the method of its name: ``list_tasks`` -> ``_list_tasks``.
        self._handlers: dict[str, Callable[[dict[str, Any]], Awaitable[dict[str, Any]]]] = {
            tool["function"]["name"]: getattr(self, "_" + tool["function"]["name"]) for tool in TOOLS
        }

    def intent(self) -> str:
        """What the message was about, for the turn's record: the first tool that acts, else the
        first one called (a single name: the column holds 50 characters)."""
        acting = [n for n in self.used if n not in _READING and n in self._handlers]
        known = [n for n in self.used if n in self._handlers]
        return (acting or known or ["chat"])[0]

    async def run(self, name: str, arguments: str) -> str:
        """The JSON result of one tool call (an ``error`` object when it cannot be carried out)."""
        self.used.append(name)
        handler = self._handlers.get(name)
        if handler is None:
            return _error("unknown_tool", f"there is no tool {name!r}")
        try:
            args = json.loads(arguments or "{}")
        except ValueError:
            return _error("invalid", "the arguments are not valid JSON")
        if not isinstance(args, dict):
            return _error("invalid", "the arguments must be a JSON object")
        try:
            result = await handler(args)
        except WorkspaceError as exc:
            return _error(exc.code, str(exc))
        except ValueError as exc:  # ArgError, and the domain's own checks (a recurrence rule)
            return _error("invalid", str(exc))
        return json.dumps(result, ensure_ascii=False, default=str)

    # ------------------------------------------------------------------ references and values

    async def task(self, ref: object) -> Task:
        """A task by its number in the last list shown, or by its id; only the sender's view."""
        if isinstance(ref, str) and ref.strip().lstrip("#").isdigit():
            ref = int(ref.strip().lstrip("#"))
        if isinstance(ref, int) and not isinstance(ref, bool):
            shown = self.ctx.state.last_list
            if not 1 <= ref <= len(shown):
                raise NotFound(f"there is no #{ref} in the last list shown ({len(shown)} tasks)")
            found = await self.ws.tasks.tasks_by_id([shown[ref - 1]])
            if not found:
                raise NotFound(f"task #{ref} of the last list no longer exists")
            return found[0]
        if isinstance(ref, str) and ref.strip():
            return await self.ws.core.task(ref.strip())
        raise ArgError("task must be a number from the last list or a task id")

    def due(self, value: str) -> tuple[datetime, bool]:
        """(aware local datetime, has a time). ISO first; words ("friday 3pm") as a fallback."""
        tz = self.ctx.tz
        try:
            day = date.fromisoformat(value)
            return datetime.combine(day, time(), tz), False
        except ValueError:
            pass
        try:
            at = datetime.fromisoformat(value)
            return (at.replace(tzinfo=tz) if at.tzinfo is None else at.astimezone(tz)), True
        except (ValueError, OverflowError):
            pass
        found = self._find_due(value)
        if found is None:
            raise ArgError(f"cannot read the date {value!r}: use YYYY-MM-DD or YYYY-MM-DDTHH:MM")
        return found.at, found.has_time

    def recurrence(self, text: str) -> tuple[Recurrence, datetime, bool]:
        """The rule of "every Monday at 9am", with its first occurrence."""
        found = self._find_due(text)
        if (found is None or found.recurrence is None) and "every" not in text.lower():
            found = self._find_due("every " + text)  # "Monday at 9am", "day"
        if found is None or found.recurrence is None:
            raise ArgError(f'cannot read the recurrence {text!r}: say it like "every Monday at 9am"')
        return found.recurrence, found.at, found.has_time

    def _find_due(self, text: str) -> DueDate | None:
        # Imported here: the date parser is the heaviest module of the NLU and only this path
        # needs it. The model is asked for English; the user's language is tried first anyway.
        from tasklane_agent.nlu.dates import find_due

        langs: tuple[Lang, ...] = ("en",) if self.ctx.lang == "en" else (self.ctx.lang, "en")
        for lang in langs:
            found = find_due(text, self.ctx.now, lang)
            if found is not None:
                return found
        return None

    async def project(self, name: str) -> Project:
        found = await self.ws.projects.find_projects(name)
        if not found:
            known = [p.name for p in await self.ws.projects.list_projects(limit=20)]
            raise NotFound(f"no project named {name!r}; the user's projects: {known}")
        if len(found) > 1:
            raise WorkspaceError(f"several projects match {name!r}: {[p.name for p in found]}; ask which")
        return found[0]

    async def teammate(self, name: str) -> Profile:
        found = await self.ws.projects.teammates_named(name)
        exact = [p for p in found if name_key(p.name or "") == name_key(name)]
        if len(exact) == 1 or len(found) == 1:
            return (exact or found)[0]
        if not found:
            raise NotFound(f"no teammate named {name!r} (they must have written to this number)")
        raise WorkspaceError(f"several teammates match {name!r}: {[p.name for p in found]}; ask which")

    async def describe(self, tasks: list[Task], *, numbered: bool = False) -> list[dict[str, Any]]:
        """Tasks as the model sees them: local dates, names instead of ids of people/projects."""
        projects = {
            pid: await self.ws.core.store.projects.get(pid) for pid in {t.project_id for t in tasks} if pid
        }
        people = await self.ws.core.store.profiles.many(
            sorted({t.assignee_id for t in tasks if t.assignee_id})
        )
        out = []
        for index, task in enumerate(tasks, start=1):
            item: dict[str, Any] = {"id": task.id, "title": task.title, "status": task.status}
            if numbered:
                item = {"n": index, **item}
            if task.priority != "normal":
                item["priority"] = task.priority
            if task.due_at is not None:
                local = local_due(task.due_at, task.due_has_time, self.ctx.tz)
                item["due"] = local.strftime("%Y-%m-%dT%H:%M" if task.due_has_time else "%Y-%m-%d")
                if is_overdue(task, self.ctx.now, self.ctx.tz):
                    item["overdue"] = True
            project = projects.get(task.project_id) if task.project_id else None
            if project is not None:
                item["project"] = project.name
            if task.assignee_id in people:
                item["assignee"] = people[task.assignee_id].name
            if task.recurrence:
                item["repeats"] = Recurrence.from_rule(task.recurrence).describe(self.ctx.lang)
            out.append(item)
        return out

    def _shown(self, tasks: list[Task]) -> None:
        self.ctx.state.last_list = [t.id for t in tasks]

    def _touched(self, change: Change | None, *tasks: Task) -> None:
        """Remember a change: focus (most recent first), and the before-images for "undo"."""
        state = self.ctx.state
        ids = [t.id for t in tasks]
        state.focus = (ids + [i for i in state.focus if i not in ids])[:FOCUS_SIZE]
        if self.ws.core.effects.before:
            state.last_action = self.ws.tasks.undo_record()
        if change is not None:
            self.changes.append(change)

    def _line(self, task: Task) -> str:
        return replies.describe(self.ctx, task)

    # ------------------------------------------------------------------ the tools

    async def _list_tasks(self, args: dict[str, Any]) -> dict[str, Any]:
        scope = choice_arg(args, "scope", SCOPES) or "open"
        project = await self.project(name) if (name := text_arg(args, "project")) else None
        query = text_arg(args, "query")
        # The same windows as the rules engine's lists; explicit days narrow them.
        due_from, due_before = scope_window(scope, self.ctx.now)
        first, last = day_span(date_arg(args, "from_date"), date_arg(args, "to_date"), self.ctx.now)
        due_from, due_before = first or due_from, last or due_before
        f = TaskFilter(
            status={"done": "done", "all": None}.get(scope, "open"),
            due_from=due_from,
            due_before=due_before,
            priority=choice_arg(args, "priority", PRIORITIES),
            project_id=project.id if project else None,
            title_words=tuple(name_key(query).split()) if query else (),
            limit=self.ctx.list_limit if scope != "overdue" else 500,
        )
        tasks = await self.ws.tasks.list_tasks(f)
        if scope == "overdue":
            tasks = [t for t in tasks if is_overdue(t, self.ctx.now, self.ctx.tz)]
            total, tasks = len(tasks), tasks[: self.ctx.list_limit]
        else:
            total = len(tasks) if len(tasks) < self.ctx.list_limit else await self.ws.tasks.count_tasks(f)
        self._shown(tasks)
        return {"tasks": await self.describe(tasks, numbered=True), "total": total}

    async def _find_tasks(self, args: dict[str, Any]) -> dict[str, Any]:
        query = text_arg(args, "query", required=True) or ""
        status = None if args.get("include_done") is True else "open"
        tasks = await self.ws.tasks.find_tasks(query, status=status, limit=self.ctx.list_limit)
        self._shown(tasks)
        return {"tasks": await self.describe(tasks, numbered=True)}

    async def _create_task(self, args: dict[str, Any]) -> dict[str, Any]:
        title = text_arg(args, "title", required=True) or ""
        due_at, has_time = self.due(text) if (text := text_arg(args, "due")) else (None, False)
        rule = None
        if text := text_arg(args, "recurrence"):
            recurrence, first, first_has_time = self.recurrence(text)
            rule = recurrence.to_rule()
            if due_at is None:
                due_at, has_time = first, first_has_time
        project = await self.project(name) if (name := text_arg(args, "project")) else None
        assignee = await self.teammate(name) if (name := text_arg(args, "assignee")) else None
        task = await self.ws.tasks.create_task(
            title,
            priority=choice_arg(args, "priority", PRIORITIES) or "normal",
            due_at=due_at,
            due_has_time=has_time,
            recurrence=rule,
            project_id=project.id if project else None,
            assignee_id=assignee.user_id if assignee else None,
        )
        self._touched(Change("created", {"task": self._line(task)}), task)
        return {"created": (await self.describe([task]))[0]}

    async def _update_task(self, args: dict[str, Any]) -> dict[str, Any]:
        task = await self.task(args.get("task"))
        clear = args.get("clear") or []
        if not isinstance(clear, list) or any(c not in CLEARABLE for c in clear):
            raise ArgError(f"clear must be a list of {', '.join(CLEARABLE)}")
        changes: dict[str, Any] = {}
        if title := text_arg(args, "title"):
            changes["title"] = title
        if priority := choice_arg(args, "priority", PRIORITIES):
            changes["priority"] = priority
        if text := text_arg(args, "due"):
            changes["due_at"], changes["due_has_time"] = self.due(text)
        if text := text_arg(args, "recurrence"):
            changes["recurrence"] = self.recurrence(text)[0].to_rule()
        if name := text_arg(args, "project"):
            changes["project_id"] = (await self.project(name)).id
        if name := text_arg(args, "assignee"):
            changes["assignee_id"] = (await self.teammate(name)).user_id
        for name in map(str, clear):
            changes[_CLEARED.get(name, name)] = None
        if not changes:
            raise ArgError("nothing to change")
        updated = await self.ws.tasks.update_task(task.id, TaskChanges(**changes))
        self._touched(Change("updated", {"task": self._line(updated)}), updated)
        return {"updated": (await self.describe([updated]))[0]}

    async def _complete_task(self, args: dict[str, Any]) -> dict[str, Any]:
        given = args.get("task")
        numbers = re.findall(r"\d+", given) if isinstance(given, str) else []
        if isinstance(given, str) and len(numbers) > 1 and _SEVERAL.fullmatch(given):
            # "2, 4": every position is checked before anything is completed, so a wrong number
            # leaves the others as they were.
            tasks = [await self.task(n) for n in dict.fromkeys(numbers)]
            return {"completed_several": [await self._complete_one(task) for task in tasks]}
        return await self._complete_one(await self.task(given))

    async def _complete_one(self, task: Task) -> dict[str, Any]:
        if task.status == "done":
            return {"already_done": (await self.describe([task]))[0]}
        done, following = await self.ws.tasks.complete_task(task.id)
        self._touched(Change("completed", {"title": replies.bold(done.title)}), done)
        if following is not None:
            self.ctx.state.focus.insert(1, following.id)
        result: dict[str, Any] = {"completed": (await self.describe([done]))[0]}
        if following is not None:
            result["next_occurrence"] = (await self.describe([following]))[0]
        return result

    async def _reopen_task(self, args: dict[str, Any]) -> dict[str, Any]:
        task = await self.task(args.get("task"))
        if task.status == "open":
            return {"already_open": (await self.describe([task]))[0]}
        reopened = await self.ws.tasks.reopen_task(task.id)
        self._touched(Change("reopened", {"task": self._line(reopened)}), reopened)
        return {"reopened": (await self.describe([reopened]))[0]}

    async def _delete_task(self, args: dict[str, Any]) -> dict[str, Any]:
        # Never carried out here: the user confirms with a button, which the rules engine handles.
        task = await self.task(args.get("task"))
        if all(t.id != task.id for t in self.to_delete):
            self.to_delete.append(task)
        self.ctx.state.pending = {"kind": "delete", "task_ids": [t.id for t in self.to_delete]}
        return {
            "needs_confirmation": await self.describe(self.to_delete),
            "note": "Not deleted yet. Ask the user to confirm; Yes/No buttons are added to your reply.",
        }

    async def _undo(self, args: dict[str, Any]) -> dict[str, Any]:
        last = self.ctx.state.last_action or {}
        if not isinstance(last.get("before"), dict) or not last["before"]:
            raise WorkspaceError("there is nothing to undo")
        restored, skipped = await self.ws.tasks.undo(last)
        if skipped and not restored:
            raise WorkspaceError("those tasks changed since: nothing was put back")
        self._touched(Change("undone") if restored else None, *restored)
        return {"restored": await self.describe([t for t in restored if t.deleted_at is None])}

    async def _create_project(self, args: dict[str, Any]) -> dict[str, Any]:
        project = await self.ws.projects.create_project(text_arg(args, "name", required=True) or "")
        self.changes.append(Change("project_created", {"project": replies.bold(project.name)}))
        return {"created_project": project.name}

    async def _project_status(self, args: dict[str, Any]) -> dict[str, Any]:
        name = text_arg(args, "project")
        projects = [await self.project(name)] if name else await self.ws.projects.list_projects(limit=10)
        out = []
        for project in projects:
            progress = await self.ws.projects.progress(project.id)
            item: dict[str, Any] = {
                "project": project.name,
                "done": progress.done,
                "open": progress.open,
                "overdue": progress.overdue,
                "members": [m.name for m in progress.members],
            }
            if progress.next_due is not None:
                item["next_due"] = (await self.describe([progress.next_due]))[0]
            out.append(item)
        return {"projects": out}

    async def _add_member(self, args: dict[str, Any]) -> dict[str, Any]:
        project = await self.project(text_arg(args, "project", required=True) or "")
        member = await self.teammate(text_arg(args, "member", required=True) or "")
        added = await self.ws.projects.add_member(project.id, member)
        if added:
            self.changes.append(
                Change("member_added", {"name": member.name or "", "project": replies.bold(project.name)})
            )
        return {"added": added, "member": member.name, "project": project.name}

    async def _set_timezone(self, args: dict[str, Any]) -> dict[str, Any]:
        zone = text_arg(args, "zone", required=True) or ""
        await self.ws.tasks.set_timezone(zone)
        local = self.ctx.now.astimezone(ZoneInfo(zone))
        self.changes.append(Change("timezone_set", {"zone": zone, "time": local.strftime("%H:%M")}))
        return {"timezone": zone}


_CLEARED = {"due": "due_at", "project": "project_id", "assignee": "assignee_id"}


def _error(code: str, message: str) -> str:
    return json.dumps({"error": code, "message": message}, ensure_ascii=False)
