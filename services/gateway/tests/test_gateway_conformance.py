"""Conformance with Meta's webhook contract, through the real gateway on the real broker and database:
for every inbound message type, every status and every other webhook field, a realistic signed
payload yields the right normalised event; Meta-sized batches lose nothing."""

from __future__ import annotations

import random
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from gateway_harness import Gateway, QueueWatcher

from tasklane_common.messaging import Envelope, deterministic_id
from tasklane_common.messaging.topology import ANALYTICS_EVENTS
from tasklane_simulator import inbound as sim
from tasklane_simulator.payloads import DEFAULT_DISPLAY_NUMBER, DEFAULT_PHONE_NUMBER_ID, encode, new_wamid

OURS = new_wamid()


def _user(*, phone: bool = True) -> sim.User:
    """A user of their own per case: the per-user inbound rate limit never interferes."""
    tag = secrets.randbelow(10**8)
    return sim.User(
        wa_id=f"55119{tag:08d}" if phone else None,
        name=f"Conformance {tag}",
        bsuid=sim.new_bsuid("BR"),
        parent_bsuid=sim.new_bsuid("BR") if not phone else None,
        username=None if phone else f"user{tag}",
    )


@dataclass(frozen=True)
class Case:
    """A message and the fields its ``message.received`` event must carry."""

    inbound: sim.Inbound
    expected: dict[str, Any]


def _body(inbound: sim.Inbound) -> Any:
    return inbound.message[inbound.message["type"]]


def _text(u: sim.User) -> Case:
    i = sim.text(u, "add task: buy milk \u00e1\u00e7\u00e3o \U0001f95b")
    expected = {
        "text": "add task: buy milk \u00e1\u00e7\u00e3o \U0001f95b",
        "raw": {},
        "media": None,
        "context": None,
    }
    return Case(i, expected)


def _reply(u: sim.User) -> Case:
    i = sim.text(u, "yes, that one", context=sim.reply_context(OURS))
    return Case(i, {"text": "yes, that one", "context_wamid": OURS, "context": sim.reply_context(OURS)})


def _forwarded(u: sim.User) -> Case:
    i = sim.text(u, "look at this", context=sim.forwarded_context())
    return Case(i, {"context": {"forwarded": True}, "context_wamid": None})


def _frequently_forwarded(u: sim.User) -> Case:
    i = sim.image(u, caption="chain letter", context=sim.forwarded_context(frequently=True))
    return Case(i, {"context": {"frequently_forwarded": True}, "text": "chain letter"})


def _referral(u: sim.User) -> Case:
    i = sim.text(u, "I saw your ad", referral=sim.ad_referral())
    return Case(i, {"referral": sim.ad_referral(), "text": "I saw your ad"})


def _button_reply(u: sim.User) -> Case:
    i = sim.button_reply(u, "task-done", "Done", replying_to=OURS)
    expected = {
        "interactive_type": "button_reply",
        "reply_id": "task-done",
        "text": "Done",
        "context_wamid": OURS,
    }
    return Case(i, expected | {"raw": {}})


def _list_reply(u: sim.User) -> Case:
    i = sim.list_reply(u, "p-high", "High", replying_to=OURS, description="Due today")
    expected = {"interactive_type": "list_reply", "reply_id": "p-high", "text": "High", "context_wamid": OURS}
    # The row's description has no normalised field: the message is kept whole in raw.
    return Case(i, expected | {"raw": i.message})


def _flow_reply(u: sim.User) -> Case:
    i = sim.flow_reply(u, '{"flow_token": "t-1", "date": "2026-01-02"}', replying_to=OURS)
    return Case(i, {"interactive_type": "nfm_reply", "reply_id": None, "raw": i.message})


def _template_button(u: sim.User) -> Case:
    i = sim.template_button(u, "SNOOZE_1H", "Snooze 1h", replying_to=OURS)
    return Case(i, {"reply_id": "SNOOZE_1H", "text": "Snooze 1h", "context_wamid": OURS, "raw": {}})


