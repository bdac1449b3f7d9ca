"""The webhook side: signed status and inbound-message webhooks, as the gateway will receive them."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, Request, Response

from tasklane_common.testing import running
from tasklane_simulator.app import create_app
from tasklane_simulator.payloads import DEFAULT_PHONE_NUMBER_ID
from tasklane_simulator.settings import SimulatorSettings
from tasklane_simulator.simulator import WhatsAppSimulator

SECRET = "receiver-test-secret"
WEBHOOK = "http://gateway/api/webhooks/whatsapp"
URL = f"/v25.0/{DEFAULT_PHONE_NUMBER_ID}/messages"
AUTH = {"Authorization": "Bearer sim-access-token"}


@dataclass
class Receiver:
    """A stand-in for the gateway: checks each signature over the raw bytes and keeps the payload."""

    answer: int = 200
    received: list[dict[str, Any]] = field(default_factory=list)
    bad_signatures: int = 0
    # Answers to give before ``answer`` (an outage the simulator must ride out), one per POST.
    first_answers: list[int] = field(default_factory=list)

    def app(self) -> FastAPI:
        app = FastAPI()

        @app.post("/api/webhooks/whatsapp")
        async def webhook(request: Request) -> Response:
            raw = await request.body()
            expected = "sha256=" + hmac.new(SECRET.encode(), raw, hashlib.sha256).hexdigest()
            if not hmac.compare_digest(expected, request.headers.get("x-hub-signature-256", "")):
                self.bad_signatures += 1
                return Response(status_code=403)
            if self.first_answers:
                return Response(status_code=self.first_answers.pop(0))
            self.received.append(json.loads(raw))
            return Response(status_code=self.answer)

        return app


@pytest.fixture
def receiver() -> Receiver:
    return Receiver()


@pytest.fixture
async def sim_app(receiver: Receiver) -> AsyncIterator[FastAPI]:
    hook_client = httpx.AsyncClient(transport=httpx.ASGITransport(app=receiver.app()))
    settings = SimulatorSettings(app_secret=SECRET, webhook_url=WEBHOOK, status_delay_s=0.01)
    async with hook_client, running(create_app(settings, webhook_client=hook_client)) as app:
        yield app


def sim(app: FastAPI) -> WhatsAppSimulator:
    simulator: WhatsAppSimulator = app.state.simulator
    return simulator


def text_to(to: str) -> dict[str, Any]:
    return {"messaging_product": "whatsapp", "to": to, "type": "text", "text": {"body": "x"}}


def values(receiver: Receiver) -> list[dict[str, Any]]:
    return [c["value"] for p in receiver.received for e in p["entry"] for c in e["changes"]]


async def test_a_send_is_followed_by_signed_sent_delivered_read(sim_app: FastAPI, receiver: Receiver) -> None:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=sim_app), base_url="http://sim") as c:
        response = await c.post(
            URL,
            headers=AUTH,
            json={
                "messaging_product": "whatsapp",
                "to": "+4915112345678",
                "type": "text",
                "text": {"body": "Hi"},
            },
        )
    wamid = response.json()["messages"][0]["id"]

    await sim(sim_app).wait_idle()

    assert receiver.bad_signatures == 0
    statuses = [s for v in values(receiver) for s in v["statuses"]]
    assert [(s["id"], s["status"]) for s in statuses] == [
        (wamid, "sent"),
        (wamid, "delivered"),
        (wamid, "read"),
    ]
    assert {s["recipient_id"] for s in statuses} == {"4915112345678"}
    assert all(v["metadata"]["phone_number_id"] == DEFAULT_PHONE_NUMBER_ID for v in values(receiver))
    assert [d.status_code for d in sim(sim_app).webhook_deliveries()] == [200, 200, 200]


async def test_inject_text_posts_a_signed_realistic_message(sim_app: FastAPI, receiver: Receiver) -> None:
    result = await sim(sim_app).inject_text("+4915112345679", "Zürich café ☕", name="Zoë")

    assert result.status_code == 200
    assert receiver.bad_signatures == 0
    [value] = values(receiver)
    [message] = value["messages"]
    assert message["id"] == result.wamid
    assert message["from"] == "4915112345679"
    assert message["text"]["body"] == "Zürich café ☕"
    assert value["contacts"] == [{"profile": {"name": "Zoë"}, "wa_id": "4915112345679"}]


async def test_inbound_over_http_reports_the_gateway_status(sim_app: FastAPI, receiver: Receiver) -> None:
    receiver.answer = 503
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=sim_app), base_url="http://sim") as c:
        response = await c.post("/__sim/inbound", json={"from": "4915112345670", "text": "add milk"})

    assert response.status_code == 200
    assert response.json()["gateway_status"] == 503
    assert response.json()["wamid"].startswith("wamid.")


async def test_a_wrong_secret_is_caught_by_the_receiver(receiver: Receiver) -> None:
    hook_client = httpx.AsyncClient(transport=httpx.ASGITransport(app=receiver.app()))
    settings = SimulatorSettings(app_secret="not-the-secret", webhook_url=WEBHOOK)
    async with hook_client, running(create_app(settings, webhook_client=hook_client)) as app:
        result = await sim(app).inject_text("4915112345671", "hello")

    assert result.status_code == 403
    assert receiver.bad_signatures == 1


async def test_a_status_the_gateway_refuses_during_an_outage_is_retried_until_accepted(
    receiver: Receiver,
) -> None:
    # The gateway answers 503 four times in a row (down, or its broker is): Meta posts each status
    # again later; every status still arrives, once accepted, and in order.
    receiver.first_answers = [503, 503, 500, 503]
    hook_client = httpx.AsyncClient(transport=httpx.ASGITransport(app=receiver.app()))
    settings = SimulatorSettings(
        app_secret=SECRET, webhook_url=WEBHOOK, status_delay_s=0.0, status_retry_base_s=0.01
    )
    async with hook_client, running(create_app(settings, webhook_client=hook_client)) as app:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://sim") as c:
            response = await c.post(
                URL,
                headers=AUTH,
                json=text_to("+4915112345673"),
            )
        wamid = response.json()["messages"][0]["id"]
        await sim(app).wait_idle()
        deliveries = sim(app).webhook_deliveries()

    statuses = [s for v in values(receiver) for s in v["statuses"]]
    assert [(s["id"], s["status"]) for s in statuses] == [
        (wamid, "sent"),
        (wamid, "delivered"),
        (wamid, "read"),
    ]
    assert [(d.status, d.status_code) for d in deliveries] == [
        ("sent", 503),
        ("sent", 503),
        ("sent", 500),
        ("sent", 503),
        ("sent", 200),
        ("delivered", 200),
        ("read", 200),
    ]


async def test_a_burst_of_status_webhooks_queues_in_the_simulator_not_in_its_connection_pool() -> None:
    # After an outage thousands of statuses are due at once; the simulator keeps at most
    # webhook_concurrency POSTs in flight (its pool as large), so none fails waiting for a
    # connection, and every status arrives.
    in_flight = peak = 0
    received: list[str] = []
    gateway = FastAPI()

    @gateway.post("/api/webhooks/whatsapp")
    async def webhook(request: Request) -> Response:
        nonlocal in_flight, peak
        in_flight += 1
        peak = max(peak, in_flight)
        await asyncio.sleep(0.01)  # a busy gateway
        received.append(
            json.loads(await request.body())["entry"][0]["changes"][0]["value"]["statuses"][0]["id"]
        )
        in_flight -= 1
        return Response(status_code=200)

    hook_client = httpx.AsyncClient(transport=httpx.ASGITransport(app=gateway))
    settings = SimulatorSettings(webhook_url=WEBHOOK, status_delay_s=0.0, webhook_concurrency=4)
    async with hook_client, running(create_app(settings, webhook_client=hook_client)) as app:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://sim") as c:
            sends = await asyncio.gather(
                *(c.post(URL, headers=AUTH, json=text_to(f"+49151100000{i:02d}")) for i in range(20))
            )
        await sim(app).wait_idle()

    wamids = {r.json()["messages"][0]["id"] for r in sends}
    assert sorted(received) == sorted([w for w in wamids for _ in range(3)])
    assert peak <= 4


async def test_a_status_nobody_accepts_is_given_up_after_the_bounded_retries() -> None:
    settings = SimulatorSettings(
        webhook_url="http://127.0.0.1:9/hook", status_delay_s=0.0, status_retries=2, status_retry_base_s=0.0
    )
    app = create_app(settings)
    async with (
        running(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://sim") as c,
    ):
        response = await c.post(
            URL,
            headers=AUTH,
            json=text_to("+4915112345674"),
        )
        await sim(app).wait_idle()
        assert response.status_code == 200
        deliveries = sim(app).webhook_deliveries()
    assert [d.status for d in deliveries] == ["sent"] * 3 + ["delivered"] * 3 + ["read"] * 3
    assert all(d.status_code is None and d.error for d in deliveries)


async def test_unreachable_webhook_is_recorded_not_fatal() -> None:
    settings = SimulatorSettings(webhook_url="http://127.0.0.1:9/hook", status_delay_s=0.0, status_retries=0)
    app = create_app(settings)
    async with (
        running(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://sim") as c,
    ):
        response = await c.post(
            URL,
            headers=AUTH,
            json={
                "messaging_product": "whatsapp",
                "to": "+4915112345672",
                "type": "text",
                "text": {"body": "x"},
            },
        )
        await sim(app).wait_idle()
        assert response.status_code == 200
        deliveries = sim(app).webhook_deliveries()
        assert [d.status for d in deliveries] == ["sent", "delivered", "read"]
        assert all(d.status_code is None and d.error for d in deliveries)
        with pytest.raises(httpx.ConnectError):
            await sim(app).inject_text("4915112345672", "hi")
        inbound = await c.post("/__sim/inbound", json={"from": "4915112345672", "text": "hi"})
        assert inbound.status_code == 502
