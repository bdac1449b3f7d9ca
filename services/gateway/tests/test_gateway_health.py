"""The gateway's health: GET /api/v1/gateway/health (analyst key) in the HealthStatus shape, what
degrades it, what makes it unhealthy (503); GET /api/webhooks/whatsapp/health, with no key, says
the status only and shows no count, rate or secret."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest
from gateway_admin_harness import AUTH, admin_gateway, auth, post_signed, text_webhook
from gateway_harness import APP_SECRET, VERIFY_TOKEN, Gateway
from pydantic import SecretStr
from sqlalchemy.engine import make_url

from tasklane_common.secrets import SecretBox, generate_key
from tasklane_common.settings import DatabaseSettings, Role
from tasklane_common.testing import TcpProxy, database_url, real_settings
from tasklane_gateway.health import WebhookStats
from tasklane_gateway.settings import GatewaySettings

PUBLIC = "/api/webhooks/whatsapp/health"
HEALTH = "/api/v1/gateway/health"
# Nothing listens there: the Graph API is unreachable for this module's gateway.
UNREACHABLE_GRAPH = "http://127.0.0.1:9"


@pytest.fixture(scope="module")
async def gw(module_run_id: str) -> AsyncIterator[Gateway]:
    settings = real_settings(
        GatewaySettings,
        module_run_id,
        "gateway",
        app_secret=APP_SECRET,
        verify_token=VERIFY_TOKEN,
        auth=AUTH,
        graph_base_url=UNREACHABLE_GRAPH,
        request_timeout_s=2.0,
    )
    async with (
        httpx.AsyncClient() as graph,
        admin_gateway(settings, SecretBox.from_keys(generate_key()), graph) as g,
    ):
        yield g


async def test_a_running_gateway_is_healthy_with_every_check_reported(gw: Gateway) -> None:
    public = await gw.client.get(PUBLIC)  # no API key: load balancers and Meta call it
    assert public.status_code == 200
    assert public.json().keys() == {"status", "timestamp"}
    assert public.json()["status"] == "healthy"
    assert (await gw.client.get(HEALTH)).status_code == 401
    response = await gw.client.get(HEALTH, headers=auth(Role.ANALYST))

    assert response.status_code == 200
    report = response.json()
    assert report["status"] == "healthy", report
    assert report["uptime_seconds"] >= 0
    assert report["version"]
    assert report["timestamp"].endswith("+00:00")
    checks = report["checks"]
    assert set(checks) == {"database", "message_queue", "circuit_breakers", "cache", "error_rate"}
    assert all(c["status"] == "healthy" for c in checks.values()), checks
    assert checks["database"]["latency_ms"] >= 0
    assert checks["message_queue"]["connected"] is True
    assert checks["cache"]["integrations"]["loaded"] is True
    # Unauthenticated: counts only, no error text naming an app.
    assert checks["cache"]["integrations"]["unreadable_secrets"] == 0
    assert "last_error" not in checks["cache"]["integrations"]
    for secret in (APP_SECRET, VERIFY_TOKEN, UNREACHABLE_GRAPH):
        assert secret not in response.text


async def test_webhook_requests_are_counted_and_server_errors_degrade_health(gw: Gateway) -> None:
    before = (await gw.client.get(HEALTH, headers=auth(Role.ANALYST))).json()["checks"]["error_rate"]
    for i in range(3):
        await post_signed(gw, text_webhook("1234", f"wamid.health{i}"), "not-the-secret")  # 403s
    after = (await gw.client.get(HEALTH, headers=auth(Role.ANALYST))).json()["checks"]["error_rate"]
    assert after["requests"] == before["requests"] + 3
    assert after["errors"] == before["errors"]  # refusals of bad requests are not our errors

    # 5xx answers (503: the broker did not confirm, Meta will retry) are what the rate counts.
    stats: WebhookStats = gw.app.state.health.stats
    for _ in range(30):
        stats.record(503)
    report = (await gw.client.get(HEALTH, headers=auth(Role.ANALYST))).json()
    assert report["status"] == "degraded"
    assert report["checks"]["error_rate"]["status"] == "degraded"
    assert (
        await gw.client.get(HEALTH, headers=auth(Role.ANALYST))
    ).status_code == 200  # degraded still serves


def test_the_error_rate_covers_the_last_five_minutes_only() -> None:
    now = [1000.0]
    stats = WebhookStats(clock=lambda: now[0])
    for status in (200, 503, 503, 200):
        stats.record(status)
    assert stats.window() == (4, 2)
    now[0] += 200
    stats.record(200)
    assert stats.window() == (5, 2)
    now[0] += 150  # the first four are now older than 5 minutes
    assert stats.window() == (1, 0)


async def test_an_open_graph_api_breaker_degrades_health(gw: Gateway) -> None:
    app_id = "healthapp"
    await gw.client.post(
        "/api/v1/gateway/apps", json={"app_id": app_id, "name": "h"}, headers=auth(Role.ADMIN)
    )
    await gw.client.post(
        "/api/v1/gateway/numbers",
        json={"phone_number_id": "7000001", "app_id": app_id, "access_token": "EAAG-health"},
        headers=auth(Role.ADMIN),
    )
    results = []
    for _ in range(4):
        response = await gw.client.post(
            "/api/v1/gateway/numbers/7000001/test-connection", headers=auth(Role.OPERATOR)
        )
        results.append(response.json()["error"]["message"])

    assert all("unreachable" in r for r in results[:3]), results
    assert "circuit open" in results[3]
    report = (await gw.client.get(HEALTH, headers=auth(Role.ANALYST))).json()
    assert report["status"] == "degraded"
    assert report["checks"]["circuit_breakers"] == {"status": "degraded", "total": 1, "open": 1}


async def test_without_its_database_the_gateway_is_unhealthy_until_it_is_back(module_run_id: str) -> None:
    url = make_url(database_url())
    proxy = TcpProxy(url.host or "127.0.0.1", url.port or 5432)
    await proxy.start()
    through_proxy = url.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    settings = real_settings(GatewaySettings, module_run_id, "gateway", app_secret=APP_SECRET, auth=AUTH)
    settings.database = DatabaseSettings(
        url=SecretStr(through_proxy), schema_name=settings.database.schema_name, connect_timeout_s=2.0
    )
    try:
        async with admin_gateway(settings, SecretBox(None)) as gateway:
            assert (await gateway.client.get(HEALTH, headers=auth(Role.ANALYST))).status_code == 200
            await proxy.cut()

            down = await gateway.client.get(HEALTH, headers=auth(Role.ANALYST))

            assert down.status_code == 503
            assert down.json()["status"] == "unhealthy"
            assert down.json()["checks"]["database"]["status"] == "unhealthy"
            await proxy.restore()
            deadline = asyncio.get_running_loop().time() + 10
            while (await gateway.client.get(HEALTH, headers=auth(Role.ANALYST))).status_code != 200:
                assert asyncio.get_running_loop().time() < deadline, "never healthy again"
                await asyncio.sleep(0.1)
    finally:
        await proxy.close()
