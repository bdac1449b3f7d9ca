"""The Graph API side: what the sender will see when it calls the simulator."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI

from tasklane_common.testing import running
from tasklane_simulator.app import create_app
from tasklane_simulator.payloads import DEFAULT_PHONE_NUMBER_ID
from tasklane_simulator.settings import SimulatorSettings
from tasklane_simulator.simulator import WhatsAppSimulator

URL = f"/v25.0/{DEFAULT_PHONE_NUMBER_ID}/messages"
AUTH = {"Authorization": "Bearer sim-access-token"}


def text(to: str, body: str = "Hello") -> dict[str, object]:
    return {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": to,
        "type": "text",
        "text": {"body": body},
    }


@pytest.fixture
async def app() -> AsyncIterator[FastAPI]:
    async with running(create_app(SimulatorSettings(send_statuses=False))) as app:
        yield app


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://sim") as c:
        yield c


def sim(app: FastAPI) -> WhatsAppSimulator:
    simulator: WhatsAppSimulator = app.state.simulator
    return simulator


def assert_graph_error(response: httpx.Response, status: int, code: int) -> dict[str, object]:
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["code"] == code
    assert isinstance(error["message"], str)
    assert error["message"]
    assert isinstance(error["type"], str)
    assert isinstance(error["fbtrace_id"], str)
    assert len(error["fbtrace_id"]) > 10
    return dict(error)


async def test_send_answers_a_wamid_and_is_recorded(app: FastAPI, client: httpx.AsyncClient) -> None:
    response = await client.post(URL, json=text("+5511999990001", "Olá, tudo bem?"), headers=AUTH)

    assert response.status_code == 200
    answer = response.json()
    wamid = answer["messages"][0]["id"]
    assert wamid.startswith("wamid.")
    assert answer["messaging_product"] == "whatsapp"
    assert answer["contacts"] == [{"input": "+5511999990001", "wa_id": "5511999990001"}]
    [sent] = sim(app).sent_messages("5511999990001")
    assert sent["wamid"] == wamid
    assert sent["body"]["text"]["body"] == "Olá, tudo bem?"
    assert isinstance(sent["received_monotonic"], float)
    [recorded] = sim(app).requests()
    assert (recorded.method, recorded.path, recorded.status_code) == ("POST", URL, 200)
    assert recorded.response["messages"][0]["id"] == wamid
    listed = (await client.get("/__sim/requests")).json()
    assert listed[0]["body"]["to"] == "+5511999990001"
    assert "sim-access-token" not in str(listed)
    assert (await client.get("/__sim/messages", params={"to": "5511999990001"})).json()[0]["wamid"] == wamid


async def test_missing_or_wrong_token_is_refused_like_meta(app: FastAPI, client: httpx.AsyncClient) -> None:
    missing = await client.post(URL, json=text("+5511999990002"))
    wrong = await client.post(URL, json=text("+5511999990002"), headers={"Authorization": "Bearer nope"})

    for response in (missing, wrong):
        error = assert_graph_error(response, 401, 190)
        assert error["type"] == "OAuthException"
    assert sim(app).sent_messages() == []
    assert [r.status_code for r in sim(app).requests()] == [401, 401]


async def test_unknown_phone_number_id_is_code_100(client: httpx.AsyncClient) -> None:
    response = await client.post("/v25.0/999999/messages", json=text("+5511999990003"), headers=AUTH)
    error = assert_graph_error(response, 400, 100)
    assert "999999" in str(error["message"])


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"to": "+5511999990004", "type": "text", "text": {"body": "hi"}}, 100),
        ({**text("+5511999990004"), "messaging_product": "sms"}, 100),
        ({"messaging_product": "whatsapp", "type": "text", "text": {"body": "hi"}}, 100),
        ({**text("+5511999990004"), "text": {}}, 131008),
        ({**text("+5511999990004"), "text": {"body": "x" * 4097}}, 131009),
        ({**text("+5511999990004"), "type": "hologram", "hologram": {}}, 131009),
        (
            {
                "messaging_product": "whatsapp",
                "to": "+5511999990004",
                "type": "interactive",
                "interactive": {
                    "type": "button",
                    "body": {"text": "Pick"},
                    "action": {
                        "buttons": [
                            {"type": "reply", "reply": {"id": str(i), "title": f"B{i}"}} for i in range(4)
                        ]
                    },
                },
            },
            131009,
        ),
        (
            {
                "messaging_product": "whatsapp",
                "to": "+5511999990004",
                "type": "template",
                "template": {"name": "hello"},
            },
            131008,
        ),
    ],
)
async def test_invalid_bodies_get_meta_shaped_errors(
    app: FastAPI, client: httpx.AsyncClient, body: dict[str, object], code: int
) -> None:
    response = await client.post(URL, json=body, headers=AUTH)
    error = assert_graph_error(response, 400, code)
    assert str(error["message"]).startswith(f"(#{code})")
    assert sim(app).sent_messages() == []


async def test_text_of_exactly_4096_chars_is_accepted(client: httpx.AsyncClient) -> None:
    response = await client.post(URL, json=text("+5511999990005", "x" * 4096), headers=AUTH)
    assert response.status_code == 200


async def test_interactive_reaction_and_mark_as_read(app: FastAPI, client: httpx.AsyncClient) -> None:
    buttons = {
        "messaging_product": "whatsapp",
        "to": "+5511999990006",
        "type": "interactive",
        "interactive": {
            "type": "button",
            "body": {"text": "Done?"},
            "action": {
                "buttons": [
                    {"type": "reply", "reply": {"id": "yes", "title": "Yes"}},
                    {"type": "reply", "reply": {"id": "no", "title": "No"}},
                ]
            },
        },
    }
    reaction = {
        "messaging_product": "whatsapp",
        "to": "+5511999990006",
        "type": "reaction",
        "reaction": {"message_id": "wamid.ABC", "emoji": "\U0001f44d"},
    }
    read = {"messaging_product": "whatsapp", "status": "read", "message_id": "wamid.ABC"}

    assert (await client.post(URL, json=buttons, headers=AUTH)).status_code == 200
    assert (await client.post(URL, json=reaction, headers=AUTH)).status_code == 200
    marked = await client.post(URL, json=read, headers=AUTH)

    assert marked.json() == {"success": True}
    assert [m["type"] for m in sim(app).sent_messages("5511999990006")] == ["interactive", "reaction"]


async def test_fail_next_injects_faults_then_recovers(app: FastAPI, client: httpx.AsyncClient) -> None:
    sim(app).fail_next(1, 131000)
    sim(app).fail_next(1, None, status=502)

    first = await client.post(URL, json=text("+5511999990007"), headers=AUTH)
    second = await client.post(URL, json=text("+5511999990007"), headers=AUTH)
    third = await client.post(URL, json=text("+5511999990007"), headers=AUTH)

    assert_graph_error(first, 500, 131000)
    assert second.status_code == 502
    assert not second.headers["content-type"].startswith("application/json")
    assert third.status_code == 200
    assert len(sim(app).sent_messages("+5511999990007")) == 1


async def test_faults_over_http_and_reset(app: FastAPI, client: httpx.AsyncClient) -> None:
    await client.post("/__sim/faults", json={"count": 1, "code": 130429})
    limited = await client.post(URL, json=text("+5511999990008"), headers=AUTH)
    assert_graph_error(limited, 400, 130429)

    assert (await client.delete("/__sim/requests")).status_code == 200
    assert (await client.get("/__sim/requests")).json() == []
    assert sim(app).requests() == []


async def test_wait_for_message_wakes_on_a_send(app: FastAPI, client: httpx.AsyncClient) -> None:
    with pytest.raises(TimeoutError):
        await sim(app).wait_for_message("+5511999990009", timeout=0.05)
    await client.post(URL, json=text("+5511999990009", "one"), headers=AUTH)
    await client.post(URL, json=text("+5511999990009", "two"), headers=AUTH)

    found = await sim(app).wait_for_message("+5511999990009", count=2, timeout=1)

    assert [m["body"]["text"]["body"] for m in found] == ["one", "two"]
