"""Property tests of the webhook: whatever a signed body holds (malformed JSON, wrong types anywhere,
NUL and lone surrogates, huge strings, deep nesting, missing fields, garbage next to valid items),
the answer is a 2xx or a 4xx, never a 500, and every valid item in it is published.

The parser is fuzzed directly with many examples; the HTTP endpoint (real broker and database)
with fewer, so that the whole module takes seconds."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any

from gateway_harness import Gateway, QueueWatcher
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text as sa_text

from tasklane_common.messaging import Envelope
from tasklane_common.messaging.contracts.gateway import MessageReceived, StatusReceived, WhatsAppNotification
from tasklane_common.messaging.topology import ANALYTICS_EVENTS
from tasklane_gateway.events import message_envelope, notification_envelope, status_envelope
from tasklane_gateway.webhook import ParsedWebhook, parse
from tasklane_simulator import inbound as sim
from tasklane_simulator.payloads import encode

NOW = datetime(2026, 5, 1, tzinfo=UTC)

_SPECIAL = [
    "", "\x00", "a\x00b", "\ud800", "\udfff", "x\ud83d", "\U0001f44d", "\u202e", " ", "wamid.", "NaN",
    "1760000000", "-99999999999999999999", "9" * 300, "x" * 20_000,
]  # fmt: skip
_chars = st.one_of(st.characters(), st.sampled_from(["\x00", "\ud800", "\udc00", "\U0001f600"]))
strings = st.one_of(st.text(_chars, max_size=24), st.sampled_from(_SPECIAL))
# Values that broke parsers before: wider than 64 bits, not finite, out of datetime's range.
_EDGES = [2**64, -(2**63) - 1, 10**30, float("inf"), float("nan"), 1e308, -1e20, 0, True, None, [], {}]
scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), strings, st.sampled_from(_EDGES))


def _nest(depth: int) -> Any:
    value: Any = {"leaf": "\ud800"}
    for level in range(depth):
        value = [value] if level % 2 else {"d": value}
    return value


# Deep enough to exceed what the gateway keeps (32), shallow enough for json.loads (~1000).
junk = st.one_of(
    st.sampled_from(_EDGES + _SPECIAL),
    st.recursive(
        scalars,
        lambda kids: st.one_of(st.lists(kids, max_size=4), st.dictionaries(strings, kids, max_size=4)),
        max_leaves=10,
    ),
    st.integers(20, 300).map(_nest),
)
TYPES = ["text", "interactive", "button", "image", "audio", "document", "location", "reaction", "system"]

# A signed body shaped roughly like Meta's with anything anywhere: reaches every branch of the parser.
shaped_message = st.fixed_dictionaries(
    {},
    optional={
        "id": st.one_of(strings, st.integers(), junk),
        "from": st.one_of(strings, st.integers(), junk),
        "from_user_id": strings,
        "timestamp": st.one_of(strings, st.integers(), st.floats(), junk),
        "type": st.one_of(st.sampled_from(TYPES), junk),
        **{name: junk for name in TYPES},
        "context": junk,
        "referral": junk,
        "errors": junk,
    },
)
shaped_value = st.fixed_dictionaries(
    {},
    optional={
        "metadata": st.one_of(
            st.fixed_dictionaries({"phone_number_id": st.one_of(strings, st.integers())}), junk
        ),
        "contacts": st.one_of(st.lists(st.dictionaries(strings, junk, max_size=3), max_size=2), junk),
        "messages": st.one_of(st.lists(st.one_of(shaped_message, junk), max_size=4), junk),
        "statuses": st.one_of(
            st.lists(st.dictionaries(st.sampled_from(["id", "status", "pricing"]), junk)), junk
        ),
        "errors": junk,
    },
)
shaped_change = st.fixed_dictionaries(
    {
        "field": st.one_of(st.just("messages"), st.sampled_from(list(sim.OTHER_FIELDS)), junk),
        "value": shaped_value,
    }
)
shaped_payload = st.fixed_dictionaries(
    {
        "object": st.one_of(st.just("whatsapp_business_account"), junk),
        "entry": st.one_of(
            st.lists(
                st.one_of(
                    st.fixed_dictionaries({"id": junk, "changes": st.lists(st.one_of(shaped_change, junk))}),
                    junk,
                ),
                max_size=3,
            ),
            junk,
        ),
    }
)


def _wire(payload: dict[str, Any]) -> Any:
    """What the endpoint decodes: Meta's encoding (``\\uXXXX`` escapes, NaN...) read back."""
    return json.loads(encode(payload))


