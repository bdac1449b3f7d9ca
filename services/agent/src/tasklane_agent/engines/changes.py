"""The rules engine's actions on tasks, projects and settings, each with its short reply.

An update waits as a JSON-ready ``params`` dict (it may sit in ``state.pending`` while the user
picks a task), so dates travel as ISO strings here.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from tasklane_agent import replies
from tasklane_agent.domain import Profile, Task
from tasklane_agent.domain.deadlines import due_day, local_due
from tasklane_agent.engines.base import MAX_BUTTONS, MAX_ROWS, Button, Context, Outgoing, Row
from tasklane_agent.engines.resolve import action, ask, confirm, resolve
from tasklane_agent.i18n import t
from tasklane_agent.nlu import commands as c
from tasklane_agent.storage.tasks import TaskFilter
from tasklane_agent.workspace import UNSET, NotFound, TaskChanges


def remember(ctx: Context, focus: list[str]) -> None:
    """What the next message's "it" means, and what "undo" puts back."""
    ctx.state.focus = focus
    record = ctx.workspace.tasks.undo_record()
    if record is not None:
        ctx.state.last_action = record


async def _project_id(ctx: Context, name: str, notes: list[str]) -> str:
    """The project called ``name``, created when there is none yet (adding to it is not destructive)."""
    found = await ctx.workspace.projects.find_projects(name)
    if found:
        return found[0].id
    project = await ctx.workspace.projects.create_project(name)
    notes.append(t(ctx.lang, "project_created_too", project=replies.bold(project.name)))
    return project.id


async def _teammate_id(ctx: Context, name: str, notes: list[str]) -> str | None:
    mates = await _teammates(ctx, name)
    if len(mates) == 1:
        return mates[0].user_id
    notes.append(t(ctx.lang, "no_teammate" if not mates else "many_teammates", name=name))
    return None


async def _teammates(ctx: Context, name: str) -> list[Profile]:
    return [m for m in await ctx.workspace.projects.teammates_named(name) if m.user_id != ctx.profile.user_id]


def ask_who(ctx: Context, mates: list[Profile], task: Task) -> Outgoing:
    """Several teammates answer to the name: buttons (or a list) of their full names."""
    shown = mates[:MAX_ROWS]
    token = ask(
        ctx,
        "choose_person",
        task_id=task.id,
        people=[m.user_id for m in shown],
        titles=[m.name or "" for m in shown],
    )
    question = t(ctx.lang, "which_person", title=replies.bold(task.title))
    if len(mates) <= MAX_BUTTONS:
        return Outgoing(
            question, buttons=tuple(Button(f"who:{token}:{m.user_id}", m.name or "?") for m in mates)
        )
    rows = tuple(Row(f"who:{token}:{m.user_id}", m.name or "?") for m in mates[:MAX_ROWS])
    return Outgoing(question, rows=rows, list_button=t(ctx.lang, "choose_button"))


async def assign_to(ctx: Context, task_id: str, user_id: str) -> Outgoing:
    """Assign the task to the teammate picked from ``ask_who``."""
    updated = await ctx.workspace.tasks.update_task(task_id, TaskChanges(assignee_id=user_id))
    remember(ctx, [updated.id])
    mate = await ctx.workspace.core.store.profiles.get(user_id)
    return Outgoing(
        t(ctx.lang, "assigned", title=replies.bold(updated.title), name=mate.name if mate else "?")
    )


async def summary(ctx: Context, task: Task) -> str:
    """One line on where the user stands after a change."""
    today = datetime.combine(ctx.now.date(), time(), tzinfo=ctx.tz)
    tomorrow = today + timedelta(days=1)
    week_end = today + timedelta(days=7 - today.weekday())
    if task.priority == "high":
        n = await ctx.workspace.tasks.count_tasks(TaskFilter(priority="high", due_before=week_end))
        undated = await ctx.workspace.tasks.count_tasks(TaskFilter(priority="high"))
        return t(ctx.lang, "summary_high_week", n=n) if n else t(ctx.lang, "summary_high", n=undated)
    if task.due_at is not None and due_day(task.due_at, task.due_has_time, ctx.tz) <= today.date():
        n = await ctx.workspace.tasks.count_tasks(TaskFilter(due_before=tomorrow))
        return t(ctx.lang, "summary_today", n=n)
    return t(ctx.lang, "summary_open", n=await ctx.workspace.tasks.count_tasks(TaskFilter()))


