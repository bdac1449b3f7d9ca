"""Event handlers: a user's message in, the agent's answer (and what it did) out (see ``turns``)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from tasklane_agent.engines.base import Engine
from tasklane_agent.metrics import AgentMetrics
from tasklane_agent.settings import AgentSettings
from tasklane_agent.turns import take_turn
from tasklane_common.logging import get_logger
from tasklane_common.messaging import Consumer, HandlerContext
from tasklane_common.messaging.contracts.gateway import MessageReceived
from tasklane_common.messaging.envelope import Event

log = get_logger(__name__)

Clock = Callable[[], datetime]


def register(
    consumer: Consumer,
    settings: AgentSettings,
    clock: Clock,
    engine: Callable[[], Engine | None],
    *,
    metrics: AgentMetrics | None = None,
) -> None:
    @consumer.on(MessageReceived)
    async def on_message(ctx: HandlerContext, event: MessageReceived) -> None:
        async def publish(message: Event, event_id: str) -> object:
            return await ctx.publish(message, event_id=event_id)

        chosen = engine()
        result = await take_turn(
            ctx.session,
            settings,
            event,
            turn_id=ctx.envelope.id,
            now=clock().astimezone(UTC),
            publish=publish,
            engine=chosen,
            wants_history=chosen is not None and chosen.name != "rules",
        )
        log.info(
            "agent_replied",
            user_id=event.user_id,
            wamid=event.wamid,
            intent=result.intent,
            engine=result.engine,
            replies=len(result.replies),
            ms=result.processing_ms,
        )
        if metrics is not None:
            metrics.turn(result.intent, result.engine)