def _publishable(parsed: ParsedWebhook) -> None:
    """Every parsed item becomes an event that survives encoding and decoding on the wire."""
    for m in parsed.messages:
        Envelope.from_bytes(message_envelope(m, "user-1", NOW).to_bytes()).open(MessageReceived)
    for s in parsed.statuses:
        Envelope.from_bytes(status_envelope(s, NOW).to_bytes()).open(StatusReceived)
    for n in parsed.notifications:
        Envelope.from_bytes(notification_envelope(n, NOW).to_bytes()).open(WhatsAppNotification)


class Planted:
    """A valid batch with garbage planted around and inside it; remembers what must come out."""

    def __init__(self, updates: int) -> None:
        self.batch = sim.batch(updates, entries=2, changes_per_entry=2, messages_per_user=2)
        self.payload = self.batch.payload
        self.notification_fields: list[str] = []

    def plant(self, data: st.DataObject) -> None:
        # The valid parts, as targets: the garbage planted below is never planted into.
        entries = list(self.payload["entry"])
        changes = [c for e in entries for c in e["changes"]]
        values = [c["value"] for c in changes]
        messages = [m for v in values for m in v.get("messages", [])]
        statuses = [s for v in values for s in v.get("statuses", [])]
        bodies = [m[m["type"]] for m in messages if isinstance(m.get(m["type"]), dict)]
        for _ in range(data.draw(st.integers(1, 8), label="operations")):
            op = data.draw(st.sampled_from(_OPS), label="operation")
            if op == "insert item":
                value = data.draw(st.sampled_from(values))
                items = value["messages"] if "messages" in value else value["statuses"]
                items.insert(data.draw(st.integers(0, len(items))), data.draw(junk))
            elif op == "unknown key":
                target = data.draw(
                    st.sampled_from([self.payload, *entries, *changes, *values, *messages, *bodies])
                )
                target["x_" + data.draw(strings)] = data.draw(junk)
            elif op == "wrong message field" and messages:
                message = data.draw(st.sampled_from(messages))
                key = data.draw(
                    st.sampled_from(["timestamp", "context", "referral", "errors", message["type"]])
                )
                message[key] = data.draw(junk)
            elif op == "wrong status field" and statuses:
                status = data.draw(st.sampled_from(statuses))
                key = data.draw(st.sampled_from(_STATUS_AUX))
                status[key] = data.draw(junk)
            elif op == "wrong contacts":
                data.draw(st.sampled_from(values))["contacts"] = data.draw(junk)
            elif op == "wrong display number":
                data.draw(st.sampled_from(values))["metadata"]["display_phone_number"] = data.draw(junk)
            elif op == "garbage entry":
                at = data.draw(st.integers(0, len(self.payload["entry"])))
                self.payload["entry"].insert(at, data.draw(junk))
            elif op == "garbage change":
                data.draw(st.sampled_from(entries))["changes"].append(data.draw(junk))
            elif op == "other field":
                field = f"x_{uuid.uuid4().hex}"
                value = data.draw(st.dictionaries(strings, scalars, max_size=4))
                self.payload["entry"].append(
                    {"id": data.draw(junk), "changes": [{"field": field, "value": value}]}
                )
                self.notification_fields.append(field)


