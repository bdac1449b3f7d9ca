"""Analytics' own alerts on the real RabbitMQ and PostgreSQL: each fires from real state (a queue
nobody consumes, a sender replica's heartbeat with an open breaker, an auth-paused number and an
old outbox, dead letters announced by their owner) and stays silent otherwise; a
Slack-compatible webhook (a fake HTTP server: Slack is outside the system) receives one firing
and one resolved body even with two evaluators at work; the API answers analysts and refuses
callers without a key or with bad input; the console page shows the alerts."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from tasklane_analytics.alerts.catalogue import RULES, Severity
from tasklane_analytics.alerts.notifier import DeliveryError, WebhookNotifier, slack_body
from tasklane_analytics.alerts.service import AlertService
from tasklane_analytics.alerts.settings import AlertSettings
from tasklane_analytics.alerts.state import Alert
from tasklane_analytics.app import create_app
from tasklane_analytics.settings import AnalyticsSettings
from tasklane_common.auth import hash_key, new_key
from tasklane_common.control import heartbeat_routing_key
from tasklane_common.messaging import new_envelope
from tasklane_common.messaging.broker import OutgoingMessage
from tasklane_common.messaging.contracts.runtime import (
    DeadLetterChanged,
    OutboxState,
    ReplicaHeartbeat,
)
from tasklane_common.runtime import ServiceRuntime
from tasklane_common.settings import ApiKey, AuthSettings, Role
from tasklane_common.testing import cleanup_run, eventually, new_run_id, real_settings, running

KEYS = {role: new_key() for role in Role}
HEADERS = {role: {"Authorization": f"Bearer {key}"} for role, key in KEYS.items()}
PREFIX = "/api/v1/analytics"
TOKEN = "T000/B000/secret-token-in-the-url"


@dataclass
class FakeWebhook:
    """An HTTP server taking POSTs as a Slack incoming webhook does (``status`` answers each)."""

    status: int = 200
    bodies: list[dict[str, Any]] = field(default_factory=list)
    server: asyncio.Server | None = None

    @property
    def url(self) -> str:
        assert self.server is not None
        port = self.server.sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}/services/{TOKEN}"

    async def start(self) -> None:
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", 0)

    async def close(self) -> None:
        if self.server is not None:
            self.server.close()
            await self.server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            length = int(re.search(rb"(?i)content-length: *(\d+)", head).group(1))  # type: ignore[union-attr]
            body = await reader.readexactly(length)
            if self.status < 300:
                self.bodies.append(json.loads(body))
            writer.write(
                f"HTTP/1.1 {self.status} X\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok".encode()
            )
            await writer.drain()
        finally:
            writer.close()

    def of(self, name: str, **labels: str) -> list[str]:
        """The states (FIRING, RESOLVED) told for ``name`` with these labels, in order."""
        out = []
        for body in self.bodies:
            text = body["text"]
            if f"] {name} (" in text and all(f"{k}={v}" in text for k, v in labels.items()):
                out.append(text[1 : text.index("]")])
        return out


@dataclass
class Analytics:
    client: httpx.AsyncClient
    runtime: ServiceRuntime
    alerts: AlertService
    webhook: FakeWebhook


def alert_settings(url: str) -> AlertSettings:
    return AlertSettings(
        interval_s=0.2,
        warmup_s=0.5,
        hold_s={"*": 0},
        resolve_after_s=0,
        webhook_url=SecretStr(url),
        webhook_timeout_s=2,
        repeat_interval_s=3600,
    )


@pytest.fixture(scope="module")
async def analytics() -> AsyncIterator[Analytics]:
    rid = new_run_id()
    webhook = FakeWebhook()
    await webhook.start()
    auth = AuthSettings(
        api_keys=[ApiKey(name=f"{r}-key", role=r, sha256=hash_key(k)) for r, k in KEYS.items()]
    )
    settings = real_settings(
        AnalyticsSettings,
        rid,
        "analytics",
        auth=auth,
        control_interval_s=0.2,
        alerts=alert_settings(webhook.url),
    )
    app = create_app(settings)
    try:
        async with running(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://analytics") as client:
                yield Analytics(client, app.state.runtime, app.state.alerts, webhook)
    finally:
        await webhook.close()
        await cleanup_run(rid)


async def listed(a: Analytics, **params: Any) -> dict[str, Any]:
    response = await a.client.get(f"{PREFIX}/alerts", params=params, headers=HEADERS[Role.ANALYST])
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def instances(body: dict[str, Any], state: str, name: str) -> list[dict[str, str]]:
    return [a["labels"] for a in body[state] if a["name"] == name]


async def heartbeat(runtime: ServiceRuntime, service: str, replica: str, **fields: Any) -> None:
    now = datetime.now(UTC)
    beat = ReplicaHeartbeat(
        service=service,
        replica=replica,
        started_at=now - timedelta(minutes=5),
        at=now,
        interval_s=5.0,
        readiness={
            "status": "ok",
            "checks": {"database": {"status": "up"}, "message_queue": {"status": "up"}},
        },
        **fields,
    )
    envelope = new_envelope(beat, producer=service)
    await runtime.broker.broadcast(
        OutgoingMessage(
            routing_key=heartbeat_routing_key(service), body=envelope.to_bytes(), message_id=envelope.id
        )
    )


async def test_a_queue_nobody_consumes_fires_and_one_consumed_does_not(analytics: Analytics) -> None:
    async def firing() -> list[dict[str, str]] | None:
        body = await listed(analytics)
        return instances(body, "firing", "TasklaneQueueWithoutConsumers") or None

    labels = await eventually(firing)
    queues = {x["queue"] for x in labels}
    # Only analytics runs: the agent's and the sender's queues have no consumer, its own has one.
    assert {"agent.inbound", "sender.replies"} <= queues
    assert "analytics.events" not in queues
    assert {"queue": "agent.inbound", "service": "agent"} in labels
    first = next(
        a for a in (await listed(analytics))["firing"] if a["labels"].get("queue") == "agent.inbound"
    )
    rule = RULES["TasklaneQueueWithoutConsumers"]
    assert (first["severity"], first["summary"], first["runbook"]) == ("warning", rule.summary, rule.runbook)
    assert first["runbook_url"].endswith("docs/metrics.md#queue-without-consumers")
    assert datetime.fromisoformat(first["since"]) <= datetime.now(UTC)


async def test_the_api_needs_an_analyst_key_and_refuses_bad_input(analytics: Analytics) -> None:
    client = analytics.client
    assert (await client.get(f"{PREFIX}/alerts")).status_code == 401
    assert (await client.get(f"{PREFIX}/alerts", headers={"Authorization": "Bearer nope"})).status_code == 401
    for role in Role:
        assert (await client.get(f"{PREFIX}/alerts", headers=HEADERS[role])).status_code == 200
    for bad in (
        {"severity": "loud"},
        {"resolved_hours": "0"},
        {"resolved_hours": "1e9"},
        {"resolved_hours": "x"},
    ):
        response = await client.get(f"{PREFIX}/alerts", params=bad, headers=HEADERS[Role.ANALYST])
        assert response.status_code == 422, bad
    only = await listed(analytics, severity="critical")
    assert all(a["severity"] == "critical" for a in only["firing"] + only["pending"] + only["resolved"])
    schema = (await client.get("/openapi.json")).json()
    assert "AlertsOut" in schema["components"]["schemas"]
    assert f"{PREFIX}/alerts" in schema["paths"]


async def test_an_open_breaker_is_told_once_firing_and_once_resolved_by_two_evaluators(
    analytics: Analytics,
) -> None:
    runtime, webhook = analytics.runtime, analytics.webhook
    # A second evaluator on the same database, as a second analytics replica would be.
    second = AlertService(runtime, analytics.alerts.settings)
    assert analytics.alerts.ops is not None
    second.watch(analytics.alerts.ops)
    second.start()
    try:
        await heartbeat(
            runtime,
            "sender",
            "sender-test-1",
            reports={
                "breakers": {"pA": "open", "pB": "closed"},
                "numbers": [
                    {"phone_number_id": "pC", "paused": True, "pause_code": 190, "pause_auth": True},
                    {"phone_number_id": "pD", "paused": True, "pause_code": None, "pause_auth": False},
                    {"phone_number_id": "pE", "paused": False, "pause_code": None},
                ],
            },
            outbox=OutboxState(backlog=4, oldest_age_s=700.0),
        )
        await eventually(lambda: _told(webhook, "TasklaneBreakerOpen", ["FIRING"], phone_number_id="pA"))
        body = await listed(analytics)
        assert instances(body, "firing", "TasklaneBreakerOpen") == [{"phone_number_id": "pA"}]
        assert instances(body, "firing", "TasklaneNumberPausedAuth") == [
            {"phone_number_id": "pC", "code": "190"}
        ]
        assert instances(body, "firing", "TasklaneNumberPaused") == [
            {"phone_number_id": "pD", "code": "none"}
        ]
        assert instances(body, "firing", "TasklaneOutboxStale") == [{"service": "sender"}]
        assert instances(body, "firing", "TasklaneOutboxStuck") == [{"service": "sender"}]
        # info alerts are shown, never told.
        assert webhook.of("TasklaneNumberPaused") == []
        assert webhook.of("TasklaneNumberPausedAuth", phone_number_id="pC") == ["FIRING"]

        # The breaker closes: resolved, and told so once.
        await heartbeat(
            runtime, "sender", "sender-test-1", reports={"breakers": {"pA": "closed"}, "numbers": []}
        )
        await eventually(
            lambda: _told(webhook, "TasklaneBreakerOpen", ["FIRING", "RESOLVED"], phone_number_id="pA")
        )
        # Several more rounds of both evaluators tell nothing more.
        await asyncio.sleep(1.5)
        assert webhook.of("TasklaneBreakerOpen", phone_number_id="pA") == ["FIRING", "RESOLVED"]
        assert webhook.of("TasklaneNumberPausedAuth", phone_number_id="pC") == ["FIRING", "RESOLVED"]
        body = await listed(analytics)
        assert instances(body, "resolved", "TasklaneBreakerOpen") == [{"phone_number_id": "pA"}]
        assert not instances(body, "firing", "TasklaneBreakerOpen")

        resolved = next(b for b in webhook.bodies if b["text"].startswith("[RESOLVED] TasklaneBreakerOpen"))
        assert resolved["blocks"][0]["type"] == "section"
        assert "breaker-open" in resolved["attachments"][0]["title_link"]
    finally:
        await second.stop()


async def _told(webhook: FakeWebhook, name: str, states: list[str], **labels: str) -> bool:
    return webhook.of(name, **labels) == states


async def test_dead_letters_fire_while_they_wait_and_pending_resolves_once_replayed(
    analytics: Analytics,
) -> None:
    runtime = analytics.runtime
    at = datetime.now(UTC)
    letter = DeadLetterChanged(
        service="agent",
        letter_id=41,
        queue="agent.inbound",
        event_id="e-41",
        event_type_name="message.received",
        reason="poison",
        headers={},
        trace_id=None,
        dead_at=at,
    )
    await _announce(runtime, letter)
    labels = {"service": "agent", "queue": "agent.inbound"}

    async def both() -> bool:
        body = await listed(analytics)
        return labels in instances(body, "firing", "TasklaneDeadLettersPending") and labels in instances(
            body, "firing", "TasklaneDeadLettersGrowing"
        )

    await eventually(both)
    body = await listed(analytics)
    assert all(x["service"] == "agent" for x in instances(body, "firing", "TasklaneDeadLettersPending"))
    await eventually(
        lambda: _told(analytics.webhook, "TasklaneDeadLettersGrowing", ["FIRING"], service="agent")
    )

    await _announce(runtime, letter.model_copy(update={"replayed_at": datetime.now(UTC), "replay_count": 1}))

    async def replayed() -> bool:
        body = await listed(analytics)
        return labels in instances(body, "resolved", "TasklaneDeadLettersPending")

    await eventually(replayed)
    # It died within the window: still growing.
    assert labels in instances(await listed(analytics), "firing", "TasklaneDeadLettersGrowing")


async def _announce(runtime: ServiceRuntime, letter: DeadLetterChanged) -> None:
    envelope = new_envelope(letter, producer=letter.service)
    await runtime.broker.publish(
        [OutgoingMessage(routing_key=envelope.type, body=envelope.to_bytes(), message_id=envelope.id)]
    )


async def test_the_console_page_shows_the_alerts_to_an_analyst(analytics: Analytics) -> None:
    client = analytics.client
    await eventually(lambda: _firing(analytics, "TasklaneQueueWithoutConsumers"))
    form = await client.get("/console/sign-in")
    csrf = re.search(r'name="csrf" value="([^"]+)"', form.text)
    assert csrf
    signed = await client.post("/console/sign-in", data={"key": KEYS[Role.ANALYST], "csrf": csrf.group(1)})
    assert signed.status_code == 303
    page = await client.get("/console/alerts")
    assert page.status_code == 200
    assert 'href="/console/alerts"' in page.text  # in the navigation
    assert 'data-testid="alert-TasklaneQueueWithoutConsumers"' in page.text
    assert "severity-warning" in page.text
    assert "docs/metrics.md#queue-without-consumers" in page.text
    assert "<button" not in page.text.split("<main>", 1)[1]  # nothing to act on
    table = await client.get("/console/alerts/table")
    assert table.status_code == 200
    assert "queue=agent.inbound" in table.text
    overview = await client.get("/console/overview")
    assert 'data-testid="firing-alerts"' in overview.text


async def _firing(a: Analytics, name: str) -> bool:
    return bool(instances(await listed(a), "firing", name))


def _alert(name: str, state: str = "firing") -> Alert:
    now = datetime.now(UTC)
    return Alert(
        fingerprint="f",
        name=name,
        severity=RULES[name].severity,
        state=state,  # type: ignore[arg-type]
        labels={"queue": "agent.inbound"},
        value=None,
        detail="3 message(s) waiting",
        first_seen=now,
        firing_since=now,
        resolved_at=now if state == "resolved" else None,
        notified_at=None,
    )


def test_the_slack_body_names_the_alert_its_severity_labels_and_runbook() -> None:
    body = slack_body(_alert("TasklaneQueueWithoutConsumers"))
    assert body["text"].startswith("[FIRING] TasklaneQueueWithoutConsumers (warning)")
    assert "queue=agent.inbound" in body["text"]
    section = body["blocks"][0]["text"]["text"]
    assert RULES["TasklaneQueueWithoutConsumers"].runbook in section
    assert body["attachments"][0]["title_link"] == RULES["TasklaneQueueWithoutConsumers"].runbook_url
    assert slack_body(_alert("TasklaneBreakerOpen", "resolved"))["text"].startswith("[RESOLVED]")
    assert {r.severity for r in RULES.values()} == set(Severity)


async def test_a_failing_webhook_is_retried_and_its_failure_never_names_the_url() -> None:
    webhook = FakeWebhook(status=503)
    await webhook.start()
    url = webhook.url
    try:
        notifier = WebhookNotifier(
            AlertSettings(webhook_url=SecretStr(webhook.url), webhook_attempts=2, webhook_timeout_s=2)
        )
        with pytest.raises(DeliveryError) as failed:
            await notifier.send(_alert("TasklaneBreakerOpen"))
        assert "503" in str(failed.value)
        assert TOKEN not in str(failed.value)
        await notifier.close()
        webhook.status = 403
        notifier = WebhookNotifier(AlertSettings(webhook_url=SecretStr(webhook.url), webhook_attempts=3))
        with pytest.raises(DeliveryError) as refused:
            await notifier.send(_alert("TasklaneBreakerOpen"))
        assert "403" in str(refused.value)
        assert TOKEN not in str(refused.value)
        await notifier.close()
    finally:
        await webhook.close()
    # Nobody listens there any more: unreachable, still without the URL.
    notifier = WebhookNotifier(AlertSettings(webhook_url=SecretStr(url), webhook_attempts=1))
    with pytest.raises(DeliveryError) as unreachable:
        await notifier.send(_alert("TasklaneBreakerOpen"))
    assert TOKEN not in str(unreachable.value)
    await notifier.close()


def test_hold_overrides_name_known_alerts() -> None:
    with pytest.raises(ValueError, match="TasklaneNope"):
        AlertSettings(hold_s={"TasklaneNope": 1})
    assert AlertSettings(hold_s={"*": 0}).hold_of(RULES["TasklaneBreakerOpen"]) == 0
    assert AlertSettings().hold_of(RULES["TasklaneBreakerOpen"]) == 300
