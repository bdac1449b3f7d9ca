"""Every service's ``/metrics``: behind a key, parseable by prometheus-client, and moving as real
traffic flows through the four services on the real RabbitMQ and PostgreSQL."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families

from tasklane_common.auth import hash_key, new_key
from tasklane_common.messaging import deterministic_id, new_envelope
from tasklane_common.messaging.broker import OutgoingMessage
from tasklane_common.messaging.contracts.gateway import MessageReceived
from tasklane_common.settings import (
    ApiKey,
    AuthSettings,
    Role,
)
from tasklane_common.testing import cleanup_run, new_run_id, real_stack
from tasklane_simulator import payloads
from tasklane_stack.embedded import EmbeddedStack, in_process_stack

NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
SCRAPER_KEY = new_key()
SERVICES = ("gateway", "agent", "sender", "analytics")
Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def _settings(run_id: str) -> Callable[[str], dict[str, Any]]:
    # The least role: any key may scrape.
    scraper = ApiKey(name="prometheus", role=Role.ANALYST, sha256=hash_key(SCRAPER_KEY))
    return real_stack(run_id, auth=AuthSettings(api_keys=[scraper]))


@pytest.fixture(scope="module")
async def stack() -> AsyncIterator[EmbeddedStack]:
    run_id = new_run_id()
    try:
        async with in_process_stack(_settings(run_id), clock=lambda: NOW) as s:
            yield s
    finally:
        await cleanup_run(run_id)


async def _get(stack: EmbeddedStack, service: str, headers: dict[str, str] | None = None) -> httpx.Response:
    transport = httpx.ASGITransport(app=stack.apps[service])
    async with httpx.AsyncClient(transport=transport, base_url=f"http://{service}") as client:
        return await client.get("/metrics", headers=headers or {})


async def scrape(stack: EmbeddedStack, service: str) -> Samples:
    response = await _get(stack, service, {"Authorization": f"Bearer {SCRAPER_KEY}"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float:
    """The sum of ``name``'s samples whose labels include ``labels`` (0 when there are none)."""
    wanted = set(labels.items())
    return sum(v for (n, ls), v in samples.items() if n == name and wanted <= ls)


def names(samples: Samples) -> set[str]:
    return {n for n, _ in samples}


