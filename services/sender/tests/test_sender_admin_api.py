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


async def test_path_ids_of_another_shape_are_refused_before_any_lookup(harness: Any) -> None:
    """The probe's phone number id with ``\\r\\n`` was accepted and crashed the sender on every
    lease: a phone number id is 1 to 64 digits and a reply id 1 to 64 of ``A-Za-z0-9_.:-``, as
    the sender stores and sends them; anything else is a 422 naming the parameter, not a 404."""
    async with harness.start(auth=AUTH) as app:
        transport = httpx.ASGITransport(app=app)
        headers = {"Authorization": f"Bearer {KEYS[Role.OPERATOR]}"}
        async with httpx.AsyncClient(transport=transport, base_url="http://s", headers=headers) as c:
            refused = [
                await c.post("/api/v1/sender/numbers/106540352242922%0D%0A/resume"),
                await c.post("/api/v1/sender/numbers/1065403522%20/resume"),
                await c.post("/api/v1/sender/numbers/abc/resume"),
                await c.post(f"/api/v1/sender/numbers/{'1' * 65}/resume"),
                await c.get("/api/v1/sender/messages/r%0Aid"),
                await c.get("/api/v1/sender/messages/r%20id"),
            ]
            unknown = await c.post("/api/v1/sender/numbers/999/resume")
            page = (await c.get("/api/v1/sender/numbers", params={"limit": 1})).json()
    assert [r.status_code for r in refused] == [422] * len(refused)
    assert [r.json()["errors"][0]["loc"][0] for r in refused] == ["path"] * len(refused)
    assert unknown.status_code == 404
    assert sorted(page) == ["items", "limit", "offset", "total"]