async def create(ctx: Context, command: c.CreateTask) -> list[Outgoing]:
    if not command.title:
        # The next message is the task ("add a task" ... "buy more deck screws").
        ask(ctx, "title")
        return [Outgoing(t(ctx.lang, "missing_title"))]
    notes: list[str] = []
    project_id = await _project_id(ctx, command.project, notes) if command.project else None
    mates = await _teammates(ctx, command.assignee) if command.assignee else []
    assignee_id = mates[0].user_id if len(mates) == 1 else None
    if command.assignee and not mates:
        notes.append(t(ctx.lang, "no_teammate", name=command.assignee))
    due = command.due
    task = await ctx.workspace.tasks.create_task(
        command.title,
        priority=command.priority or "normal",
        due_at=due.at if due else None,
        due_has_time=bool(due and due.has_time),
        recurrence=due.recurrence.to_rule() if due and due.recurrence else None,
        project_id=project_id,
        assignee_id=assignee_id,
    )
    remember(ctx, [task.id])
    lines = [t(ctx.lang, "created", task=replies.describe(ctx, task))]
    if project_id:
        project = await ctx.workspace.core.project(project_id)
        lines.append(t(ctx.lang, "in_project", project=replies.bold(project.name)))
    if assignee_id:
        mate = await ctx.workspace.core.store.profiles.get(assignee_id)
        lines.append(t(ctx.lang, "assigned_to", name=mate.name if mate and mate.name else "?"))
    lines.extend(notes)
    lines.append(await summary(ctx, task))
    created = [Outgoing("\n".join(lines))]
    if len(mates) > 1:
        created.append(ask_who(ctx, mates, task))
    return created


async def create_several(ctx: Context, commands: list[c.CreateTask]) -> list[Outgoing]:
    """Each task of one message, in one reply: their lines in order, the summary once at the end;
    "it" is then the last one, and "undo" takes them all back."""
    lines: list[str] = []
    extra: list[Outgoing] = []
    created: list[str] = []
    summary = ""
    for command in commands:
        first, *rest = await create(ctx, command)
        *said, summary = first.text.split("\n")
        lines.extend(said)
        extra.extend(rest)
        created.extend(ctx.state.focus[:1])
    remember(ctx, list(reversed(created)))
    return [Outgoing("\n".join([*lines, summary])), *extra]


def update_params(command: c.UpdateTask) -> dict[str, Any]:
    params: dict[str, Any] = {}
    if command.priority:
        params["priority"] = command.priority
    if command.title:
        params["title"] = command.title
    if command.project:
        params["project"] = command.project
    if command.clear_due:
        params["due_at"] = None
    elif command.due is not None:
        params["due_at"] = command.due.at.isoformat()
        params["due_has_time"] = command.due.has_time
        if command.keep_day:
            params["keep_day"] = True
        if command.due.recurrence is not None:
            params["recurrence"] = command.due.recurrence.to_rule()
    return params


