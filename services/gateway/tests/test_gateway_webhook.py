"""The webhook POST end to end on the real RabbitMQ and PostgreSQL: what Meta gets back and what
reaches the queues downstream."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from gateway_harness import APP_SECRET, VERIFY_TOKEN, Gateway, QueueWatcher, serving

from tasklane_common.messaging import deterministic_id
from tasklane_common.testing import real_settings
from tasklane_gateway.settings import GatewaySettings
from tasklane_simulator.payloads import (
    encode,
    merge_webhooks,
    new_wamid,
    sign,
    status_webhook,
    text_message_webhook,
)

ANA = "5511999990000"
BOB = "4915112345678"

# Verbatim from the WhatsApp reference (section 3): Meta escapes non-ASCII as \u00e1 in the bytes
# it signs, so only a check over the raw bytes accepts this.
VECTOR_BODY = (
    b'{"object":"whatsapp_business_account","entry":[{"id":"100000000000001","changes":[{"field":'
    b'"messages","value":{"messaging_product":"whatsapp","metadata":{"display_phone_number":'
    b'"15550001111","phone_number_id":"200000000000002"},"contacts":[{"profile":{"name":"Ana"},'
    b'"wa_id":"5511999990000"}],"messages":[{"from":"5511999990000","id":"wamid.TEST1",'
    b'"timestamp":"1760000000","type":"text","text":{"body":"Ol\\u00e1"}}]}}]}]}'
)
VECTOR_SIGNATURE = "sha256=61809b3316367c3e461e9dd4146b0d926c3d258f2252b551a94101077e1991e8"


def _value(payload: dict[str, Any]) -> dict[str, Any]:
    value: dict[str, Any] = payload["entry"][0]["changes"][0]["value"]
    return value


async def test_a_signed_text_message_is_published_once_with_its_fields(
    gateway: Gateway, watcher: QueueWatcher
) -> None:
    wamid = new_wamid()
    sent = datetime.now(UTC).replace(microsecond=0) - timedelta(seconds=5)
    payload = text_message_webhook(
        from_=ANA, text="add task buy milk", wamid=wamid, name="Ana Souza", timestamp=int(sent.timestamp())
    )

    response = await gateway.post(payload)

    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "messages": 1,
        "statuses": 0,
        "duplicates": 0,
        "skipped": 0,
        "ignored": 0,
        "notifications": 0,
        "expired": 0,
        # Items for numbers another app owns (dropped): see test_gateway_integrations.
        "foreign": 0,
    }
    [event] = await watcher.inbound()
    assert event.id == deterministic_id("message.received", wamid)
    assert event.type == "message.received"
    assert event.producer == "gateway"
    assert event.correlation_id == event.id
    p = event.payload
    metadata = _value(payload)["metadata"]
    assert p["wamid"] == wamid
    assert p["phone_number_id"] == metadata["phone_number_id"]
    assert p["display_phone_number"] == metadata["display_phone_number"]
    assert p["wa_id"] == ANA
    assert p["profile_name"] == "Ana Souza"
    assert p["message_type"] == "text"
    assert p["text"] == "add task buy milk"
    assert p["reply_id"] is None
    assert p["context_wamid"] is None
    assert p["raw"] == {}
    assert uuid.UUID(p["user_id"])
    assert datetime.fromisoformat(p["sent_at"]) == sent
    received = datetime.fromisoformat(p["received_at"])
    assert abs(received - datetime.now(UTC)) < timedelta(seconds=10)
    assert event.occurred_at == received
    assert await watcher.statuses() == []


async def test_the_reference_unicode_vector_verifies_over_the_raw_bytes(
    module_run_id: str, watcher: QueueWatcher
) -> None:
    settings = real_settings(
        GatewaySettings, module_run_id, "gateway", app_secret=APP_SECRET, verify_token=VERIFY_TOKEN
    )
    # Received a minute after it was sent, as in the reference (a year on it would have expired).
    sent = datetime.fromtimestamp(1760000000, tz=UTC)
    async with serving(settings, clock=lambda: sent + timedelta(minutes=1)) as gateway:
        response = await gateway.post(
            VECTOR_BODY, secret=None, headers={"x-hub-signature-256": VECTOR_SIGNATURE}
        )

    assert response.status_code == 200
    [event] = await watcher.inbound()
    assert event.payload["wamid"] == "wamid.TEST1"
    assert event.payload["text"] == "Olá"
    assert event.payload["profile_name"] == "Ana"


async def test_bad_or_missing_signatures_are_refused_and_nothing_is_published(
    gateway: Gateway, watcher: QueueWatcher
) -> None:
    payload = text_message_webhook(from_=ANA, text="forged", wamid=new_wamid())
    body = encode(payload)
    tampered = body.replace(b"forged", b"FORGED")

    assert (await gateway.post(payload, secret="not-the-app-secret")).status_code == 403
    assert (await gateway.post(payload, secret=None)).status_code == 401
    signed_other = {"x-hub-signature-256": sign(body, "test_app_secret")}
    assert (await gateway.post(tampered, secret=None, headers=signed_other)).status_code == 403
    assert (
        await gateway.post(body, secret=None, headers={"x-hub-signature-256": "garbage"})
    ).status_code == 403
    assert await watcher.inbound() == []
    # Nothing was recorded either: the genuine webhook is still new.
    assert (await gateway.post(payload)).json()["messages"] == 1


async def test_meta_redelivering_a_webhook_publishes_nothing_more(
    gateway: Gateway, watcher: QueueWatcher
) -> None:
    wamid, status_wamid = new_wamid(), new_wamid()
    payload = merge_webhooks(
        text_message_webhook(from_=ANA, text="hello", wamid=wamid),
        status_webhook(wamid=status_wamid, status="delivered", recipient_id=ANA),
    )

    first = await gateway.post(payload)
    second = await gateway.post(payload)

    assert first.json()["messages"] == 1
    assert first.json()["statuses"] == 1
    assert second.status_code == 200
    assert second.json()["messages"] == 0
    assert second.json()["duplicates"] == 2
    assert [e.payload["wamid"] for e in await watcher.inbound()] == [wamid]
    assert [e.payload["wamid"] for e in await watcher.statuses()] == [status_wamid]


async def test_concurrent_duplicate_deliveries_publish_one_event(
    gateway: Gateway, watcher: QueueWatcher
) -> None:
    payload = text_message_webhook(from_=BOB, text="same", wamid=new_wamid())

    responses = await asyncio.gather(*(gateway.post(payload) for _ in range(5)))

    assert [r.status_code for r in responses] == [200] * 5
    assert sum(r.json()["messages"] for r in responses) == 1
    assert len(await watcher.inbound()) == 1


async def test_every_entry_change_message_and_status_of_a_batch_is_published(
    gateway: Gateway, watcher: QueueWatcher
) -> None:
    a1, a2, b1, c1 = new_wamid(), new_wamid(), new_wamid(), new_wamid()
    ana = text_message_webhook(from_=ANA, text="one", wamid=a1)
    # Two messages in one value, and a second change in the same entry.
    _value(ana)["messages"].append(dict(_value(ana)["messages"][0], id=a2, text={"body": "two"}))
    bob = text_message_webhook(from_=BOB, text="three", wamid=b1)
    ana["entry"][0]["changes"].append(bob["entry"][0]["changes"][0])
    other_number = text_message_webhook(from_=ANA, text="four", wamid=c1, phone_number_id="999000111")
    s1, s2 = new_wamid(), new_wamid()
    statuses = status_webhook(wamid=s1, status="sent", recipient_id=ANA)
    _value(statuses)["statuses"] += [
        dict(_value(statuses)["statuses"][0], status="delivered"),
        dict(_value(statuses)["statuses"][0], id=s2, status="read"),
    ]
    failed = status_webhook(
        wamid=s2,
        status="failed",
        recipient_id=BOB,
        errors=[{"code": 131047, "title": "Re-engagement message"}],
    )

    response = await gateway.post(merge_webhooks(ana, other_number, statuses, failed))

    assert response.status_code == 200
    assert response.json()["messages"] == 4
    assert response.json()["statuses"] == 4
    inbound = {e.payload["wamid"]: e.payload for e in await watcher.inbound()}
    assert set(inbound) == {a1, a2, b1, c1}
    assert inbound[a2]["text"] == "two"
    # One user per sender and business number, stable across messages.
    assert inbound[a1]["user_id"] == inbound[a2]["user_id"]
    assert len({inbound[w]["user_id"] for w in (a1, b1, c1)}) == 3
    status_events = await watcher.statuses()
    assert {(e.payload["wamid"], e.payload["status"]) for e in status_events} == {
        (s1, "sent"),
        (s1, "delivered"),
        (s2, "read"),
        (s2, "failed"),
    }
    by_status = {e.payload["status"]: e for e in status_events}
    assert by_status["failed"].id == deterministic_id("status.received", s2, "failed")
    assert by_status["failed"].payload["errors"] == [{"code": 131047, "title": "Re-engagement message"}]
    assert by_status["sent"].payload["pricing"]["category"] == "service"
    assert by_status["sent"].payload["recipient_id"] == ANA


async def test_replies_to_buttons_and_lists_carry_what_the_user_picked(
    gateway: Gateway, watcher: QueueWatcher
) -> None:
    ours = new_wamid()
    base = text_message_webhook(from_=ANA, text="x")
    template = dict(_value(base)["messages"][0])
    del template["text"]
    picks = {
        "button": {
            "type": "interactive",
            "context": {"from": "15550783881", "id": ours},
            "interactive": {"type": "button_reply", "button_reply": {"id": "task-done", "title": "Done"}},
        },
        "list": {
            "type": "interactive",
            "interactive": {
                "type": "list_reply",
                "list_reply": {"id": "p-high", "title": "High", "description": "Soon"},
            },
        },
        "template": {"type": "button", "button": {"payload": "SNOOZE_1H", "text": "Snooze"}},
        "image": {"type": "image", "image": {"id": "1234", "mime_type": "image/jpeg", "caption": "receipt"}},
    }
    wamids = {name: new_wamid() for name in picks}
    _value(base)["messages"] = [dict(template, id=wamids[n], **body) for n, body in picks.items()]

    assert (await gateway.post(base)).json()["messages"] == 4

    got = {e.payload["wamid"]: e.payload for e in await watcher.inbound()}
    button, listed, tmpl, image = (got[wamids[n]] for n in ("button", "list", "template", "image"))
    assert (button["reply_id"], button["text"], button["context_wamid"]) == ("task-done", "Done", ours)
    assert (listed["reply_id"], listed["text"]) == ("p-high", "High")
    assert (tmpl["message_type"], tmpl["reply_id"], tmpl["text"]) == ("button", "SNOOZE_1H", "Snooze")
    assert image["message_type"] == "image"
    assert image["text"] == "receipt"
    assert image["media"] == {"id": "1234", "mime_type": "image/jpeg", "caption": "receipt"}


async def test_odd_items_in_a_signed_webhook_are_skipped_and_the_good_ones_published(
    gateway: Gateway, watcher: QueueWatcher
) -> None:
    good, unknown, odd_text, late, big = (new_wamid() for _ in range(5))
    status = new_wamid()
    payload = text_message_webhook(from_=ANA, text="good", wamid=good)
    message = _value(payload)["messages"][0]
    _value(payload)["messages"] += [
        {"from": ANA, "timestamp": "1760000000", "type": "text", "text": {"body": "no id"}},
        {"id": new_wamid(), "type": "text", "text": {"body": "no sender"}},
        dict(message, id=unknown, type="hologram", hologram={"depth": [1, {"x": None}]}),
        dict(message, id=odd_text, text="a string where an object belongs"),
        dict(message, id=late, timestamp="yesterday", text={"body": "lone \ud800 surrogate"}),
        dict(message, id=big, type="sticker", sticker={"size": 10**30}),
        "not an object",
        None,
    ]
    statuses = status_webhook(wamid=status, status="read", recipient_id=ANA)
    _value(statuses)["statuses"].append({"id": new_wamid(), "timestamp": "1760000000"})
    payload = merge_webhooks(payload, statuses)
    payload["entry"] += [
        42,
        {"id": "1", "changes": [{"field": "messages", "value": "not an object"}]},
        {"id": "1", "changes": [{"field": "account_update", "value": {"event": "VERIFIED_ACCOUNT"}}]},
        {"id": "1", "changes": [{"field": "messages", "value": {"messages": [message]}}]},  # no metadata
        {"id": "1"},
    ]

    response = await gateway.post(payload)

    assert response.status_code == 200
    assert response.json()["messages"] == 5
    assert response.json()["statuses"] == 1
    assert response.json()["skipped"] == 8
    assert response.json()["notifications"] == 1
    got = {e.payload["wamid"]: e.payload for e in await watcher.inbound()}
    assert set(got) == {good, unknown, odd_text, late, big}
    assert got[unknown]["message_type"] == "hologram"
    assert got[unknown]["raw"]["hologram"] == {"depth": [1, {"x": None}]}
    assert got[odd_text]["text"] is None
    assert got[late]["text"] == "lone ? surrogate"
    assert got[late]["sent_at"] == got[late]["received_at"]
    assert got[big]["message_type"] == "sticker"
    assert [e.payload["wamid"] for e in await watcher.statuses()] == [status]


@pytest.mark.parametrize("depth", [31, 33, 252, 300])
async def test_absurdly_nested_auxiliary_objects_never_cost_the_other_items(
    gateway: Gateway, watcher: QueueWatcher, depth: int
) -> None:
    good, nested = new_wamid(), new_wamid()
    payload = text_message_webhook(from_=ANA, text="good", wamid=good)
    message = _value(payload)["messages"][0]
    deep: object = {"leaf": 1}
    for _ in range(depth):
        deep = {"d": deep}
    _value(payload)["messages"].append(dict(message, id=nested, type="image", image=deep))

    response = await gateway.post(payload)

    assert response.status_code == 200
    got = {e.payload["wamid"]: e.payload for e in await watcher.inbound()}
    assert set(got) == {good, nested}
    assert got[good]["text"] == "good"


async def test_webhooks_for_other_products_are_acknowledged_and_dropped(
    gateway: Gateway, watcher: QueueWatcher
) -> None:
    response = await gateway.post({"object": "page", "entry": [{"id": "1", "messaging": []}]})

    assert response.status_code == 200
    assert response.json()["ignored"] == 1
    assert await watcher.inbound() == []


async def test_a_signed_body_that_is_not_json_is_a_bad_request(
    gateway: Gateway, watcher: QueueWatcher
) -> None:
    assert (await gateway.post(b'{"object": "whatsapp_business_account", "entry": [')).status_code == 400
    assert (await gateway.post(b"\xff\xfe not utf-8")).status_code == 400
    assert (await gateway.post(b"[" * 100_000)).status_code == 400
    assert (await gateway.post(b'["an array"]')).status_code == 400
    assert await watcher.inbound() == []


async def test_bodies_over_the_limit_are_refused_before_verification(
    gateway: Gateway, watcher: QueueWatcher
) -> None:
    payload = text_message_webhook(from_=ANA, text="x" * (3 * 1024 * 1024), wamid=new_wamid())
    body = encode(payload)
    assert len(body) > gateway.settings.max_body_bytes

    assert (await gateway.post(body)).status_code == 413

    async def chunked() -> Any:
        # No Content-Length: only counting the bytes as they arrive can catch this one.
        for start in range(0, len(body), 256 * 1024):
            yield body[start : start + 256 * 1024]

    response = await gateway.client.post(
        "/api/webhooks/whatsapp",
        content=chunked(),
        headers={"x-hub-signature-256": sign(body, "test_app_secret")},
    )
    assert response.status_code == 413
    assert await watcher.inbound() == []


async def test_without_an_app_secret_every_post_is_refused(module_run_id: str, gateway: Gateway) -> None:
    settings = real_settings(GatewaySettings, module_run_id, "gateway", app_secret=None)
    payload = text_message_webhook(from_=ANA, text="hi", wamid=new_wamid())
    async with serving(settings) as unconfigured:
        assert (await unconfigured.post(payload)).status_code == 403
        assert (await unconfigured.post(payload, secret="")).status_code == 403
        assert (await unconfigured.post(payload, secret=None)).status_code == 403
    # Not recorded as processed: once configured, the gateway takes it.
    assert (await gateway.post(payload)).json()["messages"] == 1


async def test_the_longest_identifiers_accepted_fit_in_the_database(
    gateway: Gateway, watcher: QueueWatcher
) -> None:
    longest = 256
    wamid = "wamid." + uuid.uuid4().hex + "w" * (longest - 38)
    number = "9" * longest
    payload = text_message_webhook(
        from_="US." + "1" * (longest - 3), text="hi", wamid=wamid, phone_number_id=number
    )
    status = status_webhook(wamid=wamid, status="s" * longest, recipient_id=ANA, phone_number_id=number)
    _value(payload)["contacts"][0]["profile"]["name"] = "N" * 1000

    response = await gateway.post(merge_webhooks(payload, status))

    assert response.status_code == 200
    assert (response.json()["messages"], response.json()["statuses"]) == (1, 1)
    [event] = await watcher.inbound()
    assert len(event.payload["wamid"]) == longest
    assert len(event.payload["profile_name"]) == 256
    assert len(await watcher.statuses()) == 1
