"""What the webhook edge answers and logs when the input is odd or the host is busy: oversized
batches, messages older than Meta's retry horizon, strangers probing app ids, clients hanging up,
and publishes that queue behind thousands of others."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from gateway_harness import APP_SECRET, VERIFY_TOKEN, WEBHOOK, Gateway, QueueWatcher, serving
from pydantic import SecretStr
from sqlalchemy import select

from tasklane_common.messaging import Envelope
from tasklane_common.messaging.topology import ANALYTICS_EVENTS
from tasklane_common.settings import BrokerSettings, LoggingSettings
from tasklane_common.testing import TcpProxy, real_settings
from tasklane_gateway.settings import GatewaySettings
from tasklane_gateway.tables import expired_messages
from tasklane_simulator.payloads import encode, new_wamid, sign, status_webhook, text_message_webhook

ANA = "5511999990000"


def _statuses(count: int) -> dict[str, Any]:
    """One POST with ``count`` status updates, as a batching Meta (or an attacker) would send."""
    payload = status_webhook(wamid=new_wamid(), status="delivered", recipient_id=ANA)
    value = payload["entry"][0]["changes"][0]["value"]
    template = value["statuses"][0]
    value["statuses"] = [dict(template, id=new_wamid()) for _ in range(count)]
    return payload


def _log_lines(captured: pytest.CaptureFixture[str]) -> list[dict[str, Any]]:
    out = captured.readouterr()
    lines = []
    for line in (out.out + out.err).splitlines():
        try:
            parsed = json.loads(line)
        except ValueError:
            parsed = {"event": line, "level": "raw"}
        if isinstance(parsed, dict):
            lines.append(parsed)
    return lines


def _settings(run_id: str, **overrides: Any) -> GatewaySettings:
    return real_settings(
        GatewaySettings, run_id, "gateway", app_secret=APP_SECRET, verify_token=VERIFY_TOKEN, **overrides
    )


async def test_a_batch_far_above_metas_is_refused_at_once_the_same_way_every_time(
    gateway: Gateway, watcher: QueueWatcher
) -> None:
    huge = _statuses(10_000)

    answers = [await gateway.post(huge) for _ in range(2)]
    unsigned = await gateway.post(huge, secret=None)

    for answer in answers:
        assert answer.status_code == 413
        assert answer.headers["content-type"] == "application/problem+json"
        assert "10000 updates" in answer.json()["detail"]
    # The signature is still checked first: a stranger learns nothing about our limits.
    assert unsigned.status_code == 401
    assert await watcher.statuses() == []


async def test_a_batch_of_metas_maximum_is_published_whole(gateway: Gateway, watcher: QueueWatcher) -> None:
    batch = _statuses(1000)

    answer = await gateway.post(batch)

    assert answer.status_code == 200
    assert answer.json()["statuses"] == 1000
    assert len(await watcher.statuses()) == 1000


@pytest.fixture
async def slow_broker() -> AsyncIterator[TcpProxy]:
    """The broker behind a link that carries ~150 KB/s towards it: every publish arrives and is
    confirmed, one after another, but a few hundred of them take seconds (a busy host, in effect)."""
    proxy = TcpProxy("127.0.0.1", 5672, upload_bytes_per_s=150_000)
    await proxy.start()
    yield proxy
    await proxy.close()


def _slow(run_id: str, proxy: TcpProxy, **overrides: Any) -> GatewaySettings:
    broker = BrokerSettings(
        url=SecretStr(f"amqp://guest:guest@127.0.0.1:{proxy.port}/"),
        namespace=f"{run_id}.",
        publish_timeout_s=1.0,
    )
    return _settings(run_id, broker=broker, **overrides)


async def test_a_publish_that_takes_long_while_the_broker_confirms_is_not_answered_503(
    module_run_id: str, watcher: QueueWatcher, slow_broker: TcpProxy
) -> None:
    # The broker confirms throughout, yet the batch's publishes take longer than the stall bound:
    # the webhook must be accepted, not deferred for Meta to retry into the same load.
    async with serving(_slow(module_run_id, slow_broker)) as gateway:
        answer = await gateway.post(_statuses(300))

    assert answer.status_code == 200, answer.text
    assert answer.json()["statuses"] == 300
    assert len(await watcher.statuses()) == 300


async def test_a_message_first_seen_after_metas_retry_horizon_is_kept_not_acted_on(
    gateway: Gateway, watcher: QueueWatcher
) -> None:
    now = datetime.now(UTC)
    old, recent = new_wamid(), new_wamid()
    week_old = text_message_webhook(
        from_=ANA, text="delete it", wamid=old, timestamp=int((now - timedelta(days=8)).timestamp())
    )
    days_old = text_message_webhook(
        from_=ANA, text="add buy milk", wamid=recent, timestamp=int((now - timedelta(days=6)).timestamp())
    )

    first = await gateway.post(week_old)
    again = await gateway.post(week_old)
    late = await gateway.post(days_old)

    assert first.status_code == 200
    assert first.json()["expired"] == 1
    assert again.json()["duplicates"] == 1
    # Only the message still inside Meta's retry horizon reaches the assistant.
    assert [e.payload["wamid"] for e in await watcher.inbound()] == [recent]
    assert late.json()["expired"] == 0
    analytics: list[Envelope] = await watcher.take(ANALYTICS_EVENTS.name)
    expired = [e for e in analytics if e.type == "message.expired"]
    assert [e.payload["wamid"] for e in expired] == [old]
    assert "text" not in expired[0].payload
    async with gateway.app.state.runtime.db.read() as session:
        kept = (await session.execute(select(expired_messages).where(expired_messages.c.wamid == old))).one()
    assert kept.message["text"] == "delete it"


async def test_strangers_probing_app_ids_are_refused_quietly(
    module_run_id: str, capsys: pytest.CaptureFixture[str]
) -> None:
    async with serving(_settings(module_run_id)) as gateway:
        capsys.readouterr()
        answers = []
        for _ in range(40):
            app_id = uuid.uuid4().hex
            body = encode(text_message_webhook(from_=ANA, text="hi"))
            headers = {"content-type": "application/json", "x-hub-signature-256": sign(body, "guess")}
            answers.append(await gateway.client.post(f"{WEBHOOK}/{app_id}", content=body, headers=headers))
            answers.append(
                await gateway.client.get(
                    f"{WEBHOOK}/{app_id}",
                    params={"hub.mode": "subscribe", "hub.verify_token": "x", "hub.challenge": "1"},
                )
            )
        lines = _log_lines(capsys)

    assert {a.status_code for a in answers} == {403}
    assert [line for line in lines if line.get("level") in ("error", "critical", "raw")] == []
    refusals = [line for line in lines if line.get("event") == "webhook_refused"]
    # One line per kind of refusal for the whole burst, at warning level.
    assert 1 <= len(refusals) <= 2
    assert {line["level"] for line in refusals} == {"warning"}


async def test_a_client_hanging_up_mid_request_costs_one_info_line(
    module_run_id: str, watcher: QueueWatcher, capsys: pytest.CaptureFixture[str]
) -> None:
    body = encode(text_message_webhook(from_=ANA, text="never finished"))
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        (b"x-hub-signature-256", sign(body, APP_SECRET).encode()),
    ]
    settings = _settings(module_run_id, logging=LoggingSettings(level="INFO"))
    async with serving(settings) as gateway:
        capsys.readouterr()
        for _ in range(5):
            await _hang_up(gateway, headers, body[:40])
        lines = _log_lines(capsys)

    assert [line for line in lines if line.get("level") in ("error", "critical", "raw")] == []
    assert not any("Traceback" in json.dumps(line) for line in lines)
    assert [line["level"] for line in lines if line.get("event") == "http_client_disconnected"] == ["info"]
    assert await watcher.inbound() == []


async def _hang_up(gateway: Gateway, headers: list[tuple[bytes, bytes]], part: bytes) -> None:
    """What uvicorn hands the app when a client sends part of its body and closes the socket."""
    pieces: list[dict[str, Any]] = [
        {"type": "http.request", "body": part, "more_body": True},
        {"type": "http.disconnect"},
    ]
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        if pieces:
            return pieces.pop(0)
        await asyncio.sleep(3600)  # a disconnected client sends nothing more
        raise AssertionError("unreachable")

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": WEBHOOK,
        "raw_path": WEBHOOK.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": headers,
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8001),
        "state": {},
    }
    await gateway.app(scope, receive, send)
    assert sent[0]["status"] == 400


async def test_copies_of_webhooks_delivered_at_once_on_a_busy_host_are_all_answered_200(
    module_run_id: str, watcher: QueueWatcher, slow_broker: TcpProxy
) -> None:
    # Meta delivers concurrently and retries to every subscribed app: here six batches arrive three
    # times each, all at once. Their publishes queue behind one another for longer than the stall
    # bound, yet the broker confirms throughout: every copy is a 200 and every item is published once.
    batches = [_statuses(50) for _ in range(6)]
    async with serving(_slow(module_run_id, slow_broker)) as gateway:
        answers = await asyncio.gather(*(gateway.post(batch) for batch in batches for _ in range(3)))

    assert [a.status_code for a in answers] == [200] * 18, {a.status_code: a.text[:200] for a in answers}
    assert sum(a.json()["statuses"] for a in answers) == 300
    assert sum(a.json()["duplicates"] for a in answers) == 600
    assert len(await watcher.statuses()) == 300
