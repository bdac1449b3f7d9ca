"""Numbers configured in the gateway reach the sender as ``integration.number_configured``: each
number then sends with its own (sealed) access token, the newest version wins, and a rotation of
the secrets key re-seals the stored tokens."""

from __future__ import annotations

import asyncio
import os
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from pydantic import SecretStr
from sqlalchemy import select

from tasklane_common.messaging import Envelope, deterministic_id, new_envelope
from tasklane_common.messaging.contracts.agent import ReplyRequested
from tasklane_common.messaging.contracts.gateway import NumberConfigured
from tasklane_common.secrets import KEY_ENV, PREVIOUS_KEYS_ENV, SecretBox, generate_key
from tasklane_common.settings import DatabaseSettings
from tasklane_common.testing import amqp_url, database_url
from tasklane_sender.tables import numbers
from tasklane_simulator.settings import NumberSettings

SECOND_TOKEN = "second-number-token-0123456789"


async def eventually(check: Callable[[], Awaitable[Any]], timeout: float = 10.0) -> Any:
    deadline = time.monotonic() + timeout
    while not (result := await check()):
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.05)
    return result


@pytest.fixture
def second(harness: Any) -> str:
    """A business number of this test's own (test runs share one schema), played by the simulator."""
    phone_number_id = "2000" + str(uuid.uuid4().int)[:11]
    harness.sim.add_number(
        NumberSettings(
            phone_number_id=phone_number_id, display_phone_number="15550009999", access_token=SECOND_TOKEN
        )
    )
    return phone_number_id


@pytest.fixture
def key(monkeypatch: pytest.MonkeyPatch) -> str:
    value = generate_key()
    monkeypatch.setenv(KEY_ENV, value)
    monkeypatch.delenv(PREVIOUS_KEYS_ENV, raising=False)
    return value


def configured(
    phone_number_id: str, version: int, token: str | None, *, key: str, state: str = "active"
) -> Envelope:
    sealed = SecretBox.from_keys(key).seal(token, aad=phone_number_id) if token else None
    event = NumberConfigured(
        phone_number_id=phone_number_id,
        app_id="app-2",
        waba_id="300000000000003",
        display_phone_number="15550009999",
        access_token_encrypted=sealed,
        state=state,
        version=version,
        throughput_per_s=200,
    )
    return new_envelope(
        event, producer="gateway", event_id=deterministic_id("number", phone_number_id, str(version))
    )


def reply_from(phone_number_id: str, to: str) -> Envelope:
    reply_id = f"r-{uuid.uuid4().hex[:12]}"
    event = ReplyRequested(
        reply_id=reply_id,
        phone_number_id=phone_number_id,
        to=to,
        user_id=f"u-{to}",
        content={"body": "Task added"},
    )
    return new_envelope(event, producer="agent", event_id=deterministic_id("reply", reply_id))


async def stored(harness: Any, app: Any, phone_number_id: str, version: int) -> Any:
    """The row of the number once ``version`` of the configuration was handled."""
    consumer = next(c for c in harness.runtime(app).consumers if c.queue.name == "sender.integrations")
    await harness.settled(lambda: consumer.handled + consumer.duplicates >= version)
    async with harness.runtime(app).db.read() as session:
        return (
            await session.execute(select(numbers).where(numbers.c.phone_number_id == phone_number_id))
        ).one()


async def test_a_configured_number_sends_with_its_own_token(harness: Any, second: str, key: str) -> None:
    first_user, second_user = harness.phone(), harness.phone()
    async with harness.start() as app:
        await harness.publish(app, configured(second, 1, SECOND_TOKEN, key=key))
        row = await stored(harness, app, second, 1)
        from_second, from_default = reply_from(second, second_user), harness.reply(first_user)
        await harness.publish(app, from_second, from_default)
        await harness.reaches(app, from_second.payload["reply_id"], "sent")
        await harness.reaches(app, from_default.payload["reply_id"], "sent")

    [sent] = harness.sim.sent_messages(second_user)
    assert sent["phone_number_id"] == second
    # The zero-config default number still sends with WHATSAPP_ACCESS_TOKEN.
    assert len(harness.sim.sent_messages(first_user)) == 1
    # At rest the token is sealed (bound to its number), never in clear.
    assert row.access_token_sealed.startswith("tlsec:v1:")
    assert SECOND_TOKEN not in row.access_token_sealed
    assert SecretBox.from_keys(key).open(row.access_token_sealed, aad=second) == SECOND_TOKEN
    assert row.throughput_per_s == 200


