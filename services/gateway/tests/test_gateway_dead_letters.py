"""The gateway mounts the operators' dead-letter API (tasklane_common.dead_letters_api); the
capture and replay themselves are tested in libs/common."""

from __future__ import annotations

import uuid
from pathlib import Path

import httpx
from sqlalchemy import select

from tasklane_common.auth import hash_key, new_key
from tasklane_common.messaging.memory import InMemoryBroker
from tasklane_common.settings import ApiKey, AuthSettings, Role
from tasklane_common.testing import memory_settings, running
from tasklane_gateway.app import create_app
from tasklane_gateway.settings import GatewaySettings
from tasklane_gateway.tables import audit_log

KEYS = {role: new_key() for role in Role}
AUTH = AuthSettings(api_keys=[ApiKey(name=r, role=r, sha256=hash_key(k)) for r, k in KEYS.items()])
URL = "/api/v1/gateway/dead-letters"
REPLAY = f"{URL}/1/replay"


def _bearer(role: Role) -> dict[str, str]:
    return {"Authorization": f"Bearer {KEYS[role]}"}


async def test_gateway_dead_letters_are_for_operators_only(tmp_path: Path) -> None:
    name = f"gateway-dl-{uuid.uuid4().hex[:8]}"
    app = create_app(memory_settings(GatewaySettings, name, str(tmp_path / "gateway.db"), auth=AUTH))
    try:
        async with running(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as client:
                assert (await client.get(URL)).status_code == 401
                assert (await client.get(URL, headers=_bearer(Role.ANALYST))).status_code == 403
                assert (await client.post(REPLAY, headers=_bearer(Role.ANALYST))).status_code == 403
                listed = await client.get(URL, headers=_bearer(Role.OPERATOR))
                missing = await client.post(REPLAY, headers=_bearer(Role.OPERATOR))
                async with app.state.runtime.db.read() as session:
                    audited = (
                        await session.execute(
                            select(
                                audit_log.c.actor,
                                audit_log.c.action,
                                audit_log.c.target_id,
                                audit_log.c.outcome,
                            )
                        )
                    ).all()
    finally:
        InMemoryBroker.forget(name)
    assert listed.status_code == 200
    assert listed.json() == {"items": [], "total": 0, "limit": 50, "offset": 0}
    assert missing.status_code == 404
    # Replays are admin actions: refused or attempted, each is in the audit log; reads are not.
    assert sorted(tuple(r) for r in audited) == [
        ("analyst", "dead_letter.replay", "1", "error 403"),
        ("operator", "dead_letter.replay", "1", "error 404"),
    ]