_OPS = [
    "insert item", "unknown key", "wrong message field", "wrong status field", "wrong contacts",
    "wrong display number", "garbage entry", "garbage change", "other field",
]  # fmt: skip
_STATUS_AUX = [
    "timestamp", "pricing", "conversation", "errors", "recipient_id", "recipient_user_id",
    "recipient_type", "biz_opaque_callback_data",
]  # fmt: skip
_SLOW = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.function_scoped_fixture]


# --- the parser, many examples ---------------------------------------------------------------


@settings(max_examples=250, deadline=None, suppress_health_check=_SLOW)
@given(shaped_payload)
def test_the_parser_never_raises_and_what_it_returns_can_be_published(payload: dict[str, Any]) -> None:
    parsed = parse(_wire(payload), received_at=NOW)

    _publishable(parsed)


@settings(max_examples=150, deadline=None, suppress_health_check=_SLOW)
@given(st.data())
def test_the_parser_keeps_every_valid_item_whatever_is_planted_around_it(data: st.DataObject) -> None:
    planted = Planted(data.draw(st.integers(1, 40), label="updates"))
    planted.plant(data)

    parsed = parse(_wire(planted.payload), received_at=NOW)

    assert {m.wamid for m in parsed.messages} >= set(planted.batch.message_wamids)
    assert {(s.wamid, s.status) for s in parsed.statuses} >= set(planted.batch.statuses)
    assert {n.field for n in parsed.notifications} >= set(planted.notification_fields)
    _publishable(parsed)


# --- the endpoint, fewer examples --------------------------------------------------------------


@settings(max_examples=60, deadline=None, suppress_health_check=_SLOW)
@given(st.data())
async def test_the_endpoint_publishes_every_valid_item_next_to_garbage(
    gateway: Gateway, module_watcher: QueueWatcher, data: st.DataObject
) -> None:
    planted = Planted(data.draw(st.integers(1, 12), label="updates"))
    planted.plant(data)

    response = await gateway.post(planted.payload)

    assert response.status_code == 200, response.text
    inbound = {e.payload["wamid"] for e in await module_watcher.inbound()}
    statuses = {(e.payload["wamid"], e.payload["status"]) for e in await module_watcher.statuses()}
    assert statuses >= set(planted.batch.statuses)
    everything = await module_watcher.take(ANALYTICS_EVENTS.name)
    # A message whose timestamp was bent to a date past Meta's retry horizon is kept as expired.
    expired = {e.payload["wamid"] for e in everything if e.type == "message.expired"}
    assert inbound | expired >= set(planted.batch.message_wamids)
    fields = {e.payload["field"] for e in everything if e.type == "whatsapp.notification"}
    assert fields >= set(planted.notification_fields)


@settings(max_examples=60, deadline=None, suppress_health_check=_SLOW)
@given(shaped_payload)
async def test_the_endpoint_never_answers_500_to_any_signed_shape(
    gateway: Gateway, payload: dict[str, Any]
) -> None:
    response = await gateway.post(payload)

    assert response.status_code in (200, 400, 413), response.text


@settings(max_examples=80, deadline=None, suppress_health_check=_SLOW)
@given(st.data())
async def test_the_endpoint_answers_malformed_bytes_with_a_4xx(gateway: Gateway, data: st.DataObject) -> None:
    body = bytearray(encode(sim.messages_webhook(sim.text(sim.random_user(0), "hi \ud800 \x00"))))
    for _ in range(data.draw(st.integers(1, 6), label="edits")):
        at = data.draw(st.integers(0, len(body)), label="at")
        edit = data.draw(st.sampled_from(["cut", "insert", "replace"]), label="edit")
        piece = data.draw(
            st.one_of(
                st.binary(min_size=1, max_size=8),
                st.sampled_from(
                    [b"\\u0000", b"\\ud800", b"\\uZZZZ", b"\\", b'"', b"{", b"]", b"\xff", b"\xc3"]
                ),
            ),
            label="bytes",
        )
        if edit == "cut":
            del body[at : at + len(piece)]
        elif edit == "insert":
            body[at:at] = piece
        else:
            body[at : at + len(piece)] = piece

    response = await gateway.post(bytes(body))

    assert response.status_code in (200, 400), response.text