def _image(u: sim.User) -> Case:
    i = sim.image(u, caption="the receipt")
    return Case(i, {"media": _body(i), "text": "the receipt", "raw": {}})


def _voice(u: sim.User) -> Case:
    i = sim.audio(u, voice=True)
    assert _body(i)["voice"] is True
    return Case(i, {"media": _body(i), "text": None})


def _audio_file(u: sim.User) -> Case:
    i = sim.audio(u, voice=False)
    return Case(i, {"media": _body(i)})


def _video(u: sim.User) -> Case:
    i = sim.video(u, caption="how it broke")
    return Case(i, {"media": _body(i), "text": "how it broke"})


def _document(u: sim.User) -> Case:
    i = sim.document(u, "invoice-0042.pdf", caption="invoice")
    assert _body(i)["filename"] == "invoice-0042.pdf"
    return Case(i, {"media": _body(i), "text": "invoice"})


def _sticker(u: sim.User) -> Case:
    i = sim.sticker(u, animated=True)
    return Case(i, {"media": _body(i), "text": None})


def _location(u: sim.User) -> Case:
    i = sim.location(u, 37.4847, -122.1477, name="Meta HQ")
    return Case(i, {"location": _body(i), "raw": {}})


def _bare_location(u: sim.User) -> Case:
    i = sim.location(u, -23.5505, -46.6333)
    return Case(i, {"location": {"latitude": -23.5505, "longitude": -46.6333}})


def _reaction(u: sim.User) -> Case:
    i = sim.reaction(u, OURS, "\U0001f44d")
    return Case(i, {"reaction": {"message_id": OURS, "emoji": "\U0001f44d", "removed": False}, "text": None})


def _reaction_removed_empty(u: sim.User) -> Case:
    i = sim.reaction(u, OURS, "")
    return Case(i, {"reaction": {"message_id": OURS, "emoji": None, "removed": True}})


def _reaction_removed_missing(u: sim.User) -> Case:
    i = sim.reaction(u, OURS, None)
    return Case(i, {"reaction": {"message_id": OURS, "emoji": None, "removed": True}})


def _contacts(u: sim.User) -> Case:
    cards = [
        sim.contact_card("Bruno Lima", "+55 11 98888-7777", "5511988887777"),
        sim.contact_card("Li Wei", "+86 10 1234"),
    ]
    return Case(sim.contacts(u, *cards), {"contacts": cards, "raw": {}})


def _order(u: sim.User) -> Case:
    i = sim.order(u, "gift wrap please")
    return Case(i, {"order": _body(i), "text": "gift wrap please"})


def _changed_number(u: sim.User) -> Case:
    i = sim.changed_number(u, "5511955554444")
    assert i.contact is None
    expected = {"system": _body(i), "wa_id": u.wa_id, "profile_name": None, "bsuid": u.bsuid}
    return Case(i, expected | {"text": None})


def _unsupported(u: sim.User) -> Case:
    i = sim.unsupported(u, "poll_update")
    return Case(i, {"errors": i.message["errors"], "raw": i.message})


def _unknown_type(u: sim.User) -> Case:
    i = sim.message(u, "hologram", {"frames": [1, 2, {"x": None}], "note": "from the future"})
    return Case(i, {"raw": i.message, "text": None})


def _unknown_field(u: sim.User) -> Case:
    i = sim.text(u, "with extras", identity={"acknowledged": True}, edited=True)
    return Case(i, {"text": "with extras", "raw": i.message})


def _no_phone_number(u: sim.User) -> Case:
    # A user with a username: Meta sends no `from` and no `wa_id`, only business-scoped ids.
    v = _user(phone=False)
    i = sim.text(v, "hi from a username")
    assert "from" not in i.message
    expected = {"wa_id": None, "bsuid": v.bsuid, "parent_bsuid": v.parent_bsuid, "username": v.username}
    return Case(i, expected | {"profile_name": v.name, "text": "hi from a username"})


