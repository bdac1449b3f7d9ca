"""The rule-based assistant: turns one understood message into actions on the user's tasks and
a reply. It sees repositories, never the broker; the handler owns transport and transaction.

A later engine (an LLM driving the same actions) can sit beside this one behind ``respond``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from tasklane_agent import replies
from tasklane_agent.domain import Task
from tasklane_agent.nlu import Intent, TaskDraft, understand
from tasklane_agent.repository import TaskRepository
from tasklane_common.messaging import deterministic_id

# Longer "titles" are pasted documents, not tasks; keep the list readable.
MAX_TITLE = 300


@dataclass(frozen=True)
class Reply:
    intent: str
    text: str
    created: Task | None = None


class RulesAssistant:
    engine = "rules"

    def __init__(self, tasks: TaskRepository, *, list_limit: int = 20) -> None:
        self.tasks = tasks
        self.list_limit = list_limit

    async def respond(
        self,
        *,
        user_id: str,
        text: str,
        now: datetime,
        turn_id: str,
        source_wamid: str | None = None,
        profile_name: str | None = None,
    ) -> Reply:
        """Answer ``text``. ``now`` is aware and in the user's timezone; ``turn_id`` identifies the
        inbound message, so that anything created for it gets a stable id."""
        tz = now.tzinfo
        if not isinstance(tz, ZoneInfo):
            raise ValueError("now must carry the user's ZoneInfo timezone")
        understood = understand(text, now)
        intent = understood.intent
        if intent is Intent.CREATE_TASK and understood.task is not None:
            return await self._create(understood.task, user_id, now, tz, turn_id, source_wamid)
        if intent is Intent.LIST_TASKS:
            tasks = await self.tasks.open_tasks(user_id, limit=self.list_limit)
            total = len(tasks) if len(tasks) < self.list_limit else await self.tasks.count_open(user_id)
            return Reply(intent, replies.task_list(tasks, total, tz, now))
        if intent is Intent.GREETING:
            return Reply(intent, replies.greeting(profile_name))
        if intent is Intent.HELP:
            return Reply(intent, replies.HELP)
        if intent is Intent.THANKS:
            return Reply(intent, replies.thanks())
        return Reply(Intent.UNKNOWN, replies.fallback(text, mentions_date=understood.mentions_date))

    async def _create(
        self,
        draft: TaskDraft,
        user_id: str,
        now: datetime,
        tz: ZoneInfo,
        turn_id: str,
        source_wamid: str | None,
    ) -> Reply:
        if not draft.title:
            return Reply(Intent.CREATE_TASK, replies.missing_title())
        task = await self.tasks.add(
            task_id=deterministic_id("task", turn_id),
            user_id=user_id,
            title=draft.title if len(draft.title) <= MAX_TITLE else draft.title[: MAX_TITLE - 1] + "…",
            priority=draft.priority,
            due_at=draft.due.at if draft.due else None,
            due_has_time=bool(draft.due and draft.due.has_time),
            source_wamid=source_wamid,
            now=now,
        )
        recurring = bool(draft.due and draft.due.recurring)
        return Reply(Intent.CREATE_TASK, replies.task_created(task, tz, now, recurring=recurring), task)
