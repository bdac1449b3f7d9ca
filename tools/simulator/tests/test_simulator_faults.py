"""Fault injection: seeded rates, timeouts that send nothing, storms, async failures, status fidelity."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import socket
from collections import Counter
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi import FastAPI, Request, Response

from tasklane_common.testing import running
from tasklane_simulator.app import create_app
from tasklane_simulator.clock import ManualClock
from tasklane_simulator.payloads import DEFAULT_PHONE_NUMBER_ID
from tasklane_simulator.settings import SimulatorSettings
from tasklane_simulator.simulator import WhatsAppSimulator

URL = f"/v25.0/{DEFAULT_PHONE_NUMBER_ID}/messages"
AUTH = {"Authorization": "Bearer sim-access-token"}
SECRET = "faults-test-secret"


def text(to: str, body: str = "Hello", callback: str | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"messaging_product": "whatsapp", "to": to, "type": "text", "text": {"body": body}}
    if callback is not None:
        out["biz_opaque_callback_data"] = callback
    return out


READ = {"messaging_product": "whatsapp", "status": "read", "message_id": "wamid.IN"}


def sim(app: FastAPI) -> WhatsAppSimulator:
    simulator: WhatsAppSimulator = app.state.simulator
    return simulator


@pytest.fixture
async def app() -> AsyncIterator[FastAPI]:
    settings = SimulatorSettings(send_statuses=False, limits="off")
    async with running(create_app(settings)) as app:
        yield app


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://sim") as c:
        yield c


def outcomes(simulator: WhatsAppSimulator, n: int) -> list[str]:
    """Send n texts to distinct users through the Python API; the label of what became of each."""
    labels = []
    for i in range(n):
        body = text(f"49170{i:07d}")
        answer = simulator.handle_messages(DEFAULT_PHONE_NUMBER_ID, AUTH["Authorization"], body)
        attempt = simulator.attempts()[-1]
        assert (answer.hang_s is not None) == (attempt.outcome == "timeout")
        labels.append(attempt.fault or attempt.outcome)
    return labels


def test_rates_are_honoured_and_a_seed_replays_the_same_faults() -> None:
    rates = {"5xx": 0.3, "timeout": 0.05, "130429": 0.1, "131056": 0.05, "131047": 0.05, "131026": 0.05}
    first = WhatsAppSimulator(SimulatorSettings(limits="off", send_statuses=False))
    first.set_faults(rates, seed=42)
    labels = outcomes(first, 3000)

    counts = Counter(labels)
    for kind, rate in rates.items():
        # Binomial, n=3000: 4 standard deviations either side.
        spread = 4 * (3000 * rate * (1 - rate)) ** 0.5
        assert abs(counts[kind] - 3000 * rate) < spread, (kind, counts[kind])
    assert counts["accepted"] == 3000 - sum(counts[k] for k in rates)
    assert len(first.sent_messages()) == counts["accepted"] + counts["131026"]

    again = WhatsAppSimulator(SimulatorSettings(limits="off", send_statuses=False))
    again.set_faults(rates, seed=42)
    assert outcomes(again, 3000) == labels


def test_bad_rates_are_refused() -> None:
    simulator = WhatsAppSimulator(SimulatorSettings())
    for rates in ({"5xx": 1.5}, {"teapot": 0.1}, {"5xx": 0.6, "130429": 0.6}):
        with pytest.raises(ValueError, match=r"\w"):
            simulator.set_faults(rates)


async def test_injected_errors_are_meta_shaped(app: FastAPI, client: httpx.AsyncClient) -> None:
    expected = {"130429": (400, 130429), "131056": (400, 131056), "131047": (400, 131047), "190": (401, 190)}
    for kind, (status, code) in expected.items():
        sim(app).set_faults({kind: 1.0})
        response = await client.post(URL, json=text("+4917000000001"), headers=AUTH)
        assert response.status_code == status, kind
        error = response.json()["error"]
        assert error["code"] == code
        if code != 190:  # Meta words expired tokens as "Error validating access token: ..."
            assert error["message"].startswith(f"(#{code})")
        assert error["type"] == "OAuthException"
        assert error["fbtrace_id"]
    assert [a.fault for a in sim(app).attempts()] == list(expected)
    assert sim(app).sent_messages() == []


async def test_server_errors_come_with_and_without_meta_json(app: FastAPI, client: httpx.AsyncClient) -> None:
    sim(app).set_faults({"5xx": 1.0}, seed=3)
    seen = set()
    for _ in range(40):
        response = await client.post(URL, json=text("+4917000000002"), headers=AUTH)
        is_json = response.headers["content-type"].startswith("application/json")
        seen.add((response.status_code, is_json))
        if is_json:
            assert response.json()["error"]["code"] in (131000, 2)
    assert seen == {(500, True), (503, True), (500, False), (503, False)}
    assert sim(app).sent_messages() == []


async def test_a_timeout_hangs_then_fails_and_sends_nothing(app: FastAPI, client: httpx.AsyncClient) -> None:
    sim(app).set_faults({"timeout": 1.0}, timeout_s=0.05)

    with pytest.raises(httpx.ReadTimeout):
        await client.post(URL, json=text("+4917000000003", callback="r-1"), headers=AUTH)

    [attempt] = sim(app).attempts()
    assert (attempt.outcome, attempt.fault, attempt.wamid) == ("timeout", "timeout", None)
    assert attempt.biz_opaque_callback_data == "r-1"
    assert sim(app).sent_messages() == []
    assert [r.status_code for r in sim(app).requests()] == [0]
    sim(app).clear_faults()
    assert (await client.post(URL, json=text("+4917000000003"), headers=AUTH)).status_code == 200


async def test_a_real_client_times_out_on_a_real_server() -> None:
    app = create_app(SimulatorSettings(send_statuses=False))
    sim(app).set_faults({"timeout": 1.0}, timeout_s=30)
    # A socket listening before the server starts: connections wait in its backlog.
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen()
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_config=None, lifespan="on"))
    serving = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=0.2) as c:
            with pytest.raises(httpx.ReadTimeout):
                await c.post(URL, json=text("+4917000000004"), headers=AUTH)
            sim(app).clear_faults()
            assert (await c.post(URL, json=text("+4917000000004"), headers=AUTH)).status_code == 200
        assert [a.outcome for a in sim(app).attempts()] == ["timeout", "accepted"]
        assert len(sim(app).sent_messages()) == 1
    finally:
        server.should_exit = True
        await serving
        sock.close()


async def test_a_storm_answers_130429_for_its_duration_then_passes() -> None:
    clock = ManualClock()
    app = create_app(SimulatorSettings(send_statuses=False), clock=clock)
    async with (
        running(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://sim") as c,
    ):
        storm = await c.post("/__sim/faults", json={"storm": {"kind": "130429", "seconds": 5}})
        assert storm.json()["storms"][0]["kind"] == "130429"
        during = [await c.post(URL, json=text(f"+49170000001{i}"), headers=AUTH) for i in range(3)]
        read = await c.post(URL, json=READ, headers=AUTH)
        clock.advance(5.01)
        after = await c.post(URL, json=text("+4917000000020"), headers=AUTH)

    assert [r.json()["error"]["code"] for r in [*during, read]] == [130429] * 4
    assert after.status_code == 200
    assert {a.fault for a in sim(app).attempts()[:4]} == {"storm:130429"}


async def test_faults_over_http(client: httpx.AsyncClient) -> None:
    configured = await client.post("/__sim/faults", json={"rates": {"5xx": 0.25, "timeout": 0.1}, "seed": 9})
    assert configured.status_code == 200
    assert configured.json()["rates"] == {"5xx": 0.25, "timeout": 0.1}
    assert configured.json()["seed"] == 9
    assert (await client.post("/__sim/faults", json={"rates": {"5xx": 2}})).status_code == 422
    bad_storm = {"storm": {"kind": "nope", "seconds": 1}}
    assert (await client.post("/__sim/faults", json=bad_storm)).status_code == 422
    assert (await client.post("/__sim/faults", json={"count": "many"})).status_code == 422
    cleared = await client.delete("/__sim/faults")
    assert cleared.json()["rates"] == {}
    await client.post("/__sim/faults", json={"count": 1, "code": 131000})
    assert (await client.post(URL, json=text("+4917000000005"), headers=AUTH)).status_code == 500
    assert (await client.post(URL, json=text("+4917000000005"), headers=AUTH)).status_code == 200


# ---- the webhook side of faults: failed and played statuses, skipped, duplicated, reordered ----------


class Receiver:
    def __init__(self) -> None:
        self.statuses: list[dict[str, Any]] = []

    def app(self) -> FastAPI:
        app = FastAPI()

        @app.post("/hook")
        async def hook(request: Request) -> Response:
            raw = await request.body()
            expected = "sha256=" + hmac.new(SECRET.encode(), raw, hashlib.sha256).hexdigest()
            assert hmac.compare_digest(expected, request.headers["x-hub-signature-256"])
            for entry in json.loads(raw)["entry"]:
                for change in entry["changes"]:
                    self.statuses += change["value"].get("statuses", [])
            return Response(status_code=200)

        return app


@pytest.fixture
async def played() -> AsyncIterator[tuple[FastAPI, Receiver]]:
    receiver = Receiver()
    hook = httpx.AsyncClient(transport=httpx.ASGITransport(app=receiver.app()))
    settings = SimulatorSettings(app_secret=SECRET, webhook_url="http://gateway/hook", status_delay_s=0.0)
    async with hook, running(create_app(settings, webhook_client=hook)) as app:
        yield app, receiver


async def send(app: FastAPI, body: dict[str, Any]) -> httpx.Response:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://sim") as c:
        response = await c.post(URL, json=body, headers=AUTH)
    await sim(app).wait_idle()
    return response


async def test_131026_is_accepted_then_fails_by_webhook(played: tuple[FastAPI, Receiver]) -> None:
    app, receiver = played
    sim(app).set_faults({"131026": 1.0})

    response = await send(app, text("+4917000000006", callback="r-undeliverable"))

    wamid = response.json()["messages"][0]["id"]
    [status] = receiver.statuses
    assert (status["id"], status["status"]) == (wamid, "failed")
    assert status["biz_opaque_callback_data"] == "r-undeliverable"
    [error] = status["errors"]
    assert error["code"] == 131026
    assert error["title"] == "Message undeliverable"
    assert error["error_data"]["details"]
    [attempt] = sim(app).attempts()
    assert (attempt.outcome, attempt.async_error, attempt.wamid) == ("accepted", 131026, wamid)


async def test_statuses_carry_pricing_and_callback_data_and_audio_is_played(
    played: tuple[FastAPI, Receiver],
) -> None:
    app, receiver = played
    await send(app, text("+4917000000007", callback="r-text"))
    audio = {"messaging_product": "whatsapp", "to": "+4917000000007", "type": "audio", "audio": {"id": "m1"}}
    await send(app, audio)

    text_statuses, audio_statuses = receiver.statuses[:3], receiver.statuses[3:]
    assert [s["status"] for s in text_statuses] == ["sent", "delivered", "read"]
    assert [s["status"] for s in audio_statuses] == ["sent", "delivered", "read", "played"]
    assert [("pricing" in s) for s in text_statuses] == [True, True, False]
    assert text_statuses[0]["pricing"]["type"] == "free_customer_service"
    assert {s["biz_opaque_callback_data"] for s in text_statuses} == {"r-text"}
    assert all("biz_opaque_callback_data" not in s for s in audio_statuses)


async def test_skipped_duplicated_and_reordered_statuses(played: tuple[FastAPI, Receiver]) -> None:
    app, receiver = played
    sim(app).set_faults({"skip_delivered": 1.0}, seed=1)
    await send(app, text("+4917000000008"))
    skipped = [(s["status"], "pricing" in s) for s in receiver.statuses]
    assert skipped == [("sent", True), ("read", True)]

    receiver.statuses.clear()
    sim(app).set_faults({"duplicate_status": 1.0})
    await send(app, text("+4917000000008"))
    names = [s["status"] for s in receiver.statuses]
    assert len(names) == 4
    assert sorted(set(names)) == ["delivered", "read", "sent"]

    receiver.statuses.clear()
    sim(app).set_faults({"reorder_statuses": 1.0})
    await send(app, text("+4917000000008"))
    names = [s["status"] for s in receiver.statuses]
    assert sorted(names) == ["delivered", "read", "sent"]
    assert names != ["sent", "delivered", "read"]
    # The timestamps still tell the order the events happened in.
    by_time = [s["status"] for s in sorted(receiver.statuses, key=lambda s: int(s["timestamp"]))]
    assert by_time == ["sent", "delivered", "read"]
