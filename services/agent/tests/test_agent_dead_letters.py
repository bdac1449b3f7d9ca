"""Operators see what the agent could not handle, through its dead-letter API (embedded mode)."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime
from pathlib import Path

import httpx

from tasklane_agent.app import create_app
from tasklane_agent.settings import AgentSettings
from tasklane_common.auth import hash_key, new_key
from tasklane_common.messaging import deterministic_id, new_envelope
from tasklane_common.messaging.contracts.gateway import MessageReceived
from tasklane_common.messaging.memory import InMemoryBroker
from tasklane_common.runtime import ServiceRuntime
from tasklane_common.settings import ApiKey, AuthSettings, Role
from tasklane_common.testing import memory_settings, running

KEYS = {role: new_key() for role in Role}
AUTH = AuthSettings(api_keys=[ApiKey(name=r, role=r, sha256=hash_key(k)) for r, k in KEYS.items()])
URL = "/api/v1/agent/dead-letters"
NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


def _bearer(role: Role) -> dict[str, str]:
    return {"Authorization": f"Bearer {KEYS[role]}"}


async def test_agent_dead_letters_are_listed_for_operators_only(tmp_path: Path) -> None:
    name = f"agent-dl-{uuid.uuid4().hex[:8]}"
    app = create_app(memory_settings(AgentSettings, name, str(tmp_path / "agent.db"), auth=AUTH))
    wamid = f"wamid.{uuid.uuid4().hex}"
    # No wa_id: the agent cannot answer it, so it is dead-lettered.
    event = MessageReceived(
        wamid=wamid,
        phone_number_id="1234567890",
        user_id="user-dl",
        message_type="text",
        text="add task buy milk",
        sent_at=NOW,
        received_at=NOW,
    )
    sent = new_envelope(event, producer="gateway", event_id=deterministic_id("message.received", wamid))
    try:
        async with running(app):
            runtime: ServiceRuntime = app.state.runtime
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://agent") as client:
                assert (await client.get(URL)).status_code == 401
                assert (await client.get(URL, headers=_bearer(Role.ANALYST))).status_code == 403
                await runtime.publish([sent])
                assert runtime.dead_letters is not None
                letters = runtime.dead_letters

                for _ in range(500):  # polled, up to 10 s
                    if letters.captured:
                        break
                    await asyncio.sleep(0.02)
                response = await client.get(URL, headers=_bearer(Role.OPERATOR))
                assert response.status_code == 200
                [item] = response.json()["items"]
    finally:
        InMemoryBroker.forget(name)
    assert item["event_id"] == sent.id
    assert item["queue"] == "agent.inbound"
    assert "wa_id" in item["reason"]
    assert item["body"]["payload"]["wamid"] == wamid