@settings(max_examples=40, deadline=None, suppress_health_check=_SLOW)
@given(st.binary(max_size=2048))
async def test_the_endpoint_answers_arbitrary_bytes_with_a_4xx(gateway: Gateway, body: bytes) -> None:
    response = await gateway.post(body)

    assert 400 <= response.status_code < 500 or response.status_code == 200, response.text


def test_a_placeholder_sender_is_skipped_not_published() -> None:
    """Meta's sample payloads say ``"from": "<WHATSAPP_USER_PHONE_NUMBER>"``: nobody we could
    answer. Such a message is skipped at the edge; real wa_ids and business-scoped ids pass."""

    def message(wamid: str, **sender: str) -> dict[str, Any]:
        return {"id": wamid, "timestamp": "1764000000", "type": "text", "text": {"body": "hi"}, **sender}

    payload = {
        "object": "whatsapp_business_account",
        "entry": [{"id": "waba-1", "changes": [{"field": "messages", "value": {
            "messaging_product": "whatsapp",
            "metadata": {"display_phone_number": "15550001111", "phone_number_id": "pn-1"},
            "messages": [
                message("wamid.placeholder", **{"from": "<WHATSAPP_USER_PHONE_NUMBER>"}),
                message("wamid.real", **{"from": "447700900123"}),
                message("wamid.bsuid", from_user_id="US.13491208655302741918"),
            ],
        }}]}],
    }  # fmt: skip
    parsed = parse(payload, received_at=datetime.now(UTC))
    assert sorted(m.wamid for m in parsed.messages) == ["wamid.bsuid", "wamid.real"]
    assert parsed.skipped == 1


def _clean_strings(value: Any, path: str = "$") -> list[str]:
    """Where a decoded event still holds a NUL or a lone surrogate (none may)."""
    if isinstance(value, str):
        bad = "\x00" in value
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            bad = True
        return [path] if bad else []
    if isinstance(value, dict):
        return [
            p for k, v in value.items() for p in _clean_strings(k, path) + _clean_strings(v, f"{path}.{k}")
        ]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in _clean_strings(v, f"{path}[{i}]")]
    return []


@settings(max_examples=40, deadline=None, suppress_health_check=_SLOW)
@given(st.data())
async def test_every_published_event_is_free_of_nul_and_lone_surrogates(
    gateway: Gateway, module_watcher: QueueWatcher, data: st.DataObject
) -> None:
    """Untrusted text is made safe once, at the edge, for every consumer: whatever NUL characters
    and lone surrogates a signed webhook holds, no event on the wire carries one, and PostgreSQL
    (where analytics and the agent keep events as JSON) accepts every one of them as ``jsonb``."""
    if data.draw(st.booleans(), label="valid batch with garbage planted"):
        planted = Planted(data.draw(st.integers(1, 6), label="updates"))
        planted.plant(data)
        payload = planted.payload
    else:
        payload = data.draw(shaped_payload, label="shaped payload")
    await module_watcher.drain()
    response = await gateway.post(payload)
    assert response.status_code in (200, 400, 413), response.text

    bodies = await module_watcher.take_raw(ANALYTICS_EVENTS.name)
    for body in bodies:
        text = body.decode("utf-8")  # strict: no lone surrogate survives into the bytes
        assert "\\u0000" not in text
        assert _clean_strings(json.loads(text)) == []
    if bodies:
        async with gateway.app.state.runtime.db.read() as session:
            for body in bodies:
                await session.execute(sa_text("SELECT CAST(:body AS jsonb)"), {"body": body.decode()})