CASES: dict[str, Callable[[sim.User], Case]] = {
    f.__name__.lstrip("_"): f
    for f in (
        _text, _reply, _forwarded, _frequently_forwarded, _referral, _button_reply, _list_reply, _flow_reply,
        _template_button, _image, _voice, _audio_file, _video, _document, _sticker, _location, _bare_location,
        _reaction, _reaction_removed_empty, _reaction_removed_missing, _contacts, _order, _changed_number,
        _unsupported, _unknown_type, _unknown_field, _no_phone_number,
    )
}  # fmt: skip


@pytest.mark.parametrize("name", list(CASES))
async def test_every_inbound_type_yields_its_normalised_event(
    gateway: Gateway, watcher: QueueWatcher, name: str
) -> None:
    user = _user()
    case = CASES[name](user)
    payload = sim.messages_webhook(case.inbound)

    response = await gateway.post(payload)

    assert response.status_code == 200
    assert response.json()["messages"] == 1
    [event] = await watcher.inbound()
    assert event.id == deterministic_id("message.received", case.inbound.wamid)
    p = event.payload
    sender = case.inbound.contact or user.contact()
    assert p["wamid"] == case.inbound.wamid
    assert p["message_type"] == case.inbound.message["type"]
    assert p["phone_number_id"] == DEFAULT_PHONE_NUMBER_ID
    assert p["display_phone_number"] == DEFAULT_DISPLAY_NUMBER
    assert p["user_id"]
    assert p["sent_at"] is not None
    defaults = {
        "wa_id": sender.get("wa_id"),
        "bsuid": sender.get("user_id"),
        "profile_name": sender["profile"]["name"],
    }
    for key, want in (defaults | case.expected).items():
        assert p[key] == want, key


@pytest.mark.parametrize("status", ["sent", "delivered", "read", "failed", "played"])
async def test_every_status_yields_its_event_with_pricing_errors_and_conversation(
    gateway: Gateway, watcher: QueueWatcher, status: str
) -> None:
    recipient, wamid = _user(), new_wamid()
    errors = [sim.failure(131026, "Message undeliverable")] if status == "failed" else None
    item = sim.status(
        wamid, status, recipient, callback_data="reply-42", errors=errors, pricing=status != "played"
    )

    response = await gateway.post(sim.statuses_webhook(item))

    assert response.json()["statuses"] == 1
    [event] = await watcher.statuses()
    assert event.id == deterministic_id("status.received", wamid, status)
    p = event.payload
    assert (p["wamid"], p["status"], p["phone_number_id"]) == (wamid, status, DEFAULT_PHONE_NUMBER_ID)
    assert p["recipient_id"] == recipient.wa_id
    assert p["recipient_bsuid"] == recipient.bsuid
    assert p["recipient_type"] == "individual"
    assert p["biz_opaque_callback_data"] == "reply-42"
    assert p["pricing"] == item.get("pricing")
    assert p["conversation"] == item.get("conversation")
    assert p["errors"] == item.get("errors", [])
    if status == "failed":
        assert p["errors"][0]["code"] == 131026
    if status == "sent":
        assert p["conversation"]["origin"] == {"type": "service"}


async def test_a_status_for_a_user_known_only_by_bsuid(gateway: Gateway, watcher: QueueWatcher) -> None:
    recipient, wamid = _user(phone=False), new_wamid()

    await gateway.post(sim.statuses_webhook(sim.status(wamid, "read", recipient)))

    [event] = await watcher.statuses()
    assert (event.payload["recipient_id"], event.payload["recipient_bsuid"]) == (None, recipient.bsuid)


async def _notifications(watcher: QueueWatcher) -> list[Envelope]:
    events = await watcher.take(ANALYTICS_EVENTS.name)
    return [e for e in events if e.type == "whatsapp.notification"]


