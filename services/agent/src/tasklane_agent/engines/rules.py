"""The offline engine: one parsed command, carried out on the user's workspace, one short reply.

Reading is :mod:`tasklane_agent.nlu` (pure, deterministic); this module decides what to do with
what was read, using the conversation state: a click or a yes/no answers the pending question, a
bare number picks from the last choice offered, anything else starts afresh. Every change leaves
its before-images in ``state.last_action`` so "undo" can put them back.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime
from typing import Any

from tasklane_agent import replies
from tasklane_agent.domain.deadlines import day_span, floating, local_due, scope_window
from tasklane_agent.engines import asks, changes, conversation, team
from tasklane_agent.engines.base import Context, EngineReply, Outgoing
from tasklane_agent.engines.resolve import action, choose, resolve
from tasklane_agent.i18n import format_due, t
from tasklane_agent.nlu import commands as c
from tasklane_agent.nlu.language import fold, small_talk_language
from tasklane_agent.nlu.parse import draft_task
from tasklane_agent.nlu.parse.followup import fix_title, read_assignee
from tasklane_agent.storage.tasks import TaskFilter
from tasklane_agent.workspace import is_overdue


class RulesEngine:
    name = "rules"

    def __init__(self, *, list_limit: int = 20) -> None:
        self.list_limit = list_limit

    async def respond(self, ctx: Context) -> EngineReply:
        """Raises ``WorkspaceError`` for a refused change; the caller rolls its writes back."""
        if ctx.choice_id:
            answered = await self._clicked(ctx, ctx.choice_id)
            if answered is not None:
                return answered
        understood = ctx.understood()
        command = understood.command
        # The reply stays in the language the message was detected in (``turns``): that only
        # another grammar's words made sense of it ("bora", "ok, delete #3") does not mean the user
        # switched. A greeting in a word or two does tell.
        if ctx.profile.lang_source != "user" and isinstance(command, c.Greeting | c.Thanks):
            ctx.lang = small_talk_language(ctx.text) or ctx.lang
        pending = ctx.state.pending
        ctx.state.pending = None
        answer = conversation.answer_to(pending, command, ctx.text, ctx.now, ctx.lang)
        if pending is not None and answer is not None:
            return await self._answered(ctx, pending, answer, command)
        if isinstance(command, c.Choose):
            # "3" alone, with no question pending: say what can be done with the third task.
            return self._reply("choose", [Outgoing(t(ctx.lang, "number_alone", n=command.index))])
        followed = await self._follow_up(ctx, command)
        if followed is not None:
            return followed
        return await self._dispatch(ctx, command)

    async def _answered(
        self, ctx: Context, pending: dict[str, Any], answer: conversation.PendingAnswer, command: c.Command
    ) -> EngineReply:
        if answer.kind == "confirm":
            return await self._answer(ctx, pending, answer.yes)
        if answer.kind == "choose":
            task_id = list(pending.get("task_ids", []))[answer.index - 1]
            if answer.yes and pending.get("verb") == "delete":
                # The question showed this one task and the user said yes to deleting it; who may
                # delete it is checked as for any deletion.
                found = await ctx.workspace.tasks.tasks_by_id([task_id])
                if found and await ctx.workspace.tasks.may_delete(found[0]):
                    return await self._answer(ctx, {"verb": "delete", "task_ids": [task_id]}, True)
            return await self._apply(ctx, pending, task_id)
        if answer.kind == "choose_person":
            person = list(pending.get("people", []))[answer.index - 1]
            return self._reply("assign_task", [await changes.assign_to(ctx, str(pending["task_id"]), person)])
        # "What's the task?": this message is it, whatever command words it lacks.
        task = (
            command
            if isinstance(command, c.CreateTask) and command.title
            else draft_task(ctx.text, ctx.now, ctx.lang)
        )
        return self._reply("create_task", await changes.create(ctx, task))

    async def _follow_up(self, ctx: Context, command: c.Command) -> EngineReply | None:
        """A change to the task just talked about, named by nothing but the change ("urgent",
        "tmrw", "no, era el viernes"), or a correction of its title ("not dave its dan")."""
        if not ctx.state.focus or not conversation.fresh(ctx.state, ctx.now):
            return None
        found = await ctx.workspace.tasks.tasks_by_id(ctx.state.focus[:1])
        task = found[0] if found else None
        if task is None or task.status != "open":
            return None
        change = conversation.follow_up(ctx.state, ctx.text, ctx.now, ctx.lang)
        if change is not None and change.due is not None and _number_of_title(change.due.phrase, task.title):
            # "no son 20, son 30 bultos" on *comprar 20 bultos*: the numbers are the title's, not days.
            change = None
        params: dict[str, Any] = {}
        if change is not None:
            if change.priority:
                params["priority"] = change.priority
            if change.due is not None:
                at, has_time = change.due.at, change.due.has_time
                if task.due_at is not None and change.due.recurrence is None:
                    before = local_due(task.due_at, task.due_has_time, ctx.tz)
                    if change.time_only:
                        # "make it 9am" on tomorrow's task: still tomorrow.
                        at = datetime.combine(before.date(), at.timetz())
                    elif not has_time and task.due_has_time:
                        # "digo, sexta" on Thursday at 11: Friday at 11.
                        at, has_time = datetime.combine(at.date(), before.timetz()), True
                params["due_at"] = at.isoformat()
                params["due_has_time"] = has_time
        elif (who := read_assignee(ctx.text)) is not None:
            return self._reply("assign_task", await changes.apply(ctx, "assign", {"name": who}, task))
        else:
            title = fix_title(ctx.text, task.title)
            if title is None or fold(title) == fold(task.title):
                return None
            params["title"] = title
        return self._reply("update_task", await changes.apply(ctx, "update", params, task))

    def _reply(self, intent: str, messages: list[Outgoing]) -> EngineReply:
        return EngineReply(intent, messages, self.name)

    # ------------------------------------------------------------------ pending questions

    async def _clicked(self, ctx: Context, choice_id: str) -> EngineReply | None:
        """A button or list row we sent; None when it is not ours (the text is read instead)."""
        pending = ctx.state.pending
        parts = choice_id.split(":")
        if parts[0] == "team" and len(parts) == 3:
            # An invitation's buttons: answered whatever the conversation is in the middle of.
            return self._reply("team_answer", [await team.answer(ctx, parts[1], parts[2] == "yes")])
        if parts[0] not in ("confirm", "pick", "who"):
            return None
        # Every question has its own token: a tap on an older question's button (still on the
        # user's screen) must not answer the current one, nor be read as typed text.
        if pending is None or len(parts) != 3 or parts[1] != pending.get("token"):
            return self._reply("stale_choice", [Outgoing(t(ctx.lang, "stale_choice"))])
        ctx.state.pending = None
        if (
            parts[0] == "who"
            and pending.get("kind") == "choose_person"
            and parts[-1] in pending.get("people", [])
        ):
            reply = await changes.assign_to(ctx, str(pending["task_id"]), parts[-1])
            return self._reply("assign_task", [reply])
        if parts[0] == "confirm" and pending.get("kind") == "confirm":
            return await self._answer(ctx, pending, parts[-1] == "yes")
        if (
            parts[0] == "pick"
            and pending.get("kind") == "choose"
            and parts[-1] in pending.get("task_ids", [])
        ):
            return await self._apply(ctx, pending, parts[-1])
        return self._reply("stale_choice", [Outgoing(t(ctx.lang, "stale_choice"))])

    async def _answer(self, ctx: Context, pending: dict[str, Any], yes: bool) -> EngineReply:
        if not yes:
            return self._reply("cancelled", [Outgoing(t(ctx.lang, "cancelled"))])
        if pending.get("verb") == "delete":
            deleted = []
            for task_id in pending.get("task_ids", []):
                deleted.append(await ctx.workspace.tasks.delete_task(task_id))
            changes.remember(ctx, [x.id for x in deleted])
            titles = ", ".join(replies.bold(x.title) for x in deleted)
            return self._reply("delete_task", [Outgoing(t(ctx.lang, "deleted", titles=titles))])
        return self._reply("cancelled", [Outgoing(t(ctx.lang, "stale_choice"))])

    async def _apply(self, ctx: Context, pending: dict[str, Any], task_id: str) -> EngineReply:
        """Carry out a waiting action on the task the user picked."""
        verb, params = pending.get("verb", ""), dict(pending.get("params", {}))
        found = await ctx.workspace.tasks.tasks_by_id([task_id])
        task = found[0] if found else None
        if task is None:
            return self._reply("stale_choice", [Outgoing(t(ctx.lang, "task_gone"))])
        # Deleting asks first (``changes.apply``); the answer comes back to ``_answer``.
        reply = await changes.apply(ctx, verb, params, task)
        if ctx.state.last_action is not None:
            # "and 3 too" repeats this on another task.
            ctx.state.last_action.update(verb=verb, params=params)
        return self._reply(f"{verb}_task", reply)

    # ------------------------------------------------------------------ commands

    async def _dispatch(self, ctx: Context, command: c.Command) -> EngineReply:
        lang = ctx.lang
        match command:
            case c.CreateTask(project=str(project)) if not (
                command.due or command.priority or command.assignee
            ):
                # "add the visa task to Travel", "agregá comprar pan al proyecto Casa": the open
                # task of that name goes there, when the user has it.
                move = c.MoveTask(c.TaskRef(query=command.title), project, otherwise=command, adds=True)
                return await self._move(ctx, move)
            case c.CreateTask(project=None):
                # "adiciona revisar custos do s3 na migração aws pra dia 10": the user's project
                # named at the end of the title, without the word "project".
                split = await asks.split_trailing_project(ctx, command.title)
                if split is not None:
                    command = replace(command, title=split[0], project=split[1])
                return self._reply("create_task", await changes.create(ctx, command))
            case c.CreateTask():
                return self._reply("create_task", await changes.create(ctx, command))
            case c.CreateTasks(tasks=tasks):
                return self._reply("create_task", await changes.create_several(ctx, list(tasks)))
            case c.ListTasks():
                return self._reply("list_tasks", [await self._list(ctx, command)])
            case c.CompleteTask(then=c.CreateTask() as then):
                done = await self._dispatch(ctx, replace(command, then=None))
                return self._reply(done.intent, [*done.messages, *await changes.create(ctx, then)])
            case c.CompleteTask(refs=refs) if len(refs) > 1:
                return self._reply("complete_task", [await changes.complete_many(ctx, refs)])
            case c.CompleteTask(ref=ref):
                return await self._on_task(ctx, ref, "complete", {})
            case c.ReopenTask(ref=ref):
                return await self._on_task(ctx, ref, "reopen", {}, done=True)
            case c.UpdateTask(ref=ref):
                params = changes.update_params(command)
                if not params:
                    return self._reply("update_task", [Outgoing(t(lang, "what_change"))])
                if command.project and params.keys() == {"project"}:
                    return await self._move(ctx, c.MoveTask(ref, command.project))
                return await self._on_task(ctx, ref, "update", params)
            case c.AssignTask(ref=ref, assignee=who):
                return await self._on_task(ctx, ref, "assign", {"name": who})
            case c.DeleteTask(ref=ref):
                return await self._on_task(ctx, ref, "delete", {})
            case c.Again(ref=ref):
                last = ctx.state.last_action or {}
                if not last.get("verb"):
                    assert ref.number is not None
                    return self._reply("again", [Outgoing(t(lang, "number_alone", n=ref.number))])
                verb = str(last["verb"])
                return await self._on_task(
                    ctx, ref, verb, dict(last.get("params") or {}), done=verb == "reopen"
                )
            case c.TaskDue(ref=ref):
                return self._reply("task_due", [await asks.task_due(ctx, ref)])
            case c.MoveTask():
                return await self._move(ctx, command)
            case c.CreateInProject(task=task, otherwise=otherwise):
                split = await asks.split_project(ctx, task.title)
                if split is None:
                    return await self._dispatch(ctx, otherwise)
                title, project = split
                return self._reply(
                    "create_task", await changes.create(ctx, replace(task, title=title, project=project))
                )
            case c.Undo():
                return self._reply("undo", [await changes.undo(ctx)])
            case c.CreateProject(name=name):
                return self._reply("create_project", [await changes.create_project(ctx, name)])
            case c.ProjectStatus(name=name):
                return self._reply("project_status", [await changes.project_status(ctx, name)])
            case c.ListProjects():
                return self._reply("list_projects", [await changes.project_status(ctx, None)])
            case c.AddMember(project=str(project), member=member):
                # Sharing with someone is not done on a guess between two projects.
                named = await asks.project_named(ctx, project)
                if isinstance(named, Outgoing):
                    return self._reply("add_member", [named])
                name = named.name if named is not None else project
                return self._reply("add_member", [await changes.add_member(ctx, name, member)])
            case c.AddMember(project=project, member=member):
                return self._reply("add_member", [await changes.add_member(ctx, project, member)])
            case c.InviteMember(number=number):
                return self._reply("team_invite", [await team.invite(ctx, number)])
            case c.ShowTeam():
                return self._reply("team_show", [await team.show(ctx)])
            case c.LeaveTeam():
                return self._reply("team_leave", [await team.leave(ctx)])
            case c.SetTimezone(zone=zone):
                return self._reply("set_timezone", [await changes.set_timezone(ctx, zone)])
            case c.SetLanguage(lang=new):
                await ctx.workspace.core.store.profiles.update(
                    ctx.profile.user_id, ctx.now, lang=new, lang_source="user"
                )
                return self._reply("set_language", [Outgoing(t(new, "language_set"))])
            case c.Answer():
                return self._reply("answer", [Outgoing(t(lang, "nothing_pending"))])
            case c.Greeting():
                name = ctx.profile.name
                hello = t(lang, "hello_name", name=name) if name else t(lang, "hello")
                return self._reply("greeting", [Outgoing(hello + " " + t(lang, "help"))])
            case c.Help():
                return self._reply("help", [Outgoing(t(lang, "help"))])
            case c.Thanks():
                return self._reply("thanks", [Outgoing(t(lang, "thanks"))])
            case c.Unknown(mentions_date=dated):
                key = "fallback_dated" if dated else "fallback"
                return self._reply("unknown", [Outgoing(t(lang, key, text=ctx.text.strip()[:200]))])
        return self._reply("unknown", [Outgoing(t(lang, "fallback", text=""))])

    async def _move(self, ctx: Context, command: c.MoveTask) -> EngineReply:
        """File a task under a project the user has; what the message reads as otherwise when
        there is no such project ("add milk to groceries") or task ("poe o peru no projeto natal"
        with no turkey to buy is about a teammate)."""
        otherwise = command.otherwise
        project = await asks.project_named(ctx, command.project)
        if project is None or isinstance(project, Outgoing):
            if command.adds and isinstance(otherwise, c.CreateTask):
                return self._reply("create_task", await changes.create(ctx, otherwise))
            if project is None and otherwise is not None:
                return await self._dispatch(ctx, otherwise)
            reply = project or Outgoing(t(ctx.lang, "no_project", project=command.project))
            return self._reply("move_task", [reply])
        params = {"project": project.name}
        ref = command.ref
        if ref.query is None:
            return await self._on_task(ctx, ref, "update", params)
        matches, every_word = await asks.tasks_named(ctx, ref.query, "open")
        if command.adds and not command.definite:
            # A new task was asked for: only a task of that very name is the one meant ("add call
            # to Sales" is not "call the bank").
            matches = [x for x in matches if asks.same_words(x.title, ref.query)]
        if matches and every_word and len(matches) == 1:
            return await self._apply(ctx, action("update", **params), matches[0].id)
        if command.adds and not (matches and every_word):
            new = otherwise if isinstance(otherwise, c.CreateTask) else c.CreateTask(ref.query)
            # Read without the project, the title still holds "to <project>"; its date stays.
            task = replace(new, title=new.title if new.project else ref.query, project=project.name)
            return self._reply("create_task", await changes.create(ctx, task))
        if matches:
            return self._reply("update_task", [choose(ctx, matches, action("update", **params))])
        if otherwise is not None:
            return await self._dispatch(ctx, otherwise)
        return self._reply("move_task", [Outgoing(t(ctx.lang, "not_found", query=ref.query))])

    async def _on_task(
        self, ctx: Context, ref: c.TaskRef, verb: str, params: dict[str, Any], *, done: bool = False
    ) -> EngineReply:
        found = await resolve(ctx, ref, action(verb, **params), done=done)
        if found.task is None:
            assert found.reply is not None
            return self._reply(f"{verb}_task", [found.reply])
        return await self._apply(ctx, action(verb, **params), found.task.id)

    @staticmethod
    def _headings(ctx: Context, command: c.ListTasks) -> tuple[str, str]:
        """The list's heading and what it says when empty."""
        lang = ctx.lang

        def day(value: date) -> str:
            return format_due(floating(value), False, ctx.tz, ctx.now, lang)

        if command.day and command.until and command.until != command.day:
            days = {"day": day(command.day), "until": day(command.until)}
            return t(lang, "list_range", **days), t(lang, "empty_range", **days)
        if command.until and not command.day:
            return t(lang, "list_until", day=day(command.until)), t(
                lang, "empty_until", day=day(command.until)
            )
        if command.day:
            return t(lang, "list_day", day=day(command.day)), t(lang, "empty_day", day=day(command.day))
        return t(lang, f"list_{command.scope}"), t(lang, f"empty_{command.scope}")

    async def _list(self, ctx: Context, command: c.ListTasks) -> Outgoing:
        lang, tz = ctx.lang, ctx.tz
        if any(d is not None and not 1970 <= d.year < 2200 for d in (command.day, command.until)):
            return Outgoing(t(lang, "error_date_range"))
        status = {"done": "done", "all": None}.get(command.scope, "open")
        due_from, due_before = scope_window(command.scope, ctx.now)
        if command.day is not None or command.until is not None:
            # One day ("for Friday"), a few ("this weekend"), or every day up to one ("by Friday",
            # overdue included); the scope ("open" or "all") still gives the status.
            due_from, due_before = day_span(command.day, command.until or command.day, ctx.now)
        project_id = project_name = None
        if command.project:
            projects = await ctx.workspace.projects.find_projects(command.project)
            if not projects:
                return Outgoing(t(lang, "no_project", project=command.project))
            project_id, project_name = projects[0].id, projects[0].name
        f = TaskFilter(
            status=status,
            # Local boundaries: a date-only deadline is compared by its day there.
            due_from=due_from,
            due_before=due_before,
            priority=command.priority,
            project_id=project_id,
            limit=self.list_limit if command.scope != "overdue" else 500,
        )
        tasks = await ctx.workspace.tasks.list_tasks(f)
        total = await ctx.workspace.tasks.count_tasks(f)
        if command.scope == "overdue":
            tasks = [x for x in tasks if is_overdue(x, ctx.now, tz)]
            total, tasks = len(tasks), tasks[: self.list_limit]
        ctx.state.last_list = [x.id for x in tasks]
        ctx.state.focus = []
        heading, empty = self._headings(ctx, command)
        if command.priority:
            heading += " · " + t(lang, f"priority_{command.priority}_mark").strip("()")
        if project_name:
            heading += " · " + project_name
        if not tasks:
            dated = command.day or command.until
            hint = command.scope in ("open", "all", "today") and not (
                command.priority or command.project or dated
            )
            return Outgoing(empty + "\n" + t(lang, "empty_hint") if hint else empty)
        text = replies.task_list(ctx, heading, tasks, total)
        if command.scope in ("today", "open") and not (command.priority or command.day or command.until):
            late = [x for x in tasks if is_overdue(x, ctx.now, tz)]
            if late and command.scope == "open":
                text += "\n" + t(lang, "overdue_count", n=len(late))
        return Outgoing(text)


def _number_of_title(phrase: str, title: str) -> bool:
    """Whether a date phrase is a bare number that the title holds ("20" in *20 bultos*)."""
    digits = phrase.strip(" .,")
    return digits.isdigit() and digits in title.split()
