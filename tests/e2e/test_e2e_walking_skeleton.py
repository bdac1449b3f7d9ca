"""One WhatsApp message through all four services, on the real RabbitMQ and PostgreSQL.

The services run in this process, each with its own runtime, broker connection and schema, over
HTTP through ASGI transports; the simulator plays Meta (signed webhooks in, Graph API out).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from sqlalchemy import func, select

from tasklane_agent.storage.tables import tasks
from tasklane_common.auth import hash_key, new_key
from tasklane_common.messaging import deterministic_id, new_envelope
from tasklane_common.settings import (
    ApiKey,
    AuthSettings,
    Role,
    TelemetrySettings,
)
from tasklane_common.telemetry import setup_tracing
from tasklane_common.testing import cleanup_run, new_run_id, real_stack
from tasklane_simulator import payloads
from tasklane_stack.embedded import APP_SECRET, EmbeddedStack, in_process_stack

NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)  # a Wednesday
ANALYST_KEY = new_key()
SPANS = InMemorySpanExporter()


def _real(run_id: str) -> Callable[[str], dict[str, Any]]:
    return real_stack(
        run_id,
        telemetry=TelemetrySettings(enabled=True),
        auth=AuthSettings(api_keys=[ApiKey(name="e2e", role=Role.ANALYST, sha256=hash_key(ANALYST_KEY))]),
    )


@pytest.fixture(scope="module")
async def stack() -> AsyncIterator[EmbeddedStack]:
    setup_tracing(TelemetrySettings(), service="e2e", extra_processor=SimpleSpanProcessor(SPANS))
    run_id = new_run_id()
    try:
        async with in_process_stack(_real(run_id), clock=lambda: NOW) as s:
            yield s
    finally:
        await cleanup_run(run_id)


async def _eventually(check: Callable[[], Awaitable[bool]], timeout: float = 15.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not await check():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("not reached in time")
        await asyncio.sleep(0.1)


async def _tasks_titled(stack: EmbeddedStack, title: str) -> int:
    async with stack.apps["agent"].state.runtime.db.read() as session:
        query = select(func.count()).select_from(tasks).where(tasks.c.title == title)
        return int((await session.execute(query)).scalar_one())


async def _post(stack: EmbeddedStack, body: bytes, signature: str | None) -> httpx.Response:
    headers = {"Content-Type": "application/json"}
    if signature is not None:
        headers["X-Hub-Signature-256"] = signature
    transport = httpx.ASGITransport(app=stack.apps["gateway"])
    async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as client:
        return await client.post("/api/webhooks/whatsapp", content=body, headers=headers)


async def test_a_message_becomes_a_task_a_reply_and_a_statistic(stack: EmbeddedStack) -> None:
    user = "5511999990001"
    replies = await stack.chat("Create a task to review the quarterly reports by Friday", from_=user)

    assert len(replies) == 1
    assert "review the quarterly reports" in replies[0]
    assert "Fri 27 Nov" in replies[0]
    sent = stack.simulator.sent_messages(to=user)
    assert sent[0]["body"]["to"].lstrip("+") == user
    assert await _tasks_titled(stack, "review the quarterly reports") == 1

    listing = await stack.chat("What are my tasks?", from_=user)
    assert "review the quarterly reports" in listing[0]

    transport = httpx.ASGITransport(app=stack.apps["analytics"])
    headers = {"Authorization": f"Bearer {ANALYST_KEY}"}
    async with httpx.AsyncClient(transport=transport, base_url="http://analytics", headers=headers) as client:

        async def counted() -> bool:
            summary = (await client.get("/api/v1/analytics/summary")).json()
            return bool(
                summary["messages_received"] >= 2
                and summary["messages_sent"] >= 2
                and summary["messages_delivered"] >= 1
            )

        await _eventually(counted)
        summary = (await client.get("/api/v1/analytics/summary")).json()
    assert summary["avg_response_time_ms"] is not None
    assert summary["avg_response_time_ms"] > 0


async def test_one_conversation_turn_is_one_trace(stack: EmbeddedStack) -> None:
    user = "5511999990002"
    injected = await stack.simulator.inject_text(user, "Create a task to water the plants tomorrow")
    await stack.simulator.wait_for_message(user, count=1, timeout=15)
    await asyncio.sleep(0.5)
    spans = SPANS.get_finished_spans()
    event_id = deterministic_id("message.received", injected.wamid)
    consumed = next(
        s
        for s in spans
        if s.name == "process agent.inbound" and (s.attributes or {}).get("messaging.message.id") == event_id
    )
    turn = [s for s in spans if s.context.trace_id == consumed.context.trace_id]
    names = {s.name for s in turn}
    roots = [s for s in turn if s.parent is None]
    assert [r.name for r in roots] == ["POST /api/webhooks/whatsapp"]  # one trace, from the webhook
    assert {"publish tasklane.events", "process sender.replies", "whatsapp send"} <= names
    # Analytics records events in batches: its batch spans link to each event's trace.
    batches = [s for s in spans if s.name == "process analytics.events"]
    linked = {link.context.trace_id for s in batches for link in s.links}
    assert consumed.context.trace_id in linked


async def test_duplicates_and_redeliveries_change_nothing(stack: EmbeddedStack) -> None:
    user = "5511999990003"
    payload = payloads.text_message_webhook(from_=user, text="Create a task to renew the passport by Friday")
    body = payloads.encode(payload)
    signature = payloads.sign(body, APP_SECRET)
    first = await _post(stack, body, signature)
    second = await _post(stack, body, signature)  # Meta's duplicate webhook
    assert (first.status_code, second.status_code) == (200, 200)
    await stack.simulator.wait_for_message(user, count=1, timeout=15)

    # The same event redelivered on the broker (as after a consumer crash or a replay).
    gateway_runtime = stack.apps["gateway"].state.runtime
    from tasklane_common.messaging.contracts.gateway import MessageReceived

    wamid = payload["entry"][0]["changes"][0]["value"]["messages"][0]["id"]
    replay = MessageReceived(
        wamid=wamid,
        phone_number_id=payloads.DEFAULT_PHONE_NUMBER_ID,
        user_id="replayed",
        wa_id=user,
        message_type="text",
        text="Create a task to renew the passport by Friday",
        sent_at=NOW,
        received_at=NOW,
    )
    await gateway_runtime.publish(
        [new_envelope(replay, producer="gateway", event_id=deterministic_id("message.received", wamid))]
    )
    await asyncio.sleep(1.5)
    assert await _tasks_titled(stack, "renew the passport") == 1
    assert len(stack.simulator.sent_messages(to=user)) == 1


@pytest.mark.parametrize("signature", [None, "sha256=" + "0" * 64, "sha1=abc"])
async def test_unsigned_or_forged_webhooks_are_refused_and_change_nothing(
    stack: EmbeddedStack, signature: str | None
) -> None:
    user = "5511999990004"
    body = payloads.encode(payloads.text_message_webhook(from_=user, text="Create a task to forge this"))
    response = await _post(stack, body, signature)
    assert response.status_code in (401, 403)
    await asyncio.sleep(0.5)
    assert await _tasks_titled(stack, "forge this") == 0
    assert stack.simulator.sent_messages(to=user) == []
