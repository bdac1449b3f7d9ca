"""Analysts' view: every event counted once, the summary over a window, access by role."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from tasklane_analytics.app import create_app
from tasklane_analytics.settings import AnalyticsSettings
from tasklane_common.auth import hash_key, new_key
from tasklane_common.messaging import Envelope, new_envelope
from tasklane_common.messaging.contracts.gateway import MessageReceived
from tasklane_common.messaging.contracts.sender import MessageDelivered, MessageFailed, MessageSent
from tasklane_common.settings import ApiKey, AuthSettings, Role
from tasklane_common.testing import cleanup_run, new_run_id, real_settings, running

KEYS = {role: new_key() for role in Role}
T0 = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
async def analytics() -> AsyncIterator[tuple[httpx.AsyncClient, object]]:
    rid = new_run_id()
    auth = AuthSettings(api_keys=[ApiKey(name=r, role=r, sha256=hash_key(k)) for r, k in KEYS.items()])
    app = create_app(real_settings(AnalyticsSettings, rid, "analytics", auth=auth))
    try:
        async with running(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://analytics") as client:
                yield client, app.state.runtime
    finally:
        await cleanup_run(rid)


def _turn(i: int, *, failed: bool = False) -> list[Envelope]:
    """One conversation turn: a message received at T0+i min, answered 250 ms later."""
    at = T0 + timedelta(minutes=i)
    received = new_envelope(
        MessageReceived(
            wamid=f"w{i}",
            phone_number_id="p",
            user_id="u",
            message_type="text",
            text="hi",
            sent_at=at,
            received_at=at,
        ),
        producer="gateway",
        occurred_at=at,
    )
    common = {"reply_id": f"r{i}", "wamid": f"out{i}", "phone_number_id": "p", "to": "155500"}
    reply_at = at + timedelta(milliseconds=250)
    if failed:
        outcome = MessageFailed(**common, at=reply_at, reason="boom", error_code=131026)
        return [
            received,
            new_envelope(outcome, producer="sender", correlation_id=received.id, occurred_at=reply_at),
        ]
    sent = new_envelope(
        MessageSent(**common, at=reply_at),
        producer="sender",
        correlation_id=received.id,
        occurred_at=reply_at,
    )
    delivered = new_envelope(
        MessageDelivered(**common, at=reply_at),
        producer="sender",
        correlation_id=received.id,
        occurred_at=reply_at + timedelta(seconds=1),
    )
    return [received, sent, delivered]


async def _summary(client: httpx.AsyncClient, **params: str) -> dict[str, object]:
    response = await client.get(
        "/api/v1/analytics/summary", params=params, headers={"Authorization": f"Bearer {KEYS[Role.ANALYST]}"}
    )
    assert response.status_code == 200, response.text
    return dict(response.json())


async def test_summary_counts_each_event_once_within_the_window(
    analytics: tuple[httpx.AsyncClient, object],
) -> None:
    client, runtime = analytics
    events = _turn(0) + _turn(1) + _turn(2, failed=True)
    await runtime.publish(events)  # type: ignore[attr-defined]
    await runtime.publish(events)  # type: ignore[attr-defined]  # redelivered: changes nothing
    window = {"from": (T0 - timedelta(hours=1)).isoformat(), "to": (T0 + timedelta(hours=1)).isoformat()}
    for _ in range(100):
        summary = await _summary(client, **window)
        if summary["messages_received"] == 3 and summary["messages_failed"] == 1:
            break
        await asyncio.sleep(0.05)
    await asyncio.sleep(0.3)
    summary = await _summary(client, **window)
    assert summary["messages_received"] == 3
    assert summary["messages_sent"] == 2
    assert summary["messages_delivered"] == 2
    assert summary["messages_failed"] == 1
    assert summary["avg_response_time_ms"] == 250.0

    later = {"from": (T0 + timedelta(hours=1)).isoformat(), "to": (T0 + timedelta(hours=2)).isoformat()}
    assert (await _summary(client, **later))["messages_received"] == 0
    assert (await _summary(client, **later))["previous"]["messages_received"] == 3


async def test_a_backwards_window_is_a_clear_error(analytics: tuple[httpx.AsyncClient, object]) -> None:
    client, _ = analytics
    response = await client.get(
        "/api/v1/analytics/summary",
        params={"from": T0.isoformat(), "to": (T0 - timedelta(days=1)).isoformat()},
        headers={"Authorization": f"Bearer {KEYS[Role.ANALYST]}"},
    )
    assert response.status_code == 422


@pytest.mark.parametrize(("key", "status"), [(None, 401), ("tl_wrong", 401)] + [(r, 200) for r in Role])
async def test_the_analytics_api_needs_an_analyst_operator_or_admin_key(
    analytics: tuple[httpx.AsyncClient, object], key: Role | str | None, status: int
) -> None:
    client, _ = analytics
    token = KEYS[key] if isinstance(key, Role) else key
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    response = await client.get("/api/v1/analytics/summary", headers=headers)
    assert response.status_code == status
