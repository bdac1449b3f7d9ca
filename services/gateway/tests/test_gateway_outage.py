"""Nothing accepted is lost: while the broker cannot confirm, Meta gets a 503 (and retries);
once it can, the retry is published exactly once."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from gateway_harness import APP_SECRET, VERIFY_TOKEN, Gateway, QueueWatcher, serving
from pydantic import SecretStr

from tasklane_common.messaging import Delivery, Envelope
from tasklane_common.messaging.memory import InMemoryBroker
from tasklane_common.messaging.topology import AGENT_INBOUND
from tasklane_common.settings import BrokerSettings, DatabaseSettings
from tasklane_common.testing import TcpProxy, memory_settings, real_settings
from tasklane_gateway.settings import GatewaySettings
from tasklane_simulator.payloads import merge_webhooks, new_wamid, status_webhook, text_message_webhook

ANA = "5511999990000"


@pytest.fixture
async def broker_proxy() -> AsyncIterator[TcpProxy]:
    proxy = TcpProxy("127.0.0.1", 5672)
    await proxy.start()
    yield proxy
    await proxy.close()


@pytest.fixture
async def database_proxy() -> AsyncIterator[TcpProxy]:
    proxy = TcpProxy("127.0.0.1", 5432)
    await proxy.start()
    yield proxy
    await proxy.close()


async def _retry_until_accepted(
    gateway: Gateway, payload: dict[str, object], deadline_s: float
) -> httpx.Response:
    """Meta's behaviour: redeliver until it gets a 200."""
    deadline = time.monotonic() + deadline_s
    while True:
        response = await gateway.post(payload)
        if response.status_code != 503 or time.monotonic() > deadline:
            return response
        await asyncio.sleep(0.2)


async def test_broker_outage_answers_503_and_the_retry_is_published_once(
    module_run_id: str, watcher: QueueWatcher, broker_proxy: TcpProxy
) -> None:
    settings = real_settings(
        GatewaySettings,
        module_run_id,
        "gateway",
        app_secret=APP_SECRET,
        verify_token=VERIFY_TOKEN,
        broker=BrokerSettings(
            url=SecretStr(f"amqp://guest:guest@127.0.0.1:{broker_proxy.port}/?reconnect_interval=0.2"),
            namespace=f"{module_run_id}.",
            publish_timeout_s=1.0,
        ),
    )
    async with serving(settings) as gateway:
        before = text_message_webhook(from_=ANA, text="before", wamid=new_wamid())
        assert (await gateway.post(before)).status_code == 200

        await broker_proxy.cut()
        wamid, status_wamid = new_wamid(), new_wamid()
        during = merge_webhooks(
            text_message_webhook(from_=ANA, text="during the outage", wamid=wamid),
            status_webhook(wamid=status_wamid, status="delivered", recipient_id=ANA),
        )
        refused = await gateway.post(during)
        assert refused.status_code == 503
        assert (await gateway.post(during)).status_code == 503
        # Kubernetes stops routing to a gateway that cannot reach its broker.
        ready = await gateway.client.get("/health/ready")
        assert ready.status_code == 503
        assert ready.json()["checks"]["message_queue"]["status"] == "down"

        await broker_proxy.restore()
        accepted = await _retry_until_accepted(gateway, during, deadline_s=20)
        assert accepted.status_code == 200
        assert accepted.json()["messages"] == 1
        assert accepted.json()["statuses"] == 1
        again = await gateway.post(during)
        assert again.json()["duplicates"] == 2
        assert (await gateway.client.get("/health/ready")).status_code == 200

    inbound = [e.payload["wamid"] for e in await watcher.inbound()]
    assert sorted(inbound) == sorted([before["entry"][0]["changes"][0]["value"]["messages"][0]["id"], wamid])
    assert [e.payload["wamid"] for e in await watcher.statuses()] == [status_wamid]


async def test_database_outage_answers_503_and_nothing_is_lost(
    module_run_id: str, watcher: QueueWatcher, database_proxy: TcpProxy
) -> None:
    settings = real_settings(
        GatewaySettings,
        module_run_id,
        "gateway",
        app_secret=APP_SECRET,
        database=DatabaseSettings(
            url=SecretStr(f"postgresql+asyncpg://postgres@127.0.0.1:{database_proxy.port}/postgres"),
            schema_name=f"{module_run_id}_gateway",
        ),
    )
    async with serving(settings) as gateway:
        wamid = new_wamid()
        payload = text_message_webhook(from_=ANA, text="while the database is away", wamid=wamid)

        await database_proxy.cut()
        assert (await gateway.post(payload)).status_code == 503
        assert await watcher.inbound() == []

        await database_proxy.restore()
        accepted = await _retry_until_accepted(gateway, payload, deadline_s=10)
        assert accepted.status_code == 200
        assert accepted.json()["messages"] == 1

    assert [e.payload["wamid"] for e in await watcher.inbound()] == [wamid]


async def test_in_process_transport_outage_is_a_503_then_exactly_one_event(tmp_path: Path) -> None:
    name = f"gateway-{uuid.uuid4().hex}"
    settings = memory_settings(
        GatewaySettings, name, str(tmp_path / "gateway.db"), app_secret=APP_SECRET, verify_token=VERIFY_TOKEN
    )
    received: list[Envelope] = []

    async def collect(delivery: Delivery) -> None:
        received.append(Envelope.from_bytes(delivery.body))
        await delivery.ack()

    try:
        async with serving(settings) as gateway:
            broker = gateway.app.state.runtime.broker
            assert isinstance(broker, InMemoryBroker)
            await broker.consume(AGENT_INBOUND, collect)
            wamid = new_wamid()
            payload = text_message_webhook(from_=ANA, text="hi", wamid=wamid)

            broker.set_healthy(False)
            assert (await gateway.post(payload)).status_code == 503
            broker.set_healthy(True)
            assert (await gateway.post(payload)).json()["messages"] == 1
            assert (await gateway.post(payload)).json()["duplicates"] == 1
            for _ in range(50):
                if received:
                    break
                await asyncio.sleep(0.01)
            await asyncio.sleep(0.05)
    finally:
        InMemoryBroker.forget(name)

    assert [e.payload["wamid"] for e in received] == [wamid]
    assert received[0].payload["text"] == "hi"
