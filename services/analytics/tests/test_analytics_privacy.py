"""Analytics keeps no message text and no phone number: after real traffic through the four
services (the simulator playing Meta), nothing in any analytics table gives either away."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from tasklane_analytics.eventlog.privacy import Pseudonymizer
from tasklane_common.auth import hash_key, new_key
from tasklane_common.settings import (
    ApiKey,
    AuthSettings,
    Role,
)
from tasklane_common.testing import cleanup_run, new_run_id, real_stack
from tasklane_stack.embedded import EmbeddedStack, in_process_stack

ANALYST_KEY = new_key()
USERS = ("5511988887771", "34600111222")
SECRET_WORDS = "Create a task to renew the passport of Mariana Quintela by Friday"
NUL_TEXT = "Create a task to call\x00 the notary Bartolomeu tomorrow"


def _real(run_id: str) -> Callable[[str], dict[str, Any]]:
    return real_stack(
        run_id,
        auth=AuthSettings(api_keys=[ApiKey(name="a", role=Role.ANALYST, sha256=hash_key(ANALYST_KEY))]),
    )


@pytest.fixture(scope="module")
async def stack() -> AsyncIterator[tuple[EmbeddedStack, str]]:
    run_id = new_run_id()
    try:
        async with in_process_stack(_real(run_id)) as s:
            yield s, f"{run_id}_analytics"
    finally:
        await cleanup_run(run_id)


async def _eventually(check: Callable[[], Awaitable[bool]], timeout: float = 20.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not await check():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("not reached in time")
        await asyncio.sleep(0.1)


async def _everything_stored(stack: EmbeddedStack, schema: str) -> list[str]:
    """Every value of every row of every analytics table, as text."""
    runtime = stack.apps["analytics"].state.runtime
    out: list[str] = []
    async with runtime.db.read() as session:
        tables = (
            await session.execute(
                text("SELECT table_name FROM information_schema.tables WHERE table_schema = :s"),
                {"s": schema},
            )
        ).scalars()
        for table in list(tables):
            rows = await session.execute(text(f'SELECT * FROM "{schema}"."{table}"'))
            out += [str(value) for row in rows.all() for value in row]
    return out


async def test_no_message_text_or_phone_number_is_stored(stack: tuple[EmbeddedStack, str]) -> None:
    s, schema = stack
    await s.chat(SECRET_WORDS, from_=USERS[0])
    await s.chat(NUL_TEXT, from_=USERS[1])
    await s.chat("What are my tasks?", from_=USERS[0])

    transport = httpx.ASGITransport(app=s.apps["analytics"])
    headers = {"Authorization": f"Bearer {ANALYST_KEY}"}
    async with httpx.AsyncClient(transport=transport, base_url="http://analytics", headers=headers) as client:

        async def counted() -> bool:
            summary = (await client.get("/api/v1/analytics/summary")).json()
            return bool(summary["messages_received"] >= 3 and summary["messages_delivered"] >= 3)

        await _eventually(counted)
        summary = (await client.get("/api/v1/analytics/summary")).json()
    # The figures are there (two people wrote), computed from what was kept...
    assert summary["unique_users"] == 2
    assert summary["tasks_created"] >= 1

    stored = "\n".join(await _everything_stored(s, schema))
    assert len(stored) > 1000  # the tables hold the traffic
    for words in ("passport", "Mariana", "Quintela", "notary", "Bartolomeu", "What are my tasks"):
        assert words not in stored
    for phone in USERS:
        assert phone not in stored
        assert phone[-9:] not in stored  # not even its national part
    assert "\x00" not in stored


async def test_the_payload_is_jsonb_on_postgresql(stack: tuple[EmbeddedStack, str]) -> None:
    s, schema = stack
    async with s.apps["analytics"].state.runtime.db.read() as session:
        kind = (
            await session.execute(
                text(
                    "SELECT data_type FROM information_schema.columns "
                    "WHERE table_schema = :s AND table_name = 'events' AND column_name = 'payload'"
                ),
                {"s": schema},
            )
        ).scalar_one()
    assert kind == "jsonb"


def test_a_pseudonym_is_keyed_not_a_plain_hash() -> None:
    a, b = Pseudonymizer(b"k" * 32), Pseudonymizer(b"j" * 32)
    assert a("5511988887771") == a("5511988887771")
    assert a("5511988887771") != b("5511988887771")  # a guess cannot be checked without the key
    assert "5511988887771" not in a("5511988887771")