async def test_the_newest_version_wins_whatever_the_order(harness: Any, second: str, key: str) -> None:
    user = harness.phone()
    async with harness.start() as app:
        await harness.publish(app, configured(second, 2, SECOND_TOKEN, key=key))
        await stored(harness, app, second, 1)
        await harness.publish(app, configured(second, 1, "a-revoked-token", key=key))  # delivered late
        row = await stored(harness, app, second, 2)
        reply = reply_from(second, user)
        await harness.publish(app, reply)
        await harness.reaches(app, reply.payload["reply_id"], "sent")

        await harness.publish(app, configured(second, 3, SECOND_TOKEN, key=key, state="disabled"))
        disabled = await stored(harness, app, second, 3)
        refused = reply_from(second, user)
        await harness.publish(app, refused)
        message = await harness.reaches(app, refused.payload["reply_id"], "failed")
        event = await (await harness.events()).wait("message.failed", refused.payload["reply_id"])

    assert row.version == 2
    assert disabled.state == "disabled"
    assert message.last_error == f"phone number {second} is disabled; nothing was sent"
    assert event.payload["reason"] == f"phone number {second} is disabled; nothing was sent"
    assert len(harness.sim.sent_messages(user)) == 1


async def test_rotation_reseals_the_stored_tokens(
    harness: Any, second: str, key: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A schema of its own: a rotation takes every stored token, and other tests seal with other keys.
    database = DatabaseSettings(
        url=SecretStr(database_url()), schema_name=f"{harness.run_id}_sender_rotation"
    )
    async with harness.start(database=database) as app:
        await harness.publish(app, configured(second, 1, SECOND_TOKEN, key=key))
        before = await stored(harness, app, second, 1)
        schema = harness.runtime(app).db.schema

    new_key = generate_key()
    env = {
        **os.environ,
        KEY_ENV: new_key,
        PREVIOUS_KEYS_ENV: key,
        "TASKLANE_DATABASE_URL": database_url(),
        "TASKLANE_SENDER_DATABASE__SCHEMA_NAME": schema,
        "TASKLANE_AMQP_URL": amqp_url(),
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tasklane_sender",
        "rotate-secrets",
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode == 0, err.decode()
    assert b"re-sealed 1 access token(s)" in out
    assert SECOND_TOKEN.encode() not in out + err

    # The old key is gone: only the new one opens the stored token, and sends work with it.
    monkeypatch.setenv(KEY_ENV, new_key)
    user = harness.phone()
    async with harness.start(database=database) as app:
        after = await stored(harness, app, second, 0)
        reply = reply_from(second, user)
        await harness.publish(app, reply)
        await harness.reaches(app, reply.payload["reply_id"], "sent")

    assert f":{SecretBox.from_keys(key).current_key_id}:" in before.access_token_sealed
    assert after.access_token_sealed != before.access_token_sealed
    assert SecretBox.from_keys(new_key).open(after.access_token_sealed, aad=second) == SECOND_TOKEN
    assert not SecretBox.from_keys(new_key).needs_rotation(after.access_token_sealed)


async def test_a_token_that_cannot_be_opened_pauses_the_number(harness: Any, second: str, key: str) -> None:
    """Sealed with a key this sender does not have: nothing goes out with another token instead."""
    user = harness.phone()
    async with harness.start() as app:
        await harness.publish(app, configured(second, 1, SECOND_TOKEN, key=generate_key()))
        await stored(harness, app, second, 1)
        reply = reply_from(second, user)
        await harness.publish(app, reply)
        tap = await harness.events()

        async def alerted() -> list[Any]:
            await tap.matching("sender.alert", "")
            return [
                e for e in tap.seen if e.type == "sender.alert" and e.payload["phone_number_id"] == second
            ]

        [alert] = await eventually(alerted)
        message = await harness.outbound(app, reply.payload["reply_id"])

    assert alert.payload["severity"] == "critical"
    assert "cannot be opened" in alert.payload["reason"]
    assert SECOND_TOKEN not in alert.payload["reason"]
    assert message is not None
    assert message.status == "queued"  # waits for the number to be configured again
    assert [r for r in harness.sim.requests() if second in r.path] == []