async def apply(ctx: Context, verb: str, params: dict[str, Any], task: Task) -> list[Outgoing]:
    ws, lang = ctx.workspace, ctx.lang
    if verb == "complete":
        done, following = await ws.tasks.complete_task(task.id)
        remember(ctx, [done.id])
        lines = [t(lang, "completed", title=replies.bold(done.title))]
        if following is not None:
            lines.append(t(lang, "next_occurrence", task=replies.describe(ctx, following)))
        lines.append(await summary(ctx, done))
        return [Outgoing("\n".join(lines))]
    if verb == "reopen":
        reopened = await ws.tasks.reopen_task(task.id)
        remember(ctx, [reopened.id])
        return [Outgoing(t(lang, "reopened", task=replies.describe(ctx, reopened)))]
    if verb == "delete":
        if not await ws.tasks.may_delete(task):
            return [Outgoing(t(lang, "error_forbidden"))]
        question = t(lang, "confirm_delete", title=replies.bold(task.title))
        return [confirm(ctx, question, {"verb": "delete", "task_ids": [task.id]})]
    notes: list[str] = []
    if verb == "assign":
        mates = await _teammates(ctx, str(params["name"]))
        if len(mates) > 1:
            return [ask_who(ctx, mates, task)]
        if not mates:
            return [Outgoing(t(lang, "no_teammate", name=params["name"]))]
        return [await assign_to(ctx, task.id, mates[0].user_id)]
    params = _keep_the_time(ctx, params, task)
    changes = TaskChanges(
        title=params.get("title"),
        priority=params.get("priority"),
        due_at=_due(params),
        due_has_time=bool(params.get("due_has_time")),
        recurrence=params.get("recurrence", UNSET),
        project_id=await _project_id(ctx, params["project"], notes) if params.get("project") else UNSET,
    )
    updated = await ws.tasks.update_task(task.id, changes)
    remember(ctx, [updated.id])
    lines = [t(lang, "updated", task=replies.describe(ctx, updated)), *notes]
    if params.get("project") and updated.project_id:
        project = await ws.core.project(updated.project_id)
        lines.append(t(lang, "in_project", project=replies.bold(project.name)))
    lines.append(await summary(ctx, updated))
    return [Outgoing("\n".join(lines))]


async def complete_many(ctx: Context, refs: tuple[c.TaskRef, ...]) -> Outgoing:
    """Several list positions at once ("2 and 4 are done"), or several tasks named by what was
    done: all of them or, when one is not in the last list or not surely the one meant, none (a
    wrong number must not leave the others half done). One reply lists them; "undo" puts them all
    back (the workspace keeps every before-image of the message)."""
    ids: list[str] = []
    for ref in refs:
        if ref.query is not None:
            # "fitted the new door and collected the skirting boards": each task named by its words
            # must be the one meant; otherwise none is completed and the first doubt is asked.
            named = await resolve(ctx, ref, action("complete"))
            if named.task is None:
                assert named.reply is not None
                return named.reply
            ids.append(named.task.id)
            continue
        if ref.number is None or not 1 <= ref.number <= len(ctx.state.last_list):
            return Outgoing(t(ctx.lang, "no_such_number", number=ref.number))
        ids.append(ctx.state.last_list[ref.number - 1])
    found = {task.id: task for task in await ctx.workspace.tasks.tasks_by_id(ids)}
    if any(task_id not in found for task_id in ids):
        return Outgoing(t(ctx.lang, "task_gone"))
    done: list[Task] = []
    lines: list[str] = []
    for task_id in dict.fromkeys(ids):
        finished, following = await ctx.workspace.tasks.complete_task(task_id)
        done.append(finished)
        if following is not None:
            lines.append(t(ctx.lang, "next_occurrence", task=replies.describe(ctx, following)))
    remember(ctx, [x.id for x in done])
    if ctx.state.last_action is not None:
        ctx.state.last_action.update(verb="complete", params={})  # "and 5 too" completes #5
    titles = ", ".join(replies.bold(x.title) for x in done)
    return Outgoing("\n".join([t(ctx.lang, "completed", title=titles), *lines, await summary(ctx, done[-1])]))


