"""The embedded mode (SQLite, in-process transport) keeps the same figures: the JSON variant of
the payload, the upserts with RETURNING and the bucket queries work there too."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from pydantic import SecretStr

from tasklane_analytics.app import create_app
from tasklane_analytics.settings import AnalyticsSettings
from tasklane_common.auth import hash_key, new_key
from tasklane_common.messaging import new_envelope
from tasklane_common.messaging.contracts.agent import TaskCreated
from tasklane_common.messaging.contracts.gateway import MessageReceived, StatusReceived
from tasklane_common.messaging.contracts.sender import MessageSent
from tasklane_common.settings import ApiKey, AuthSettings, Role
from tasklane_common.testing import memory_settings, running

KEY = new_key()
T0 = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(days=1)


async def test_the_embedded_mode_counts_the_same_figures(tmp_path: Path) -> None:
    auth = AuthSettings(api_keys=[ApiKey(name="a", role=Role.OPERATOR, sha256=hash_key(KEY))])
    settings = memory_settings(
        AnalyticsSettings, f"emb-{tmp_path.name}", str(tmp_path / "a.db"), auth=auth,
        pseudonym_key=SecretStr("embedded-test-key-16"),
    )  # fmt: skip
    app = create_app(settings)
    events = []
    for i in range(6):
        at = T0 + timedelta(minutes=25 * i)
        received = new_envelope(
            MessageReceived(wamid=f"w{i}", phone_number_id="1065", user_id=f"u{i % 2}", message_type="text",
                            text="bonjour\x00", sent_at=at, received_at=at),
            producer="gateway", occurred_at=at,
        )  # fmt: skip
        sent = MessageSent(
            reply_id=f"r{i}", wamid=f"o{i}", phone_number_id="1065", to="u", at=at + timedelta(seconds=2)
        )
        status = StatusReceived(wamid=f"o{i}", status="sent", phone_number_id="1065", status_at=at,
                                pricing={"category": "service"})  # fmt: skip
        events += [
            received,
            new_envelope(sent, producer="sender", correlation_id=received.id, occurred_at=at),
            new_envelope(status, producer="gateway", occurred_at=at),
        ]
    events.append(
        new_envelope(TaskCreated(task_id="t", user_id="u0", title="x", due_at=T0, due_has_time=True),
                     producer="agent", occurred_at=T0 - timedelta(hours=1))
    )  # fmt: skip
    async with running(app):
        runtime = app.state.runtime
        await runtime.publish(events + events[:5])
        consumer = runtime.consumers[0]
        for _ in range(200):
            if consumer.handled + consumer.duplicates >= len(events) + 5:
                break
            await asyncio.sleep(0.05)
        await app.state.overdue_sweep.sweep()
        transport = httpx.ASGITransport(app=app)
        headers = {"Authorization": f"Bearer {KEY}"}
        async with httpx.AsyncClient(transport=transport, base_url="http://a", headers=headers) as client:
            window = {
                "from": (T0 - timedelta(hours=2)).isoformat(),
                "to": (T0 + timedelta(hours=4)).isoformat(),
            }
            summary = (await client.get("/api/v1/analytics/summary", params=window)).json()
            days = (
                await client.get(
                    "/api/v1/analytics/series",
                    params={
                        "metric": "unique_users",
                        "granularity": "day",
                        "zone": "Europe/Madrid",
                        **window,
                    },
                )
            ).json()
            recomputed = await client.post("/api/v1/analytics/recompute", json=window)
            again = (await client.get("/api/v1/analytics/summary", params=window)).json()
    assert summary["messages_received"] == 6
    assert summary["messages_sent"] == 6
    assert summary["unique_users"] == 2
    assert summary["responses"] == 6
    assert summary["avg_response_time_ms"] == 2000.0
    assert summary["pricing_categories"] == {"service": 6}
    assert summary["tasks_overdue"] == 1
    assert sum(p["value"] for p in days["lines"][0]["points"]) >= 2
    assert recomputed.status_code == 200, recomputed.text
    assert {k: v for k, v in again.items() if k != "events_by_type"} == {
        k: v for k, v in summary.items() if k != "events_by_type"
    }
