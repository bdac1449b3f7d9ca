"""Which engine answers a message: the LLM when one is configured, the offline engine otherwise.

The LLM goes first for every message it may answer; there is no "the rules are sure enough"
shortcut, so a conversation does not switch voices from one message to the next. When the LLM
engine says it cannot answer (``EngineUnavailable``: endpoint down, too slow, breaker open, an
unusable answer) the offline engine answers the same message, and ``llm_fallback`` is logged with
the reason. The LLM engine only says so while it has changed nothing (see ``llm``), so the offline
engine never carries out a request twice.

Two exceptions go to the offline engine directly: an answer to a question it asked (a tap on its
buttons, or "yes" / "2" while a confirmation or a choice is pending), and team requests (invite,
show, leave), which decide who may reach whom. The question and what it
will do on "yes" live in its pending state; deleting in particular is only ever done there.

Build the router once per process: the breaker it reports lives in the LLM engine and must see
every message to count failures.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import httpx
import pybreaker

from tasklane_agent.engines import conversation
from tasklane_agent.engines.base import Context, Engine, EngineReply, EngineUnavailable
from tasklane_agent.engines.llm import LlmEngine, llm_breaker
from tasklane_agent.nlu import commands
from tasklane_agent.settings import LlmSettings
from tasklane_common.logging import get_logger

log = get_logger(__name__)


@runtime_checkable
class ReportsHealth(Protocol):
    def health(self) -> dict[str, object]: ...


class EngineRouter:
    def __init__(self, primary: Engine | None, fallback: Engine) -> None:
        self.primary = primary
        self.fallback = fallback
        # Engines other than the rules one read the conversation history (see ``turns``).
        self.name = primary.name if primary is not None else fallback.name

    async def respond(self, context: Context) -> EngineReply:
        if self.primary is None or _answers_offline_question(context):
            return await self.fallback.respond(context)
        try:
            return await self.primary.respond(context)
        except EngineUnavailable as exc:
            log.warning(
                "llm_fallback",
                reason=str(exc),
                engine=self.primary.name,
                fallback=self.fallback.name,
                user_id=context.profile.user_id,
            )
        return await self.fallback.respond(context)

    def state(self) -> dict[str, object]:
        """For health reports: whether an LLM is used, and its breaker's state."""
        if self.primary is None:
            return {"llm": "off", "fallback": self.fallback.name}
        report: dict[str, object] = {"llm": "on", "fallback": self.fallback.name}
        if isinstance(self.primary, ReportsHealth):
            report.update(self.primary.health())
        return report


def _answers_offline_question(context: Context) -> bool:
    """A tap, an answer to the offline engine's pending question, or a team request: who may
    reach whom is decided by the grammar and the workspace, never by a model's reading."""
    if context.choice_id:
        return True
    command = context.understood().command
    if isinstance(command, commands.InviteMember | commands.ShowTeam | commands.LeaveTeam):
        return True
    pending = context.state.pending
    if not pending or pending.get("kind") not in conversation.OFFLINE_QUESTIONS:
        return False
    return conversation.answer_to(pending, command, context.text, context.now, context.lang) is not None


def build_router(
    settings: LlmSettings,
    http: httpx.AsyncClient | None,
    fallback: Engine,
    *,
    breaker: pybreaker.CircuitBreaker | None = None,
) -> EngineRouter:
    """The router for these settings: the offline engine alone when no LLM URL is set."""
    if not settings.url or http is None:
        return EngineRouter(None, fallback)
    return EngineRouter(LlmEngine(settings, http, breaker or llm_breaker(settings)), fallback)
