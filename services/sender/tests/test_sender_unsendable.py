"""A message no request can be built for fails at once, with its real reason: a token that cannot
go into an HTTP header, a phone number id that cannot be a URL path segment. Nothing is sent,
nothing is retried, and no log line carries the token (issue 14, part 2)."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from pydantic import ValidationError
from sqlalchemy import select

from tasklane_common.messaging import deterministic_id, new_envelope
from tasklane_common.messaging.contracts.agent import ReplyRequested
from tasklane_common.messaging.contracts.gateway import NumberConfigured
from tasklane_common.secrets import KEY_ENV, PREVIOUS_KEYS_ENV, SecretBox, generate_key
from tasklane_sender.repository import OutboundRepository
from tasklane_sender.settings import SenderSettings
from tasklane_sender.tables import dead_letters, numbers

# A token pasted with smart quotes around it: the characters cannot be encoded in a header.
QUOTED_TOKEN = "“EAAGm0PX4ZCpsBAsecret-token-9f3k”"
SECRET_PART = "EAAGm0PX4ZCpsBAsecret-token-9f3k"


@pytest.fixture
def key(monkeypatch: pytest.MonkeyPatch) -> str:
    value = generate_key()
    monkeypatch.setenv(KEY_ENV, value)
    monkeypatch.delenv(PREVIOUS_KEYS_ENV, raising=False)
    return value


async def eventually(check: Callable[[], Awaitable[Any]], timeout: float = 10.0) -> Any:
    deadline = time.monotonic() + timeout
    while not (result := await check()):
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.05)
    return result


def _pnid() -> str:
    return "3000" + str(uuid.uuid4().int)[:11]


def _configured(phone_number_id: str, token: str, key: str) -> Any:
    event = NumberConfigured(
        phone_number_id=phone_number_id,
        app_id="app-3",
        waba_id="300000000000004",
        display_phone_number="15550008888",
        access_token_encrypted=SecretBox.from_keys(key).seal(token, aad=phone_number_id),
        state="active",
        version=1,
    )
    return new_envelope(event, producer="gateway", event_id=deterministic_id("number", phone_number_id, "1"))


def _reply(phone_number_id: str, to: str) -> Any:
    reply_id = f"r-{uuid.uuid4().hex[:12]}"
    event = ReplyRequested(
        reply_id=reply_id, phone_number_id=phone_number_id, to=to, user_id=f"u-{to}", content={"body": "hi"}
    )
    return new_envelope(event, producer="agent", event_id=deterministic_id("reply", reply_id))


async def test_a_token_that_cannot_be_a_header_fails_the_message_at_once_and_is_never_logged(
    harness: Any, key: str, capsys: pytest.CaptureFixture[str]
) -> None:
    pnid, to = _pnid(), harness.phone()
    async with harness.start() as app:
        await harness.publish(app, _configured(pnid, QUOTED_TOKEN, key))
        consumer = next(c for c in harness.runtime(app).consumers if c.queue.name == "sender.integrations")
        await harness.settled(lambda: consumer.handled >= 1)
        reply = _reply(pnid, to)
        await harness.publish(app, reply)
        reply_id = reply.payload["reply_id"]
        failed = await harness.reaches(app, reply_id, "failed")
        event = await (await harness.events()).wait("message.failed", reply_id)

    # On the first attempt, with the real reason, and saying truly that nothing left.
    assert failed.attempts == 1
    assert failed.last_error is not None
    assert "access token cannot be sent in an HTTP header" in failed.last_error
    assert "nothing was sent" in failed.last_error
    assert "may have been delivered" not in failed.last_error
    assert event.payload["reason"] == failed.last_error
    assert harness.sim.sent_messages(to) == []
    logs = capsys.readouterr()
    assert SECRET_PART not in logs.out + logs.err
    assert "number_token_invalid" in logs.out + logs.err


async def test_a_phone_number_id_that_cannot_be_a_path_segment_fails_the_reply_at_once(harness: Any) -> None:
    to = harness.phone()
    async with harness.start() as app:
        reply = _reply("106540352242922\r\nX-Injected: 1", to)
        await harness.publish(app, reply)
        reply_id = reply.payload["reply_id"]
        failed = await harness.reaches(app, reply_id, "failed")
        await (await harness.events()).wait("message.failed", reply_id)
        # A row stored before the check existed is failed by the dispatcher, on its first claim.
        async with harness.runtime(app).db.transaction() as session:
            await OutboundRepository(session).enqueue(
                reply_id=f"{reply_id}-old",
                correlation_id="c",
                causation_id="e",
                user_id="u",
                phone_number_id="10654/../me",
                to=to,
                kind="text",
                content={"body": "hi"},
                now=failed.created_at,
            )
        old = await harness.reaches(app, f"{reply_id}-old", "failed")

    for message in (failed, old):
        assert message.last_error is not None
        assert message.last_error.startswith("the phone number id is not a valid id")
        assert "nothing was sent" in message.last_error
    assert failed.attempts == 0  # refused when queued, never claimed
    assert old.attempts == 1
    assert harness.sim.sent_messages(to) == []


async def test_a_number_configured_with_an_invalid_id_is_dead_lettered_with_the_reason(
    harness: Any, key: str
) -> None:
    pnid = f"{_pnid()}\r\n"
    configured = _configured(pnid, "good-token", key)

    async with harness.start() as app:
        await harness.publish(app, configured)

        async def dead() -> Any:
            async with harness.runtime(app).db.read() as session:
                return (
                    await session.execute(
                        select(dead_letters).where(dead_letters.c.event_id == configured.id)
                    )
                ).first()

        letter = await eventually(dead)
        async with harness.runtime(app).db.read() as session:
            rows = (await session.execute(select(numbers).where(numbers.c.phone_number_id == pnid))).all()
    assert "the phone number id is not a valid id" in letter.reason
    assert rows == []


def test_an_environment_token_that_cannot_be_a_header_stops_the_start_without_showing_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("WHATSAPP_ACCESS_TOKEN", QUOTED_TOKEN)
    with pytest.raises(ValidationError) as refused:
        SenderSettings()
    text = str(refused.value) + repr(refused.value)
    assert "cannot be sent in an HTTP header" in text
    assert SECRET_PART not in text
