"""Questions about one task ("when's the dentist?") and tasks filed under the user's projects by
the name they have for them ("put it under Dissertation"): the lookups the rules engine does for
:class:`~tasklane_agent.nlu.commands.TaskDue` and :class:`~tasklane_agent.nlu.commands.MoveTask`.

Answering is read-only, so a partial match of a title may be answered; a move changes a task, so
it is made only on a task every typed word names (otherwise the user picks), and only into a
project that exists (an unknown one is said so, never created on the way).
"""

from __future__ import annotations

import re

from tasklane_agent import replies
from tasklane_agent.domain import Project, Task
from tasklane_agent.domain.names import content_words, match_names, name_key
from tasklane_agent.engines.base import MAX_ROWS, Context, Outgoing
from tasklane_agent.engines.resolve import action, resolve
from tasklane_agent.i18n import format_due, t
from tasklane_agent.nlu import commands as c
from tasklane_agent.workspace import is_overdue


async def tasks_named(ctx: Context, query: str, status: str) -> tuple[list[Task], bool]:
    """Tasks whose title holds the query's words (joining words aside), and whether all of them."""
    return await ctx.workspace.tasks.match_tasks(content_words(query), status=status, limit=MAX_ROWS)


def same_words(title: str, query: str) -> bool:
    """Whether ``query`` is ``title`` but for case, accents, joining words and their order."""
    return set(content_words(title).split()) == set(content_words(query).split())


async def task_due(ctx: Context, ref: c.TaskRef) -> Outgoing:
    """The date of the task ``ref`` names; several matches are listed with theirs."""
    if ref.query is None:
        found = await resolve(ctx, ref, action("due"))
        if found.task is None:
            assert found.reply is not None
            return found.reply
        return _due_of(ctx, found.task)
    matches: list[Task] = []
    for status in ("open", "done"):
        matches, _ = await tasks_named(ctx, ref.query, status)
        if matches:
            break
    if not matches:
        return Outgoing(t(ctx.lang, "no_task_about", query=ref.query))
    if len(matches) == 1:
        return _due_of(ctx, matches[0])
    ctx.state.last_list = [x.id for x in matches]
    ctx.state.focus = []
    return Outgoing(t(ctx.lang, "tasks_about", query=ref.query) + "\n" + replies.numbered(ctx, matches))


def _due_of(ctx: Context, task: Task) -> Outgoing:
    ctx.state.focus = [task.id]
    title = replies.bold(task.title)
    if task.status == "done":
        return Outgoing(t(ctx.lang, "task_due_done", title=title))
    if task.due_at is None:
        return Outgoing(t(ctx.lang, "task_due_none", title=title))
    when = format_due(task.due_at, task.due_has_time, ctx.tz, ctx.now, ctx.lang)
    if is_overdue(task, ctx.now, ctx.tz):
        when += " " + t(ctx.lang, "overdue_mark")
    return Outgoing(t(ctx.lang, "task_due_on", title=title, when=when))


async def project_named(ctx: Context, name: str) -> Project | Outgoing | None:
    """The one project ``name`` means; a question when several could be it; None when none."""
    projects = await ctx.workspace.projects.find_projects(name)
    if not projects:
        return None
    exact = [p for p in projects if name_key(p.name) == name_key(name)]
    if len(exact) == 1 or len(projects) == 1:
        return exact[0] if exact else projects[0]
    names = ", ".join(replies.bold(p.name) for p in projects[:5])
    return Outgoing(t(ctx.lang, "which_project_of", names=names))


async def split_project(ctx: Context, words: str) -> tuple[str, str] | None:
    """Where the name of one of the user's projects ends at the start of ``words`` ("obra do solar
    impermeabilizar a laje" -> "impermeabilizar a laje", *Edifício Solar das Palmeiras*): the
    longest start that one project answers to, a title left after it; None when there is none,
    or when all of ``words`` is a project's name (that is a move, not a new task)."""
    names = [p.name for p in await ctx.workspace.projects.list_projects(limit=200)]
    parts = words.split()
    if not names or match_names(words, names):
        return None
    for end in range(len(parts) - 1, 0, -1):
        found = match_names(" ".join(parts[:end]), names)
        if len(found) == 1:
            return " ".join(parts[end:]), names[found[0]]
        if found:
            return None  # several projects begin there: not a guess
    return None


# The words that put a task inside something, before a project's name at a title's end.
_INTO = re.compile(
    r"\s(?:no|na|nos|nas|em|pro|pra|ao|do|da|en|al|del|para\s+el|in|into|for|under)\s+(?=\S)",
    re.IGNORECASE,
)
_MOST_PROJECT_WORDS = 5


async def split_trailing_project(ctx: Context, title: str) -> tuple[str, str] | None:
    """Where a title ends with one of the user's projects, without its keyword ("revisar custos do
    s3 na migração aws" -> "revisar custos do s3", *Migração AWS*): the shortest such end that
    exactly one project answers to, and a title of two words at least left before it."""
    cuts = [m for m in _INTO.finditer(title) if len(title[: m.start()].split()) >= 2]
    if not cuts:
        return None
    names = [p.name for p in await ctx.workspace.projects.list_projects(limit=200)]
    if not names:
        return None
    for m in reversed(cuts):
        tail = title[m.end() :].strip(" ,.")
        if not tail or len(tail.split()) > _MOST_PROJECT_WORDS:
            break
        found = match_names(tail, names)
        if len(found) == 1:
            return title[: m.start()].strip(" ,"), names[found[0]]
        if found:
            return None  # two projects fit: not a guess
    return None