def _keep_the_time(ctx: Context, params: dict[str, Any], task: Task) -> dict[str, Any]:
    """A new day said without a time keeps the task's time of day: "move the vaccine to Monday"
    on a 10:00 appointment is Monday at 10:00; a time said without a day keeps the day."""
    value = params.get("due_at")
    if value and params.pop("keep_day", False) and task.due_at is not None:
        # "move my shift to 12" on Saturday's shift, "cámbiala a las 12:30": that day at the time.
        day = local_due(task.due_at, task.due_has_time, ctx.tz).date()
        at = datetime.combine(day, datetime.fromisoformat(value).astimezone(ctx.tz).timetz())
        return {**params, "due_at": at.isoformat(), "due_has_time": True}
    params = {k: v for k, v in params.items() if k != "keep_day"}
    if not value or params.get("due_has_time") or params.get("recurrence"):
        return params
    if task.due_at is None or not task.due_has_time:
        return params
    day = datetime.fromisoformat(value).astimezone(ctx.tz).date()
    at = datetime.combine(day, local_due(task.due_at, True, ctx.tz).timetz())
    return {**params, "due_at": at.isoformat(), "due_has_time": True}


def _due(params: dict[str, Any]) -> datetime | None:
    if "due_at" not in params:
        return UNSET  # type: ignore[no-any-return]
    value = params["due_at"]
    return datetime.fromisoformat(value) if value else None


async def undo(ctx: Context) -> Outgoing:
    last = ctx.state.last_action
    if not last or not last.get("before"):
        return Outgoing(t(ctx.lang, "nothing_to_undo"))
    restored, skipped = await ctx.workspace.tasks.undo(last)
    ctx.state.last_action = None
    ctx.state.focus = [x.id for x in restored if x.deleted_at is None]
    if not restored:
        return Outgoing(t(ctx.lang, "undo_too_late" if skipped else "nothing_to_undo"))
    shown = [x for x in restored if x.deleted_at is None]
    text = t(ctx.lang, "undone")
    if shown:
        text += "\n" + replies.numbered(ctx, shown)
    if skipped:
        text += "\n" + t(ctx.lang, "undo_partly", n=skipped)
    return Outgoing(text)


async def create_project(ctx: Context, name: str) -> Outgoing:
    existing = await ctx.workspace.projects.find_projects(name)
    if existing and existing[0].name.casefold() == name.casefold():
        return Outgoing(t(ctx.lang, "project_exists", project=replies.bold(existing[0].name)))
    project = await ctx.workspace.projects.create_project(name)
    return Outgoing(t(ctx.lang, "project_created", project=replies.bold(project.name), name=project.name))


async def project_status(ctx: Context, name: str | None) -> Outgoing:
    if name is None:
        projects = await ctx.workspace.projects.list_projects()
        if not projects:
            return Outgoing(t(ctx.lang, "no_projects"))
        parts = [replies.progress(ctx, await ctx.workspace.projects.progress(p.id)) for p in projects[:5]]
        return Outgoing(replies.cut("\n\n".join(parts)))
    found = await ctx.workspace.projects.find_projects(name)
    if not found:
        return Outgoing(t(ctx.lang, "no_project", project=name))
    return Outgoing(replies.progress(ctx, await ctx.workspace.projects.progress(found[0].id)))


async def add_member(ctx: Context, project: str | None, member: str) -> Outgoing:
    if not project:
        return Outgoing(t(ctx.lang, "which_project"))
    found = await ctx.workspace.projects.find_projects(project)
    if not found:
        return Outgoing(t(ctx.lang, "no_project", project=project))
    notes: list[str] = []
    mate_id = await _teammate_id(ctx, member, notes)
    if mate_id is None:
        return Outgoing("\n".join(notes))
    mate = await ctx.workspace.core.store.profiles.get(mate_id)
    if mate is None:
        raise NotFound("teammate vanished")
    added = await ctx.workspace.projects.add_member(found[0].id, mate)
    key = "member_added" if added else "member_already"
    return Outgoing(t(ctx.lang, key, name=mate.name or member, project=replies.bold(found[0].name)))


async def set_timezone(ctx: Context, zone: str) -> Outgoing:
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        return Outgoing(t(ctx.lang, "unknown_timezone", zone=zone[:60]))
    await ctx.workspace.tasks.set_timezone(zone)
    local = ctx.now.astimezone(ZoneInfo(zone))
    return Outgoing(t(ctx.lang, "timezone_set", zone=zone, time=f"{local:%H:%M}"))
