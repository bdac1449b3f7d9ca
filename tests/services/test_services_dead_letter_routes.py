"""Each service mounts the operators' dead-letter API (tasklane_common.dead_letters_api) under
its own prefix, for operators only; the capture and replay themselves are tested in libs/common,
the gateway's audit of replays in its own tests."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from tasklane_analytics.app import create_app as create_analytics
from tasklane_analytics.settings import AnalyticsSettings
from tasklane_common.auth import hash_key, new_key
from tasklane_common.messaging.memory import InMemoryBroker
from tasklane_common.settings import ApiKey, AuthSettings, Role
from tasklane_common.testing import memory_settings, running
from tasklane_sender.app import create_app as create_sender
from tasklane_sender.settings import SenderSettings

KEYS = {role: new_key() for role in Role}
AUTH = AuthSettings(api_keys=[ApiKey(name=r, role=r, sha256=hash_key(k)) for r, k in KEYS.items()])
SERVICES: dict[str, tuple[Callable[[Any], Any], type[Any]]] = {
    "analytics": (create_analytics, AnalyticsSettings),
    "sender": (create_sender, SenderSettings),
}


def _bearer(role: Role) -> dict[str, str]:
    return {"Authorization": f"Bearer {KEYS[role]}"}


@pytest.mark.parametrize("service", sorted(SERVICES))
async def test_dead_letters_are_for_operators_only(service: str, tmp_path: Path) -> None:
    create_app, settings_cls = SERVICES[service]
    url = f"/api/v1/{service}/dead-letters"
    replay = f"{url}/1/replay"
    name = f"{service}-dl-{uuid.uuid4().hex[:8]}"
    app = create_app(memory_settings(settings_cls, name, str(tmp_path / f"{service}.db"), auth=AUTH))
    try:
        async with running(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url=f"http://{service}") as client:
                assert (await client.get(url)).status_code == 401
                assert (await client.get(url, headers=_bearer(Role.ANALYST))).status_code == 403
                assert (await client.post(replay, headers=_bearer(Role.ANALYST))).status_code == 403
                listed = await client.get(url, headers=_bearer(Role.OPERATOR))
                missing = await client.post(replay, headers=_bearer(Role.OPERATOR))
    finally:
        InMemoryBroker.forget(name)
    assert listed.status_code == 200
    assert listed.json() == {"items": [], "total": 0, "limit": 50, "offset": 0}
    assert missing.status_code == 404
