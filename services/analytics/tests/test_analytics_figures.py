"""The figures API around the rollups: a recompute rebuilds lost figures from the raw log (and a
second one changes nothing), tasks left open past their deadline count as overdue once, a CSV
export holds exactly a chart's points, a bucket of failures drills down to its messages, and bad
requests are clear 4xx."""

from __future__ import annotations

import asyncio
import csv
import io
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from opentelemetry import trace
from pydantic import SecretStr
from sqlalchemy import delete

from tasklane_analytics.app import create_app
from tasklane_analytics.rollups.tables import rollups
from tasklane_analytics.settings import AnalyticsSettings
from tasklane_common.auth import hash_key, new_key
from tasklane_common.messaging import Envelope, new_envelope
from tasklane_common.messaging.contracts.agent import TaskCreated
from tasklane_common.messaging.contracts.gateway import MessageReceived
from tasklane_common.messaging.contracts.sender import MessageFailed, MessageSent
from tasklane_common.settings import ApiKey, AuthSettings, Role
from tasklane_common.testing import cleanup_run, new_run_id, real_settings, running

KEYS = {role: new_key() for role in Role}
# Recent enough for the raw log to hold it (a recompute needs it).
T0 = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(days=2)
NUMBER = "106540000009"


def _auth(role: Role) -> dict[str, str]:
    return {"Authorization": f"Bearer {KEYS[role]}"}