async def test_other_webhook_fields_are_published_once_as_notifications(
    gateway: Gateway, watcher: QueueWatcher
) -> None:
    values = {field: make() for field, make in sim.OTHER_FIELDS.items()}
    waba_ids = {field: str(102290129340398 + n) for n, field in enumerate(values)}
    payload: dict[str, Any] = {
        "object": "whatsapp_business_account",
        "entry": [{"id": waba_ids[f], "changes": [sim.field_change(f, v)]} for f, v in values.items()],
    }
    # Messages and other fields may share one POST.
    payload["entry"][0]["changes"].append(sim.messages_change(sim.text(_user(), "hi")))

    response = await gateway.post(payload)

    assert response.status_code == 200
    assert (response.json()["notifications"], response.json()["messages"]) == (len(values), 1)
    got = {e.payload["field"]: e for e in await _notifications(watcher)}
    assert set(got) == set(values)
    for field, event in got.items():
        assert event.payload["value"] == values[field]
        assert event.payload["waba_id"] == waba_ids[field]
        assert event.producer == "gateway"
    assert len(await watcher.inbound()) == 1

    # Meta's retry of the same notifications publishes nothing new.
    again = await gateway.post(payload)
    assert again.json()["notifications"] == 0
    assert again.json()["duplicates"] == len(values) + 1
    assert await _notifications(watcher) == []


async def test_a_thousand_updates_in_one_post_yield_a_thousand_events(
    gateway: Gateway, watcher: QueueWatcher
) -> None:
    batch = sim.batch(1000, entries=4, changes_per_entry=5)
    assert batch.updates == 1000
    assert len(encode(batch.payload)) < gateway.settings.max_body_bytes

    response = await gateway.post(batch.payload)

    assert response.status_code == 200
    counts = response.json()
    assert (counts["messages"], counts["statuses"], counts["skipped"]) == (700, 300, 0)
    inbound = await watcher.inbound()
    statuses = await watcher.statuses()
    assert sorted(e.payload["wamid"] for e in inbound) == sorted(batch.message_wamids)
    assert sorted((e.payload["wamid"], e.payload["status"]) for e in statuses) == sorted(batch.statuses)
    assert {e.payload["message_type"] for e in inbound} >= {
        "text", "interactive", "button", "image", "audio", "video", "document", "sticker",
        "location", "reaction", "contacts", "order", "unsupported",
    }  # fmt: skip
    assert any(e.payload["wa_id"] is None and e.payload["bsuid"] for e in inbound)


async def test_bad_items_in_a_batch_never_cost_the_others(gateway: Gateway, watcher: QueueWatcher) -> None:
    batch = sim.batch(300, entries=3, changes_per_entry=4)
    rng = random.Random(7)
    garbage: list[Any] = [
        None, 42, "text", [], {}, {"id": None}, {"id": "w" * 1000, "from": "1"}, {"id": 7.5},
        {"id": new_wamid(), "type": "text"}, {"from": "5511", "type": "image", "image": "x"},
    ]  # fmt: skip
    planted = 0
    for entry in batch.payload["entry"]:
        for change in entry["changes"]:
            items = change["value"].get("messages") or change["value"]["statuses"]
            for bad in rng.sample(garbage, 3):
                items.insert(rng.randrange(len(items) + 1), bad)
                planted += 1
    batch.payload["entry"].insert(1, 42)
    planted += 1

    response = await gateway.post(batch.payload)

    assert response.status_code == 200
    assert response.json()["skipped"] == planted
    assert sorted(e.payload["wamid"] for e in await watcher.inbound()) == sorted(batch.message_wamids)
    assert len(await watcher.statuses()) == len(batch.statuses)


async def test_a_body_over_meta_s_3_mb_is_refused_with_413(gateway: Gateway, watcher: QueueWatcher) -> None:
    user = _user()
    payload = sim.messages_webhook(*(sim.image(user, caption="x" * 4000) for _ in range(800)))
    body = encode(payload)
    assert len(body) > 3 * 1024 * 1024

    assert (await gateway.post(body)).status_code == 413
    assert await watcher.inbound() == []
