"""Playing single turns against a real PostgreSQL schema: a message (or a tap) in, what the agent
published out. Shared by the turn and team tests."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

from pydantic import SecretStr

from tasklane_agent.app import MIGRATIONS
from tasklane_agent.settings import AgentSettings
from tasklane_agent.storage.tables import metadata
from tasklane_agent.turns import take_turn
from tasklane_common.db import Database
from tasklane_common.db.migrations import upgrade
from tasklane_common.messaging import deterministic_id
from tasklane_common.messaging.contracts.agent import ReplyRequested
from tasklane_common.messaging.contracts.gateway import MessageReceived
from tasklane_common.messaging.envelope import Event
from tasklane_common.settings import DatabaseSettings, LoggingSettings
from tasklane_common.testing import database_url

NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


@asynccontextmanager
async def agent_db() -> AsyncIterator[Database]:
    """A fresh agent schema, migrated, dropped afterwards."""
    schema = f"t{uuid.uuid4().hex[:10]}_agent"
    database = Database(
        DatabaseSettings(url=SecretStr(database_url()), schema_name=schema),
        logical_schema=metadata.schema or "",
    )
    await upgrade(database, MIGRATIONS)
    try:
        yield database
    finally:
        async with database.engine.begin() as conn:
            await conn.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        await database.dispose()


SETTINGS = AgentSettings(logging=LoggingSettings(level="WARNING"))


async def _say(
    db: Database,
    phone: str,
    text: str,
    engine: Any = None,
    *,
    now: datetime = NOW,
    tap: str | None = None,
    name: str = "Ana",
) -> tuple[list[Event], Any]:
    """One message from ``phone``; ``tap`` makes it a tap on the button or row with that id."""
    published: list[Event] = []

    async def publish(event: Event, event_id: str) -> None:
        published.append(event)

    wamid = f"wamid.{uuid.uuid4().hex}"
    event = MessageReceived(
        wamid=wamid,
        phone_number_id="pn-turns",
        user_id=f"user-{phone}",
        wa_id=phone,
        profile_name=name,
        message_type="interactive" if tap else "text",
        text=text,
        reply_id=tap,
        sent_at=now,
        received_at=now,
    )
    async with db.transaction() as session:
        result = await take_turn(
            session,
            SETTINGS,
            event,
            turn_id=deterministic_id("message.received", wamid),
            now=now,
            publish=publish,
            engine=engine,
        )
    return published, result


def _invite_button(events: list[Event], to: str, answer: str = "yes") -> str:
    """The id of the Join (or No) button of the invitation sent to ``to``."""
    for e in events:
        if isinstance(e, ReplyRequested) and e.to == to and e.kind == "interactive":
            for button in e.content["action"]["buttons"]:
                if button["reply"]["id"].startswith("team:") and button["reply"]["id"].endswith(f":{answer}"):
                    return str(button["reply"]["id"])
    raise AssertionError(f"no invitation to {to} in {events}")


async def _team_up(db: Database, inviter: str, invitee: str, *, names: tuple[str, str]) -> None:
    """``inviter`` invites ``invitee`` (who wrote before) by number, and they tap Join."""
    events, _ = await _say(db, inviter, f"invite +{invitee}", name=names[0])
    events, _ = await _say(db, invitee, "Join", tap=_invite_button(events, invitee), name=names[1])
    assert (
        "in the team" in _texts(events) or "na equipe" in _texts(events) or "en el equipo" in _texts(events)
    )


def _texts(events: list[Event]) -> str:
    replies = [e for e in events if isinstance(e, ReplyRequested)]
    return "\n".join(str(r.content.get("body", "")) for r in replies)
