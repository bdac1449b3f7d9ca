"""Operators' view from analytics alone (real RabbitMQ and PostgreSQL): the workers of the
services that heartbeat, the system health (public: a status only; details: with a key), the
audit trail fed by every service's events, the dead-letter read model, and who may steer."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from tasklane_analytics.app import create_app
from tasklane_analytics.settings import AnalyticsSettings
from tasklane_common.auth import hash_key, new_key
from tasklane_common.messaging import new_envelope
from tasklane_common.messaging.broker import OutgoingMessage
from tasklane_common.messaging.contracts.runtime import AuditRecorded, DeadLetterChanged
from tasklane_common.runtime import ServiceRuntime
from tasklane_common.settings import ApiKey, AuthSettings, Role
from tasklane_common.testing import cleanup_run, eventually, new_run_id, real_settings, running

KEYS = {role: new_key() for role in Role}
HEADERS = {role: {"Authorization": f"Bearer {key}"} for role, key in KEYS.items()}
PREFIX = "/api/v1/analytics"


@pytest.fixture(scope="module")
async def analytics() -> AsyncIterator[tuple[httpx.AsyncClient, ServiceRuntime]]:
    rid = new_run_id()
    auth = AuthSettings(
        api_keys=[ApiKey(name=f"{r}-key", role=r, sha256=hash_key(k)) for r, k in KEYS.items()]
    )
    app = create_app(real_settings(AnalyticsSettings, rid, "analytics", auth=auth, control_interval_s=0.2))
    try:
        async with running(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://analytics") as client:
                yield client, app.state.runtime
    finally:
        await cleanup_run(rid)


async def _worker(client: httpx.AsyncClient, queue: str) -> dict[str, Any]:
    items = (await client.get(f"{PREFIX}/workers", headers=HEADERS[Role.ANALYST])).json()["items"]
    return next(w for w in items if w["queue"] == queue)


async def test_the_public_health_says_only_a_status_and_the_details_need_a_key(
    analytics: tuple[httpx.AsyncClient, ServiceRuntime],
) -> None:
    client, _ = analytics
    public = await client.get(f"{PREFIX}/health")
    assert public.status_code == 200
    assert set(public.json()) == {"status", "timestamp"}
    # Only analytics runs here: the other services have no replica, so the system is unhealthy.
    assert public.json()["status"] == "unhealthy"
    assert (await client.get(f"{PREFIX}/health/details")).status_code == 401

    async def detailed() -> dict[str, Any] | None:
        body = (await client.get(f"{PREFIX}/health/details", headers=HEADERS[Role.ANALYST])).json()
        return body if body["services"]["analytics"]["ready"] == 1 else None

    details = await eventually(detailed)
    checks = details["checks"]
    assert set(checks) >= {"database", "circuitBreakers", "cache", "messageQueue", "errorRate"}
    assert set(checks["circuitBreakers"]) == {"whatsappApi", "aiProcessing"}
    assert {"size", "processing"} <= set(checks["messageQueue"])
    assert checks["database"]["status"] == "up"
    assert "gateway: no ready replica" in details["problems"]
    assert details["uptime"] >= 0


async def test_an_operator_pauses_and_resumes_a_queue_and_an_analyst_may_not(
    analytics: tuple[httpx.AsyncClient, ServiceRuntime],
) -> None:
    client, runtime = analytics
    await eventually(lambda: _consuming(client, "analytics.events", 1))
    body = {"service": "analytics", "queue": "analytics.events", "action": "pause"}

    assert (await client.post(f"{PREFIX}/workers", json=body)).status_code == 401
    assert (
        await client.post(f"{PREFIX}/workers", json=body, headers=HEADERS[Role.ANALYST])
    ).status_code == 403
    mismatched = {**body, "queue": "agent.inbound"}
    assert (
        await client.post(f"{PREFIX}/workers", json=mismatched, headers=HEADERS[Role.OPERATOR])
    ).status_code == 422
    nobody = {"service": "agent", "queue": "agent.inbound", "action": "pause"}
    refused = await client.post(f"{PREFIX}/workers", json=nobody, headers=HEADERS[Role.OPERATOR])
    assert refused.status_code == 409  # no agent replica would hear it

    paused = await client.post(f"{PREFIX}/workers", json=body, headers=HEADERS[Role.OPERATOR])
    assert paused.status_code == 202, paused.text
    assert paused.json()["replicas"] == [runtime.control.replica]
    await eventually(lambda: _consuming(client, "analytics.events", 0))
    worker = await _worker(client, "analytics.events")
    assert worker["paused"] is True
    assert worker["broker_consumers"] == 0  # cancelled: it holds no prefetch
    # The seed's path answers the same view.
    seed = await client.get("/api/workers/whatsapp", headers=HEADERS[Role.ANALYST])
    assert [w["queue"] for w in seed.json()["items"]] == [
        w["queue"]
        for w in (await client.get(f"{PREFIX}/workers", headers=HEADERS[Role.ANALYST])).json()["items"]
    ]

    resumed = await client.post(
        "/api/workers/whatsapp", json={**body, "action": "resume"}, headers=HEADERS[Role.ADMIN]
    )
    assert resumed.status_code == 202
    await eventually(lambda: _consuming(client, "analytics.events", 1))

    async def trail() -> list[tuple[str, str, str]] | None:
        page = (await client.get(f"{PREFIX}/audit", headers=HEADERS[Role.ANALYST])).json()
        found = [(e["service"], e["action"], e["outcome"]) for e in page["items"]]
        return found if ("analytics", "queue.resume", "ok") in found else None

    found = await eventually(trail)
    assert ("analytics", "command.pause", "sent") in found
    assert ("analytics", "command.pause", "error 409") in found
    assert ("analytics", "queue.pause", "ok") in found
    assert any(outcome == "forbidden" for _, _, outcome in found)


async def _consuming(client: httpx.AsyncClient, queue: str, n: int) -> bool:
    worker = await _worker(client, queue)
    return bool(worker["replicas"] == 1 and worker["consuming"] == n)


async def test_every_services_audit_rows_and_dead_letters_land_in_the_read_models(
    analytics: tuple[httpx.AsyncClient, ServiceRuntime],
) -> None:
    client, runtime = analytics
    at = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
    audit = new_envelope(
        AuditRecorded(
            service="gateway",
            at=at,
            actor="alice",
            role="admin",
            action="integration.create",
            target_type="integration",
            target_id="106540352242922",
            outcome="ok",
            source="10.0.0.7",
        ),
        producer="gateway",
    )
    letter = DeadLetterChanged(
        service="sender",
        letter_id=7,
        queue="sender.replies",
        event_id="e-7",
        event_type_name="reply.requested",
        reason="reply r-7: no message kind",
        headers={"traceparent": "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"},
        trace_id="0af7651916cd43dd8448eb211c80319c",
        dead_at=at,
    )
    captured = new_envelope(letter, producer="sender")
    # A user's number as a target: analytics keeps no phone number in clear.
    personal = new_envelope(
        AuditRecorded(
            service="gateway",
            at=at,
            actor="bob",
            action="mapping.update",
            target_type="mapping",
            target_id="5511999990001",
            outcome="ok",
            details={"changes": {"wa_id": "5511999990001"}},
        ),
        producer="gateway",
    )
    # Delivered twice (a relay republishing after a crash): recorded once.
    messages = [audit, audit, captured, captured, personal]
    await runtime.broker.publish(
        [OutgoingMessage(routing_key=e.type, body=e.to_bytes(), message_id=e.id) for e in messages]
    )

    async def audited() -> list[dict[str, Any]] | None:
        page = (
            await client.get(f"{PREFIX}/audit", params={"service": "gateway"}, headers=HEADERS[Role.ANALYST])
        ).json()
        return page["items"] or None

    rows = await eventually(lambda: _at_least_rows(audited(), 2))
    assert len(rows) == 2
    alice = next(r for r in rows if r["actor"] == "alice")
    assert (alice["source"], alice["at"], alice["target_id"]) == (
        "10.0.0.7",
        at.isoformat(),
        "106540352242922",
    )
    bob = next(r for r in rows if r["actor"] == "bob")
    assert "5511999990001" not in str(bob)
    assert bob["target_id"] == "551****01"
    by_actor = await client.get(f"{PREFIX}/audit", params={"actor": "nobody"}, headers=HEADERS[Role.ANALYST])
    assert by_actor.json()["total"] == 0

    async def letters() -> list[dict[str, Any]] | None:
        page = (
            await client.get(
                f"{PREFIX}/system/dead-letters", params={"service": "sender"}, headers=HEADERS[Role.ANALYST]
            )
        ).json()
        return page["items"] or None

    found = await eventually(letters)
    assert [(f["letter_id"], f["reason"], f["replayable"]) for f in found] == [
        (7, "reply r-7: no message kind", True)
    ]
    detail = (
        await client.get(f"{PREFIX}/system/dead-letters/sender/7", headers=HEADERS[Role.ANALYST])
    ).json()
    assert detail["trace_id"] == "0af7651916cd43dd8448eb211c80319c"
    assert detail["body_at"] == "/api/v1/sender/dead-letters/7"
    assert (
        await client.get(f"{PREFIX}/system/dead-letters/sender/8", headers=HEADERS[Role.ANALYST])
    ).status_code == 404

    dry = await client.post(
        f"{PREFIX}/system/dead-letters/replay",
        json={"service": "sender", "dry_run": True},
        headers=HEADERS[Role.OPERATOR],
    )
    assert [w["letter_id"] for w in dry.json()["would_replay"]] == [7]
    assert (
        await client.post(
            f"{PREFIX}/system/dead-letters/replay", json={"service": "sender"}, headers=HEADERS[Role.ANALYST]
        )
    ).status_code == 403
    # No sender replica runs here: the replay command would reach no one.
    no_sender = await client.post(
        f"{PREFIX}/system/dead-letters/replay", json={"service": "sender"}, headers=HEADERS[Role.OPERATOR]
    )
    assert no_sender.status_code == 409

    # A later state replaces the earlier one; an older announcement arriving late does not.
    replayed = new_envelope(
        letter.model_copy(update={"replayed_at": at, "replay_count": 1}), producer="sender"
    )
    await runtime.broker.publish(
        [OutgoingMessage(routing_key=e.type, body=e.to_bytes(), message_id=e.id) for e in (replayed,)]
    )

    async def marked() -> bool:
        found = (
            await client.get(f"{PREFIX}/system/dead-letters/sender/7", headers=HEADERS[Role.ANALYST])
        ).json()
        return found["replay_count"] == 1

    await eventually(marked)
    before = (await _worker(client, "analytics.operations"))["processed"]
    stale = captured.model_copy(update={"id": "another-copy"})
    await runtime.broker.publish(
        [OutgoingMessage(routing_key=stale.type, body=stale.to_bytes(), message_id=stale.id)]
    )
    await eventually(lambda: _processed_at_least(client, before + 1))
    after = (await client.get(f"{PREFIX}/system/dead-letters/sender/7", headers=HEADERS[Role.ANALYST])).json()
    assert after["replay_count"] == 1
    assert after["replayable"] is False


async def _at_least_rows(rows: Awaitable[list[Any] | None], n: int) -> list[Any] | None:
    found = await rows
    return found if found is not None and len(found) >= n else None


async def _processed_at_least(client: httpx.AsyncClient, n: int) -> bool:
    worker = await _worker(client, "analytics.operations")
    return bool(worker["processed"] >= n)


async def test_without_a_queue_a_pause_drains_every_queue_of_the_service(
    analytics: tuple[httpx.AsyncClient, ServiceRuntime],
) -> None:
    client, _ = analytics
    queues = ("analytics.events", "analytics.operations")
    for queue in queues:
        await eventually(lambda q=queue: _consuming(client, q, 1))
    drain = {"service": "analytics", "action": "pause"}
    assert (
        await client.post(f"{PREFIX}/workers", json=drain, headers=HEADERS[Role.OPERATOR])
    ).status_code == 202
    for queue in queues:
        await eventually(lambda q=queue: _consuming(client, q, 0))
    resume = {**drain, "action": "resume"}
    assert (
        await client.post(f"{PREFIX}/workers", json=resume, headers=HEADERS[Role.OPERATOR])
    ).status_code == 202
    for queue in queues:
        await eventually(lambda q=queue: _consuming(client, q, 1))
