"""The analytics mounts the operators' dead-letter API (tasklane_common.dead_letters_api); the
capture and replay themselves are tested in libs/common."""

from __future__ import annotations

import uuid
from pathlib import Path

import httpx

from tasklane_analytics.app import create_app
from tasklane_analytics.settings import AnalyticsSettings
from tasklane_common.auth import hash_key, new_key
from tasklane_common.messaging.memory import InMemoryBroker
from tasklane_common.settings import ApiKey, AuthSettings, Role
from tasklane_common.testing import memory_settings, running

KEYS = {role: new_key() for role in Role}
AUTH = AuthSettings(api_keys=[ApiKey(name=r, role=r, sha256=hash_key(k)) for r, k in KEYS.items()])
URL = "/api/analytics/dead-letters"
REPLAY = f"{URL}/1/replay"


def _bearer(role: Role) -> dict[str, str]:
    return {"Authorization": f"Bearer {KEYS[role]}"}


async def test_analytics_dead_letters_are_for_operators_only(tmp_path: Path) -> None:
    name = f"analytics-dl-{uuid.uuid4().hex[:8]}"
    app = create_app(memory_settings(AnalyticsSettings, name, str(tmp_path / "analytics.db"), auth=AUTH))
    try:
        async with running(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://analytics") as client:
                assert (await client.get(URL)).status_code == 401
                assert (await client.get(URL, headers=_bearer(Role.ANALYST))).status_code == 403
                assert (await client.post(REPLAY, headers=_bearer(Role.ANALYST))).status_code == 403
                listed = await client.get(URL, headers=_bearer(Role.OPERATOR))
                missing = await client.post(REPLAY, headers=_bearer(Role.OPERATOR))
    finally:
        InMemoryBroker.forget(name)
    assert listed.status_code == 200
    assert listed.json() == {"items": [], "next_before": None}
    assert missing.status_code == 404
