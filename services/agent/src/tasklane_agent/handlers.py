"""Event handlers: a user's message in, the agent's answer (and what it did) out.

Everything happens in the consumer's transaction: the inbox claim, both conversation turns, the
task, and the outbox rows of ``reply.requested``, ``task.created`` and ``agent.replied``. Ids
derive from the inbound envelope, so a replay can never produce a second task or reply.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime
from zoneinfo import ZoneInfo

from tasklane_agent import replies
from tasklane_agent.assistant import Reply, RulesAssistant
from tasklane_agent.domain import Role
from tasklane_agent.repository import ConversationRepository, TaskRepository
from tasklane_agent.settings import AgentSettings
from tasklane_common.errors import PermanentError
from tasklane_common.logging import get_logger
from tasklane_common.messaging import Consumer, HandlerContext, deterministic_id
from tasklane_common.messaging.contracts.agent import AgentReplied, ReplyRequested, TaskCreated
from tasklane_common.messaging.contracts.gateway import MessageReceived

log = get_logger(__name__)

Clock = Callable[[], datetime]


def register(consumer: Consumer, settings: AgentSettings, clock: Clock) -> None:
    @consumer.on(MessageReceived)
    async def on_message(ctx: HandlerContext, event: MessageReceived) -> None:
        started = time.perf_counter()
        # A user who hides their number behind a username is addressed by the business-scoped id.
        address = event.wa_id or event.bsuid
        if address is None:
            raise PermanentError("message.received without wa_id or bsuid: no address to reply to")
        # One timezone for everyone until users can set their own.
        now = clock().astimezone(ZoneInfo(settings.default_timezone))
        turn_id = ctx.envelope.id
        if event.message_type == "text":
            assistant = RulesAssistant(TaskRepository(ctx.session), list_limit=settings.list_limit)
            reply = await assistant.respond(
                user_id=event.user_id,
                text=event.text or "",
                now=now,
                turn_id=turn_id,
                source_wamid=event.wamid,
                profile_name=event.profile_name,
            )
        else:
            reply = Reply("unsupported_message_type", replies.unsupported_message(event.message_type))
        intent = str(reply.intent)

        conversation = ConversationRepository(ctx.session)
        said = event.text if event.message_type == "text" else f"[{event.message_type}]"
        turns: tuple[tuple[Role, str], ...] = (("user", said or ""), ("assistant", reply.text))
        for role, text in turns:
            await conversation.record(
                turn_id=deterministic_id("turn", turn_id, role),
                user_id=event.user_id,
                wamid=event.wamid,
                role=role,
                text=text,
                intent=intent,
                at=now,
            )

        reply_id = deterministic_id("reply", turn_id)
        await ctx.publish(
            ReplyRequested(
                reply_id=reply_id,
                phone_number_id=event.phone_number_id,
                to=address,
                user_id=event.user_id,
                kind="text",
                content={"body": reply.text, "preview_url": False},
                in_reply_to=event.wamid,
            ),
            event_id=reply_id,
        )
        if reply.created is not None:
            task = reply.created
            await ctx.publish(
                TaskCreated(
                    task_id=task.id,
                    user_id=task.user_id,
                    title=task.title,
                    due_at=task.due_at,
                    priority=task.priority,
                ),
                event_id=deterministic_id("task.created", task.id),
            )
        processing_ms = round((time.perf_counter() - started) * 1000, 3)
        await ctx.publish(
            AgentReplied(
                user_id=event.user_id,
                in_reply_to=event.wamid,
                intent=intent,
                engine=RulesAssistant.engine,
                processing_ms=processing_ms,
            ),
            event_id=deterministic_id("agent.replied", turn_id),
        )
        log.info(
            "agent_replied",
            user_id=event.user_id,
            wamid=event.wamid,
            intent=intent,
            task_id=reply.created.id if reply.created else None,
            ms=processing_ms,
        )
