"""Settings, signature checking and parsing, without servers."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest

from tasklane_gateway.contacts import ContactCache
from tasklane_gateway.contacts_repository import Contact
from tasklane_gateway.graph_probe import GraphProbe
from tasklane_gateway.settings import GatewaySettings
from tasklane_gateway.signature import expected_signature, signature_matches
from tasklane_gateway.webhook import parse
from tasklane_simulator.payloads import encode, merge_webhooks, sign, status_webhook, text_message_webhook

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def test_secrets_are_read_from_the_plain_whatsapp_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TASKLANE_GATEWAY_APP_SECRET", raising=False)
    monkeypatch.delenv("TASKLANE_GATEWAY_VERIFY_TOKEN", raising=False)
    monkeypatch.setenv("WHATSAPP_APP_SECRET", "from-meta-docs")
    monkeypatch.setenv("WHATSAPP_VERIFY_TOKEN", "hello")
    settings = GatewaySettings()
    assert settings.app_secret is not None
    assert settings.app_secret.get_secret_value() == "from-meta-docs"
    assert settings.verify_token is not None
    assert settings.verify_token.get_secret_value() == "hello"
    assert settings.port == 8001
    assert settings.max_body_bytes == 3 * 1024 * 1024
    assert "from-meta-docs" not in repr(settings)

    monkeypatch.setenv("TASKLANE_GATEWAY_APP_SECRET", "ours-wins")
    assert GatewaySettings().app_secret.get_secret_value() == "ours-wins"  # type: ignore[union-attr]
    explicit = GatewaySettings(app_secret="kw", verify_token="kw-token")
    assert explicit.app_secret is not None
    assert explicit.app_secret.get_secret_value() == "kw"


def test_a_blank_secret_counts_as_none(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TASKLANE_GATEWAY_APP_SECRET", raising=False)
    monkeypatch.setenv("WHATSAPP_APP_SECRET", "  ")
    assert GatewaySettings().app_secret is None
    assert GatewaySettings(verify_token="").verify_token is None


def test_the_signature_is_hmac_sha256_of_the_exact_bytes() -> None:
    body = encode(text_message_webhook(from_="5511999990000", text="Olá, ação"))
    assert b"\\u00e1" in body
    assert expected_signature(body, "s3cret") == sign(body, "s3cret")
    assert signature_matches(body, sign(body, "s3cret"), "s3cret")
    assert signature_matches(body, sign(body, "s3cret").upper().replace("SHA256=", "sha256="), "s3cret")
    assert not signature_matches(body, sign(body, "other"), "s3cret")
    assert not signature_matches(body + b" ", sign(body, "s3cret"), "s3cret")
    assert not signature_matches(body, sign(body, "s3cret")[7:], "s3cret")
    assert not signature_matches(body, "sha256=ünïcödé", "s3cret")


def test_parse_visits_every_entry_change_and_item() -> None:
    payload = merge_webhooks(
        text_message_webhook(from_="111111111", text="a", wamid="wamid.A", timestamp=1760000000),
        text_message_webhook(from_="222222222", text="b", wamid="wamid.B", phone_number_id="2"),
        status_webhook(wamid="wamid.S", status="read", recipient_id="111111111"),
    )
    payload["entry"][0]["changes"].append(payload["entry"][1]["changes"][0])

    parsed = parse(payload, received_at=NOW)

    assert [m.wamid for m in parsed.messages] == ["wamid.A", "wamid.B", "wamid.B"]
    assert [(s.wamid, s.status) for s in parsed.statuses] == [("wamid.S", "read")]
    assert parsed.messages[0].sent_at == datetime.fromtimestamp(1760000000, tz=UTC)
    assert parsed.messages[0].profile_name == "Test User"
    assert parsed.messages[1].phone_number_id == "2"
    assert (parsed.skipped, parsed.ignored) == (0, 0)


def test_a_username_user_without_phone_is_keyed_by_business_scoped_id() -> None:
    payload = text_message_webhook(from_="x", text="hi", wamid="wamid.U")
    value = payload["entry"][0]["changes"][0]["value"]
    del value["messages"][0]["from"]
    value["messages"][0]["from_user_id"] = "US.13491208655302741918"
    value["contacts"] = [
        {"profile": {"name": "Ana", "username": "ana"}, "user_id": "US.13491208655302741918"}
    ]

    [message] = parse(payload, received_at=NOW).messages

    assert message.sender == "US.13491208655302741918"
    assert message.wa_id is None
    assert message.profile_name == "Ana"


def test_identifiers_that_cannot_be_meta_s_make_the_item_skipped() -> None:
    payload = text_message_webhook(from_="111111111", text="a", wamid="wamid.ok")
    messages = payload["entry"][0]["changes"][0]["value"]["messages"]
    messages += [
        dict(messages[0], id="w" * 300),
        dict(messages[0], id="wamid.\n"),
        dict(messages[0], id=True),
    ]

    parsed = parse(payload, received_at=NOW)

    assert [m.wamid for m in parsed.messages] == ["wamid.ok"]
    assert parsed.skipped == 3


async def test_the_probe_masks_the_token_before_cutting_a_long_graph_error() -> None:
    # A token straddling the 300-character cut must not leave its head in the answer.
    token = "EAAG" + "t" * 40
    message = "x" * 290 + token

    def graph(_request: httpx.Request) -> httpx.Response:
        return httpx.Response(400, json={"error": {"message": message, "code": 190}})

    async with httpx.AsyncClient(transport=httpx.MockTransport(graph)) as client:
        result = await GraphProbe(client, GatewaySettings()).check("pn1", token)

    assert "EAAG" not in str(result)
    assert "***" in str(result)


def test_the_contacts_cache_stays_bounded_under_a_stream_of_first_time_senders() -> None:
    """A gateway answering ever new senders must not keep every one it ever saw (the soak run's
    memory growth): entries beyond the cap go oldest first, and expired ones go as time passes."""
    now = [0.0]
    cache = ContactCache(300.0, max_entries=1_000, clock=lambda: now[0])
    when = datetime.now(UTC)

    def contact(i: int) -> Contact:
        return Contact(f"u{i}", "pn", f"55119{i:08d}", None, None, None, "auto", when, when)

    for i in range(20_000):
        cache.put([contact(i)], version=1)
        now[0] += 0.001
    assert len(cache) == 1_000
    # The newest stay, the oldest went.
    assert cache.get(("w", "pn", f"55119{19_999:08d}"), 1) is not None
    assert cache.get(("w", "pn", f"55119{0:08d}"), 1) is None

    now[0] += 301
    assert len(cache) == 0
    assert cache.stats()["entries"] == 0