@pytest.fixture(scope="module")
async def analytics() -> AsyncIterator[tuple[httpx.AsyncClient, Any]]:
    rid = new_run_id()
    auth = AuthSettings(api_keys=[ApiKey(name=r, role=r, sha256=hash_key(k)) for r, k in KEYS.items()])
    settings = real_settings(
        AnalyticsSettings, rid, "analytics", auth=auth, pseudonym_key=SecretStr("x" * 20)
    )
    app = create_app(settings)
    try:
        async with running(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(
                transport=transport, base_url="http://a", headers=_auth(Role.ANALYST)
            ) as c:
                yield c, app
    finally:
        await cleanup_run(rid)


def _traffic() -> list[Envelope]:
    out: list[Envelope] = []
    for i in range(12):
        at = T0 + timedelta(minutes=17 * i)
        received = new_envelope(
            MessageReceived(
                wamid=f"w{i}", phone_number_id=NUMBER, user_id=f"u{i % 4}", message_type="text",
                text="hello", sent_at=at, received_at=at,
            ),
            producer="gateway", occurred_at=at,
        )  # fmt: skip
        out.append(received)
        common: dict[str, Any] = {"reply_id": f"r{i}", "phone_number_id": NUMBER, "to": f"u{i % 4}"}
        reply_at = at + timedelta(seconds=i + 1)
        if i % 4 == 3:
            failed = MessageFailed(
                **common, at=reply_at, error_code=131047 if i != 11 else None, reason="re-engage"
            )
            out.append(
                new_envelope(failed, producer="sender", correlation_id=received.id, occurred_at=reply_at)
            )
        else:
            sent = MessageSent(**common, wamid=f"o{i}", at=reply_at, kind="text")
            out.append(
                new_envelope(sent, producer="sender", correlation_id=received.id, occurred_at=reply_at)
            )
    return out


async def _settled(app: Any, count: int) -> None:
    consumer = app.state.runtime.consumers[0]
    for _ in range(400):
        if consumer.handled + consumer.duplicates >= count:
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the consumer did not take the events")


@pytest.fixture(scope="module")
async def traffic(analytics: tuple[httpx.AsyncClient, Any]) -> list[Envelope]:
    _, app = analytics
    events = _traffic()
    # In a span: the events travel with a trace, which the failures' drill-down shows.
    with trace.get_tracer("test").start_as_current_span("traffic"):
        await app.state.runtime.publish(events)
    await _settled(app, len(events))
    return events


SERIES = {"granularity": "hour", "from": T0.isoformat(), "to": (T0 + timedelta(hours=5)).isoformat()}


async def _series(client: httpx.AsyncClient, metric: str) -> dict[str, Any]:
    response = await client.get("/api/v1/analytics/series", params={"metric": metric, **SERIES})
    assert response.status_code == 200, response.text
    return dict(response.json())


async def test_a_recompute_rebuilds_lost_rollups_and_a_second_changes_nothing(
    analytics: tuple[httpx.AsyncClient, Any], traffic: list[Envelope]
) -> None:
    client, app = analytics
    metrics = ("received", "sent", "failed", "unique_users", "response_avg_ms", "response_p50_ms")
    before = {m: await _series(client, m) for m in metrics}
    assert sum(p["value"] for p in before["received"]["lines"][0]["points"]) == 12
    async with app.state.runtime.db.transaction() as session:
        await session.execute(delete(rollups))  # the figures are lost
    assert sum(p["value"] for p in (await _series(client, "received"))["lines"][0]["points"]) == 0

    span = {"from": T0.isoformat(), "to": (T0 + timedelta(hours=5)).isoformat()}
    refused = await client.post("/api/v1/analytics/recompute", json=span)
    assert refused.status_code == 403  # an analyst reads; an operator recomputes
    done = await client.post("/api/v1/analytics/recompute", json=span, headers=_auth(Role.OPERATOR))
    assert done.status_code == 200, done.text
    assert done.json()["events"] == len(traffic)
    assert {m: await _series(client, m) for m in metrics} == before
    again = await client.post("/api/v1/analytics/recompute", json=span, headers=_auth(Role.OPERATOR))
    assert again.status_code == 200
    assert {m: await _series(client, m) for m in metrics} == before


async def test_a_recompute_before_the_raw_logs_retention_is_refused(
    analytics: tuple[httpx.AsyncClient, Any],
) -> None:
    client, _ = analytics
    old = datetime.now(UTC) - timedelta(days=45)
    span = {"from": old.isoformat(), "to": (old + timedelta(days=1)).isoformat()}
    response = await client.post("/api/v1/analytics/recompute", json=span, headers=_auth(Role.ADMIN))
    assert response.status_code == 422
    assert "keeps 30 days" in response.json()["detail"]


async def test_a_csv_export_holds_exactly_the_points_of_the_chart(
    analytics: tuple[httpx.AsyncClient, Any], traffic: list[Envelope]
) -> None:
    client, _ = analytics
    chart = await _series(client, "received")
    response = await client.get(
        "/api/v1/analytics/series", params={"metric": "received", "format": "csv", **SERIES}
    )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    points = chart["lines"][0]["points"]
    assert [(r["start"], r["end"], r["value"]) for r in rows] == [
        (p["start"], p["end"], str(p["value"])) for p in points
    ]


async def test_a_bucket_of_failures_drills_down_to_its_messages(
    analytics: tuple[httpx.AsyncClient, Any], traffic: list[Envelope]
) -> None:
    client, _ = analytics
    window = {"from": T0.isoformat(), "to": (T0 + timedelta(hours=5)).isoformat()}
    page = (await client.get("/api/v1/analytics/failures", params=window)).json()
    assert page["total"] == 3
    coded = (await client.get("/api/v1/analytics/failures", params={**window, "error_code": "131047"})).json()
    assert coded["total"] == 2
    assert {f["reason"] for f in coded["items"]} == {"re-engage"}
    assert all(f["trace_id"] and len(f["trace_id"]) == 32 for f in coded["items"])
    bare = (await client.get("/api/v1/analytics/failures", params={**window, "error_code": "none"})).json()
    assert bare["total"] == 1
    assert bare["items"][0]["reply_id"] == "r11"
    summary = (await client.get("/api/v1/analytics/summary", params=window)).json()
    assert summary["failed_by_error_code"] == {"131047": 2, "none": 1}


async def test_a_task_left_open_past_its_deadline_counts_as_overdue_once(
    analytics: tuple[httpx.AsyncClient, Any],
) -> None:
    client, app = analytics
    due = T0 + timedelta(hours=3, minutes=30)
    created = new_envelope(
        TaskCreated(task_id="late-1", user_id="u1", title="x", due_at=due, due_has_time=True),
        producer="agent",
        occurred_at=T0 + timedelta(hours=1),
    )
    consumer = app.state.runtime.consumers[0]
    seen = consumer.handled + consumer.duplicates
    await app.state.runtime.publish([created])
    await _settled(app, seen + 1)
    await app.state.overdue_sweep.sweep()
    await app.state.overdue_sweep.sweep()
    points = (await _series(client, "tasks_overdue"))["lines"][0]["points"]
    assert [p["value"] for p in points if p["value"]] == [1]
    overdue_hour = next(p for p in points if p["value"])
    assert datetime.fromisoformat(overdue_hour["start"]) == T0 + timedelta(hours=3)


@pytest.mark.parametrize(
    "params",
    [
        {"metric": "received", "zone": "Mars/Olympus"},
        {"metric": "received", "from": "2026-11-02T00:00:00Z", "to": "2026-11-01T00:00:00Z"},
        {"metric": "nonsense"},
        {"metric": "received", "group_by": "user"},
        {
            "metric": "received",
            "granularity": "hour",
            "from": "2001-01-01T00:00:00Z",
            "to": "2003-12-01T00:00:00Z",
        },
        {"metric": "received", "from": "1900-01-01T00:00:00Z"},
    ],
)
async def test_a_bad_series_request_is_a_clear_422(
    analytics: tuple[httpx.AsyncClient, Any], params: dict[str, str]
) -> None:
    client, _ = analytics
    response = await client.get("/api/v1/analytics/series", params=params)
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")


async def test_the_numbers_overview_gives_each_number_its_figures(
    analytics: tuple[httpx.AsyncClient, Any], traffic: list[Envelope]
) -> None:
    client, _ = analytics
    window = {"from": T0.isoformat(), "to": (T0 + timedelta(hours=5)).isoformat()}
    page = (await client.get("/api/v1/analytics/numbers", params=window)).json()
    assert set(page) == {"items", "total", "limit", "offset"}
    mine = next(n for n in page["items"] if n["phone_number_id"] == NUMBER)
    assert (mine["messages_received"], mine["messages_sent"], mine["messages_failed"]) == (12, 9, 3)
    assert mine["unique_users"] == 4


async def test_the_summary_says_how_the_period_changed_against_the_one_before(
    analytics: tuple[httpx.AsyncClient, Any], traffic: list[Envelope]
) -> None:
    client, _ = analytics
    # The traffic spans T0 .. T0+3h07: the first two hours against the two hours before T0.
    window = {"from": T0.isoformat(), "to": (T0 + timedelta(hours=2)).isoformat()}
    summary = (await client.get("/api/v1/analytics/summary", params=window)).json()
    assert summary["previous"]["messages_received"] == 0
    assert summary["delta"]["messages_received"] == {
        "absolute": summary["messages_received"],
        "relative": None,
    }
    later = {"from": (T0 + timedelta(hours=2)).isoformat(), "to": (T0 + timedelta(hours=4)).isoformat()}
    after = (await client.get("/api/v1/analytics/summary", params=later)).json()
    now, before = after["messages_received"], after["previous"]["messages_received"]
    assert before == summary["messages_received"]
    assert now + before == 12
    assert after["delta"]["messages_received"]["relative"] == round((now - before) / before, 6)