async def _eventually(check: Callable[[], Awaitable[bool]], timeout: float = 15.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not await check():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("not reached in time")
        await asyncio.sleep(0.2)


@pytest.mark.parametrize("service", SERVICES)
@pytest.mark.parametrize("authorization", [None, "Bearer tl_not-a-key", "Basic Zm9vOmJhcg=="])
async def test_metrics_need_a_key(stack: EmbeddedStack, service: str, authorization: str | None) -> None:
    response = await _get(stack, service, {"Authorization": authorization} if authorization else None)
    assert response.status_code == 401
    assert "tasklane_" not in response.text


async def test_every_service_exposes_its_metrics(stack: EmbeddedStack) -> None:
    expected = {
        # Labelled counters show once they have a sample (see the traffic test); gauges always do.
        "gateway": {"tasklane_outbox_backlog", "tasklane_outbox_oldest_age_seconds"},
        "agent": {"tasklane_reminders_due", "tasklane_reminders_late", "tasklane_outbox_backlog"},
        "sender": {"tasklane_outbox_oldest_age_seconds", "tasklane_dead_letters_pending"},
        "analytics": {"tasklane_dead_letters_pending"},
    }
    for service in SERVICES:
        samples = await scrape(stack, service)
        assert expected[service] <= names(samples)
        assert value(samples, "tasklane_metrics_sample_failures_total") == 0


async def test_counters_move_as_traffic_flows(stack: EmbeddedStack) -> None:
    before = {s: await scrape(stack, s) for s in SERVICES}
    user = "5511999990101"

    # Understood, then not understood: the fallback rate's two sides.
    created = await stack.chat("Create a task to water the plants tomorrow", from_=user)
    assert "water the plants" in created[0]
    await stack.chat("zxqv blorp wibble", from_=user)
    # A forged webhook: refused.
    body = payloads.encode(payloads.text_message_webhook(from_=user, text="forged"))
    transport = httpx.ASGITransport(app=stack.apps["gateway"])
    async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as client:
        forged = await client.post(
            "/api/webhooks/whatsapp",
            content=body,
            headers={"Content-Type": "application/json", "X-Hub-Signature-256": "sha256=" + "0" * 64},
        )
    assert forged.status_code in (401, 403)
    # The first message's event again on the broker (a redelivery): the agent's inbox drops it.
    gateway = stack.apps["gateway"].state.runtime
    wamid = stack.simulator.sent_messages(to=user)[0]["body"].get("context", {}).get("message_id")
    replay = MessageReceived(
        wamid=wamid or "wamid.replayed",
        phone_number_id=payloads.DEFAULT_PHONE_NUMBER_ID,
        user_id="replayed",
        wa_id=user,
        message_type="text",
        text="Create a task to water the plants tomorrow",
        sent_at=NOW,
        received_at=NOW,
    )
    event_id = deterministic_id("message.received", "wamid.metrics-duplicate")
    for _ in range(2):
        await gateway.publish([new_envelope(replay, producer="gateway", event_id=event_id)])
    # A message no consumer can read: dead-lettered, then stored as a dead letter.
    await gateway.broker.publish(
        [OutgoingMessage(routing_key="message.received", body=b"not an envelope", message_id="poison-1")]
    )

    async def agent_settled() -> bool:
        now = await scrape(stack, "agent")
        return bool(
            value(now, "tasklane_inbox_duplicates_total", queue="agent.inbound")
            > value(before["agent"], "tasklane_inbox_duplicates_total", queue="agent.inbound")
            and value(now, "tasklane_dead_letters_total")
            > value(before["agent"], "tasklane_dead_letters_total")
        )

    await _eventually(agent_settled)
    after = {s: await scrape(stack, s) for s in SERVICES}

    def moved(service: str, name: str, **labels: str) -> float:
        return value(after[service], name, **labels) - value(before[service], name, **labels)

    # Gateway: the webhooks by outcome, their latency, the events it published.
    assert moved("gateway", "tasklane_webhook_requests_total", outcome="accepted") >= 2
    assert moved("gateway", "tasklane_webhook_requests_total", outcome="refused") == 1
    assert moved("gateway", "tasklane_webhook_duration_seconds_count") >= 3
    assert moved("gateway", "tasklane_events_published_total", type="message.received", outcome="ok") >= 4

    # Agent: handled and duplicate deliveries, handler latency, the fallback, the dead letter.
    handled = {"queue": "agent.inbound", "type": "message.received"}
    assert moved("agent", "tasklane_events_consumed_total", outcome="handled", **handled) >= 3
    assert moved("agent", "tasklane_events_consumed_total", outcome="duplicate", **handled) >= 1
    assert moved("agent", "tasklane_event_handler_duration_seconds_count", **handled) >= 4
    assert moved("agent", "tasklane_assistant_turns_total", understood="false") >= 1
    assert moved("agent", "tasklane_assistant_turns_total", understood="true") >= 1
    assert moved("agent", "tasklane_events_consumed_total", type="unknown", outcome="dead_lettered") == 1
    assert moved("agent", "tasklane_dead_letters_total", queue="agent.inbound") == 1
    assert value(after["agent"], "tasklane_dead_letters_pending", queue="agent.inbound") >= 1
    assert moved("agent", "tasklane_events_published_total", type="reply.requested", outcome="ok") >= 2

    # Sender: Graph API calls and the replies' latency; the number's breaker is closed.
    assert moved("sender", "tasklane_graph_requests_total", code="ok") >= 2
    assert moved("sender", "tasklane_graph_request_duration_seconds_count") >= 2
    assert moved("sender", "tasklane_reply_latency_seconds_count") >= 2
    pnid = payloads.DEFAULT_PHONE_NUMBER_ID
    assert value(after["sender"], "tasklane_breaker_state", phone_number_id=pnid, state="closed") == 1
    assert value(after["sender"], "tasklane_breaker_state", phone_number_id=pnid, state="open") == 0
    assert ("tasklane_pacing_backlog", frozenset({("phone_number_id", pnid)})) in after["sender"]

    # Analytics: the events it recorded, in batches.
    assert moved("analytics", "tasklane_events_consumed_total", outcome="handled") >= 4
    assert moved("analytics", "tasklane_event_handler_duration_seconds_count", type="batch") >= 1


async def test_outbox_backlog_drains_to_zero(stack: EmbeddedStack) -> None:
    async def drained() -> bool:
        samples = await scrape(stack, "agent")
        return value(samples, "tasklane_outbox_backlog") == 0

    await _eventually(drained)
    assert value(await scrape(stack, "agent"), "tasklane_outbox_oldest_age_seconds") == 0


def _exposed_names(stack: EmbeddedStack) -> set[str]:
    """Every sample name the services can expose (labelled families included before their first
    sample), as Prometheus stores them."""
    suffixes = {"counter": ("_total",), "histogram": ("_bucket", "_count", "_sum"), "gauge": ("",)}
    found: set[str] = set()
    for service in SERVICES:
        for family in stack.apps[service].state.runtime.metrics.registry.collect():
            found |= {family.name + s for s in suffixes.get(family.type, ("",))}
    return found


def test_alerts_and_dashboard_query_only_metrics_that_exist(stack: EmbeddedStack) -> None:
    root = Path(__file__).resolve().parents[2]
    rule = yaml.safe_load((root / "deploy/k8s/monitoring/prometheusrule.yaml").read_text())
    rules = [r for g in rule["spec"]["groups"] for r in g["rules"]]
    recorded = {r["record"] for r in rules if "record" in r}
    dashboard = json.loads((root / "deploy/grafana/tasklane.json").read_text())
    exprs = [r["expr"] for r in rules] + [
        t["expr"] for p in dashboard["panels"] if p["type"] != "row" for t in p["targets"]
    ]
    used = {m for e in exprs for m in re.findall(r"\b((?:tasklane|rabbitmq)[:\w]*)", e)} - recorded
    # RabbitMQ's own (rabbitmq_prometheus plugin): not ours to expose.
    ours = {m for m in used if m.startswith("tasklane_")}
    assert ours <= _exposed_names(stack), sorted(ours - _exposed_names(stack))
    assert used - ours == {"rabbitmq_queue_consumers"}
