"""One conversation turn: a user's message in; the replies, the changes and their events out.

Everything happens in the caller's transaction (the consumer's, with its inbox claim): the
profile, the engine's work on the workspace, the conversation memory, and the outbox rows. Ids
derive from ``turn_id`` (the inbound envelope's id), so a replay cannot create anything twice.
"""

from __future__ import annotations

import copy
import time
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from tasklane_agent import reactions
from tasklane_agent.domain import Role
from tasklane_agent.domain.deadlines import zone
from tasklane_agent.effects import Publish, publish_effects
from tasklane_agent.engines.base import Context, Engine, EngineReply, Outgoing
from tasklane_agent.engines.rules import RulesEngine
from tasklane_agent.i18n import t
from tasklane_agent.nlu.language import detect
from tasklane_agent.outgoing import as_message
from tasklane_agent.reminders.planner import ReminderPlanner
from tasklane_agent.settings import AgentSettings
from tasklane_agent.storage.conversations import ConversationRepository
from tasklane_agent.storage.profiles import ProfileRepository
from tasklane_agent.workspace import Effects, Workspace, WorkspaceError
from tasklane_common.errors import PermanentError
from tasklane_common.messaging import deterministic_id
from tasklane_common.messaging.contracts.agent import AgentReplied, ReplyRequested
from tasklane_common.messaging.contracts.gateway import MessageReceived

# Messages the engines read: typed text, and taps on the buttons and lists they sent.
READABLE = frozenset({"text", "interactive", "button"})
# Not messages but things that happened to one (a reaction, an edit, a deletion) or notices Meta
# writes (number changed, a first contact): answering them would only cost the business money.
# What the engines answer when they could not make sense of a message (analytics' fallback rate).
FALLBACK_INTENTS = frozenset({"unknown"})
NON_MESSAGES = frozenset({"reaction", "system", "edit", "revoke", "request_welcome", "unknown"})
_NON_MESSAGE_UNSUPPORTED = frozenset({"edit", "revoke", "deleted", "reaction"})


def is_non_message(event: MessageReceived) -> bool:
    if event.message_type in NON_MESSAGES:
        return True
    unsupported = event.raw.get("unsupported") if isinstance(event.raw, dict) else None
    kind = unsupported.get("type") if isinstance(unsupported, dict) else None
    return event.message_type == "unsupported" and kind in _NON_MESSAGE_UNSUPPORTED


HISTORY_TURNS = 10


@dataclass
class TurnResult:
    intent: str
    engine: str
    replies: list[ReplyRequested] = field(default_factory=list)
    processing_ms: float = 0.0


async def _respond(session: AsyncSession, engine: Engine, context: Context) -> EngineReply:
    """The engine's answer. A refused change (``WorkspaceError``) undoes all the engine wrote for
    this message, its events and its memory updates, so nothing half-done is committed."""
    saved = copy.deepcopy(context.state)
    try:
        async with session.begin_nested():
            return await engine.respond(context)
    except WorkspaceError as exc:
        context.workspace.core.effects = Effects()
        context.state.__dict__.update(saved.__dict__)
        return EngineReply("error", [Outgoing(t(context.lang, f"error_{exc.code}"))], engine.name)


