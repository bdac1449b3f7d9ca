"""Two strangers on one business number, through all four services, under both access policies:
whatever one of them writes, the number sends nothing of theirs to the other (issue 14's phishing
channel: "👋 Eve assigned you a task: *your account is locked, verify at …*").

``open``: anyone may write and becomes a user alone. ``mapped``: only numbers an admin mapped are
served; both strangers are mapped (by the gateway's admin API) but share no team.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from tasklane_common.auth import hash_key, new_key
from tasklane_common.settings import ApiKey, AuthSettings, Role
from tasklane_common.testing import cleanup_run, new_run_id
from tasklane_simulator.inbound import button_reply, messages_webhook
from tasklane_simulator.inbound.messages import User
from tasklane_stack.embedded import EmbeddedStack, in_process_stack
from tests.e2e.test_e2e_walking_skeleton import _real

NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
ADMIN_KEY = new_key()
PHISH = "your account is locked, verify at https://evil.example.com/login"
ANA, EVE = "447700902001", "447700902002"


@pytest.fixture(scope="module", params=["open", "mapped"])
async def stack(request: pytest.FixtureRequest) -> AsyncIterator[EmbeddedStack]:
    policy = request.param
    run_id = new_run_id()
    common = _real(run_id)

    def settings_for(service: str) -> dict[str, Any]:
        extra: dict[str, Any] = {
            "auth": AuthSettings(
                api_keys=[ApiKey(name="e2e-admin", role=Role.ADMIN, sha256=hash_key(ADMIN_KEY))]
            )
        }
        if service == "gateway":
            extra["access_policy"] = policy
        if service == "sender":
            extra["pair_interval_s"] = 0.1
        return common(service) | extra

    try:
        async with in_process_stack(settings_for, clock=lambda: NOW) as s:
            if policy == "mapped":
                await _map(s, ANA, "Ana")
                await _map(s, EVE, "Eve")
            yield s
    finally:
        await cleanup_run(run_id)


async def _map(stack: EmbeddedStack, wa_id: str, name: str) -> None:
    transport = httpx.ASGITransport(app=stack.apps["gateway"])
    async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as http:
        number = next(iter(stack.simulator.numbers))
        made = await http.post(
            "/api/v1/gateway/mappings",
            json={"phone_number_id": number, "wa_id": wa_id, "profile_name": name},
            headers={"Authorization": f"Bearer {ADMIN_KEY}"},
        )
        assert made.status_code == 201, made.text


def _said_to(stack: EmbeddedStack, wa_id: str) -> str:
    return "\n".join(str(m["body"]) for m in stack.simulator.sent_messages(to=wa_id))


async def test_a_stranger_cannot_make_the_number_carry_their_words(stack: EmbeddedStack) -> None:
    await stack.chat("hi", from_=ANA, name="Ana")
    await stack.chat("create project Secret Merger", from_=ANA, name="Ana")
    before = len(stack.simulator.sent_messages(to=ANA))

    replies = await stack.chat(f"create a task {PHISH} and assign it to Ana", from_=EVE, name=PHISH)
    assert "Nobody called Ana is in your team" in replies[0]
    replies = await stack.chat("how is the Secret Merger project going?", from_=EVE, name=PHISH)
    assert "Secret Merger" not in replies[0] or "No tasks yet" not in replies[0]

    # An invitation reaches Ana, but as our question with Eve's number: none of Eve's words.
    replies = await stack.chat("invite +44 7700 902001", from_=EVE, name=PHISH)
    assert "Invitation for +44 7700 902001 saved" in replies[0]
    asked = await stack.simulator.wait_for_message(ANA, count=before + 1, timeout=15)
    question = asked[-1]
    assert question["body"]["type"] == "interactive"
    assert "+44 7700 902002" in str(question["body"])
    # Ana says no: Eve stays a stranger and cannot ask again.
    [no] = [
        b["reply"]
        for b in question["body"]["interactive"]["action"]["buttons"]
        if b["reply"]["id"].endswith(":no")
    ]
    tapped = button_reply(User(wa_id=ANA, name="Ana"), no["id"], no["title"], replying_to=question["wamid"])
    assert await stack.simulator.inject_webhook(messages_webhook(tapped)) == 200
    await stack.simulator.wait_for_message(ANA, count=before + 2, timeout=15)
    await stack.chat("invite +447700902001", from_=EVE, name=PHISH)
    await stack.chat("assign it to Ana", from_=EVE, name=PHISH)

    told = _said_to(stack, ANA)
    assert "evil" not in told
    assert "locked" not in told
    assert len(stack.simulator.sent_messages(to=ANA)) == before + 2  # the question and the answer to "no"
