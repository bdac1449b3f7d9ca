"""Operators can see where a reply stands and how the breakers are; analysts and strangers can't."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tasklane_common.auth import hash_key, new_key
from tasklane_common.settings import ApiKey, AuthSettings, Role

KEYS = {role: new_key() for role in Role}
AUTH = AuthSettings(api_keys=[ApiKey(name=r, role=r, sha256=hash_key(k)) for r, k in KEYS.items()])


async def test_operators_follow_a_reply_and_the_breakers(harness: Any) -> None:
    to = harness.phone()
    reply = harness.reply(to, "Task added: buy milk")
    async with harness.start(auth=AUTH) as app:
        await harness.publish(app, reply)
        await harness.reaches(app, reply.payload["reply_id"], "sent")
        transport = httpx.ASGITransport(app=app)
        headers = {"Authorization": f"Bearer {KEYS[Role.OPERATOR]}"}
        async with httpx.AsyncClient(transport=transport, base_url="http://s", headers=headers) as c:
            state = (await c.get(f"/api/v1/sender/messages/{reply.payload['reply_id']}")).json()
            breakers = await c.get("/api/v1/sender/breakers")
            unknown = await c.get("/api/v1/sender/messages/nope")
    assert state["status"] in ("sent", "delivered", "read")
    assert state["wamid"].startswith("wamid.")
    assert breakers.status_code == 200
    assert unknown.status_code == 404


@pytest.mark.parametrize(
    ("key", "status"),
    [(None, 401), ("tl_wrong", 401), (Role.ANALYST, 403), (Role.OPERATOR, 200), (Role.ADMIN, 200)],
)
async def test_the_sender_api_is_for_operators_and_admins(
    harness: Any, key: Role | str | None, status: int
) -> None:
    token = KEYS[key] if isinstance(key, Role) else key
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with harness.start(auth=AUTH) as app:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://s") as c:
            response = await c.get("/api/v1/sender/breakers", headers=headers)
    assert response.status_code == status