async def take_turn(
    session: AsyncSession,
    settings: AgentSettings,
    event: MessageReceived,
    *,
    turn_id: str,
    now: datetime,
    publish: Publish,
    engine: Engine | None = None,
    wants_history: bool = False,
) -> TurnResult:
    started = time.perf_counter()
    address = event.wa_id or event.bsuid
    if address is None:
        raise PermanentError("message.received without wa_id or bsuid: no address to reply to")
    profiles = ProfileRepository(session)
    profile = await profiles.meet(
        user_id=event.user_id,
        org_id=event.phone_number_id,
        address=address,
        name=event.profile_name,
        default_timezone=settings.default_timezone,
        now=now,
    )
    # A done-emoji on a reply about one task completes it (``reactions``); other non-messages,
    # and other reactions, are ignored.
    reacted = event.message_type == "reaction"
    if is_non_message(event) and not reacted:
        return TurnResult("ignored", "none")
    text = (event.text or "").strip()
    # A language the user chose ("speak Spanish") stays, whatever they write in.
    pinned = profile.lang_source == "user"
    lang = (
        detect(text, profile.lang) if text and event.message_type == "text" and not pinned else profile.lang
    )
    local_now = now.astimezone(zone(profile.timezone))
    memory = ConversationRepository(session)
    state = await memory.state(profile.user_id)
    focus_before = list(state.focus)
    workspace = Workspace(
        session,
        profile,
        now=now,
        seed=turn_id,
        planner=ReminderPlanner(session, settings.reminders),
        source_wamid=event.wamid,
    )
    subject: str | None = None
    if reacted:
        outcome = await reactions.react(session, workspace, state, event, profile)
        if outcome is None:
            return TurnResult("ignored", "none")
        reply, subject = outcome
    elif event.message_type in READABLE:
        context = Context(
            workspace=workspace,
            profile=profile,
            state=state,
            now=local_now,
            text=text,
            lang=lang,
            choice_id=event.reply_id,
            history=await memory.recent(profile.user_id, limit=HISTORY_TURNS) if wants_history else (),
            list_limit=settings.list_limit,
        )
        reply = await _respond(session, engine or RulesEngine(list_limit=settings.list_limit), context)
        # The engine may have found the message in another language than detected (only that
        # language's phrasing made sense of it): later replies follow, unless the user chose one.
        lang = context.lang
    else:
        reply = EngineReply("unsupported_message_type", [Outgoing(t(lang, "unsupported"))], "rules")
    if not reacted:
        # Invitations made before this user wrote (or while WhatsApp's window to them was closed).
        await workspace.teams.ask_waiting_invites()
    if lang != profile.lang and profile.lang_source != "user" and reply.intent != "set_language":
        await profiles.update(profile.user_id, now, lang=lang, lang_source="detected")
    await memory.save_state(state, now)

    said = text if event.message_type in READABLE else f"[{event.message_type}]"
    if reacted:
        said = reactions.said(event)
    answer = "\n\n".join(m.text for m in reply.messages)
    turns: tuple[tuple[Role, str], ...] = (("user", said), ("assistant", answer))
    for role, words in turns:
        await memory.record(
            turn_id=deterministic_id("turn", turn_id, role),
            user_id=profile.user_id,
            wamid=event.wamid,
            role=role,
            text=words,
            intent=reply.intent,
            at=now,
        )
    result = TurnResult(reply.intent, reply.engine)
    for number, message in enumerate(reply.messages):
        # The first reply keeps the id it always had, so a replay from before this version matches.
        reply_id = (
            deterministic_id("reply", turn_id)
            if number == 0
            else deterministic_id("reply", turn_id, str(number))
        )
        kind, content = as_message(message)
        requested = ReplyRequested(
            reply_id=reply_id,
            phone_number_id=event.phone_number_id,
            to=address,
            user_id=profile.user_id,
            kind=kind,
            content=content,
            in_reply_to=event.wamid,
            received_at=event.received_at,
        )
        await publish(requested, reply_id)
        result.replies.append(requested)
    subject = subject or reactions.subject_of(focus_before, state, workspace.core.effects)
    await reactions.remember_replies(session, result.replies, subject, now)
    await publish_effects(workspace.core.effects, publish, seed=turn_id, now=now)
    result.processing_ms = round((time.perf_counter() - started) * 1000, 3)
    await publish(
        AgentReplied(
            user_id=profile.user_id,
            in_reply_to=event.wamid,
            intent=reply.intent,
            engine=reply.engine,
            processing_ms=result.processing_ms,
            phone_number_id=event.phone_number_id,
            understood=reply.intent not in FALLBACK_INTENTS,
        ),
        deterministic_id("agent.replied", turn_id),
    )
    return result
