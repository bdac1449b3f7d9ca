"""A database outage is a 503 "retry" on every service's operators' reads, and only an outage is:
the sender's and analytics' routes and the dead letters answered 500 (a bug, to a client) while
PostgreSQL was away, and went back to 200 once it returned."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from pydantic import SecretStr
from services_apps import ADMIN, AUTH
from sqlalchemy.engine import make_url

from tasklane_analytics.app import create_app as create_analytics
from tasklane_analytics.settings import AnalyticsSettings
from tasklane_common.settings import DatabaseSettings
from tasklane_common.testing import TcpProxy, cleanup_run, database_url, new_run_id, real_settings, running
from tasklane_sender.app import create_app as create_sender
from tasklane_sender.settings import SenderSettings

READS = {
    "sender": ["/api/v1/sender/numbers", "/api/v1/sender/messages/r-1", "/api/v1/sender/dead-letters"],
    "analytics": ["/api/v1/analytics/summary", "/api/v1/analytics/dead-letters"],
}


@pytest.fixture
async def database_proxy() -> AsyncIterator[TcpProxy]:
    url = make_url(database_url())
    proxy = TcpProxy(url.host or "127.0.0.1", url.port or 5432)
    await proxy.start()
    yield proxy
    await proxy.close()


def _app(service: str, run_id: str, proxy: TcpProxy) -> object:
    url = make_url(database_url()).set(host="127.0.0.1", port=proxy.port)
    database = DatabaseSettings(
        url=SecretStr(url.render_as_string(hide_password=False)), schema_name=f"{run_id}_{service}"
    )
    if service == "sender":
        return create_sender(real_settings(SenderSettings, run_id, service, auth=AUTH, database=database))
    return create_analytics(real_settings(AnalyticsSettings, run_id, service, auth=AUTH, database=database))


@pytest.mark.parametrize("service", sorted(READS))
async def test_a_database_outage_is_a_503_and_nothing_else_is(service: str, database_proxy: TcpProxy) -> None:
    run_id = new_run_id()
    app = _app(service, run_id, database_proxy)
    try:
        async with running(app):  # type: ignore[arg-type]
            transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]
            async with httpx.AsyncClient(transport=transport, base_url="http://svc", headers=ADMIN) as client:
                before = [(await client.get(path)).status_code for path in READS[service]]
                await database_proxy.cut()
                during = [await client.get(path) for path in READS[service]]
                await database_proxy.restore()
                after = [(await client.get(path)).status_code for path in READS[service]]
    finally:
        await cleanup_run(run_id)
    found = [200, 404, 200] if service == "sender" else [200, 200]
    assert before == found
    assert [r.status_code for r in during] == [503] * len(found)
    assert all(r.headers["content-type"].startswith("application/problem+json") for r in during)
    assert all(r.json()["detail"] == "database unavailable, retry" for r in during)
    assert after == found
