"""Integrations: several Meta apps and phone numbers, secrets sealed at rest, per-app webhook
signatures and verify tokens, NumberConfigured events, test connection and secrets rotation."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from gateway_admin_harness import AUTH, admin_gateway, auth, post_signed, text_webhook
from gateway_harness import APP_SECRET, VERIFY_TOKEN, Gateway, QueueWatcher, watching
from sqlalchemy import select

from tasklane_common.messaging import Envelope
from tasklane_common.messaging.topology import AGENT_INBOUND, SENDER_INTEGRATIONS, SENDER_REPLIES
from tasklane_common.secrets import SecretBox, SecretsError, generate_key
from tasklane_common.settings import Role
from tasklane_common.testing import database_url, real_settings
from tasklane_gateway.settings import GatewaySettings
from tasklane_gateway.tables import apps, audit_log, phone_numbers
from tasklane_simulator.payloads import DEFAULT_PHONE_NUMBER_ID

KEY = generate_key()
BOX = SecretBox.from_keys(KEY)
ADMIN = auth(Role.ADMIN)


def _uid(prefix: str) -> str:
    return f"{prefix}{uuid.uuid4().int % 10**12}"


def _meta_id() -> str:
    """A phone number or WABA id in Meta's shape (digits), unique to this run."""
    return str(10**14 + uuid.uuid4().int % 10**14)


@pytest.fixture(scope="module")
async def gw(module_run_id: str) -> AsyncIterator[Gateway]:
    settings = real_settings(
        GatewaySettings,
        module_run_id,
        "gateway",
        app_secret=APP_SECRET,
        verify_token=VERIFY_TOKEN,
        auth=AUTH,
        integrations_refresh_s=0.3,
    )
    async with admin_gateway(settings, BOX) as gateway:
        yield gateway


@pytest.fixture(scope="module")
async def queues(gw: Gateway, module_run_id: str) -> AsyncIterator[QueueWatcher]:
    async with watching(f"{module_run_id}.") as watcher:
        yield watcher


async def _app(gw: Gateway, secret: str | None = None, token: str | None = None) -> str:
    app_id = _uid("app")
    body: dict[str, Any] = {"app_id": app_id, "name": f"App {app_id}"}
    if secret:
        body["app_secret"] = secret
    if token:
        body["verify_token"] = token
    response = await gw.client.post("/api/v1/gateway/apps", json=body, headers=ADMIN)
    assert response.status_code == 201, response.text
    return app_id


async def _number(gw: Gateway, app_id: str, **extra: Any) -> dict[str, Any]:
    body = {"phone_number_id": extra.pop("phone_number_id", _meta_id()), "app_id": app_id, **extra}
    response = await gw.client.post("/api/v1/gateway/numbers", json=body, headers=ADMIN)
    assert response.status_code == 201, response.text
    return dict(response.json())


async def _events(queues: QueueWatcher, queue: str, want: int, timeout: float = 10.0) -> list[Envelope]:
    """Everything that reached ``queue`` once at least ``want`` events are there (or time is up)."""
    got: list[Envelope] = []
    deadline = asyncio.get_running_loop().time() + timeout
    while len(got) < want and asyncio.get_running_loop().time() < deadline:
        got += await queues.take(queue)
        if len(got) < want:
            await asyncio.sleep(0.05)
    return got


async def test_apps_and_numbers_can_be_created_read_changed_and_deleted(gw: Gateway) -> None:
    app_id = await _app(gw, secret="crud-app-secret-1", token="crud-verify-1")
    shown = (await gw.client.get(f"/api/v1/gateway/apps/{app_id}", headers=ADMIN)).json()
    assert shown["app_secret"] == {"set": True}
    assert shown["verify_token"] == {"set": True}
    assert "crud-app-secret-1" not in str(shown)

    changed = await gw.client.patch(
        f"/api/v1/gateway/apps/{app_id}", json={"name": "Renamed", "verify_token": None}, headers=ADMIN
    )
    assert changed.status_code == 200
    assert changed.json()["name"] == "Renamed"
    assert changed.json()["verify_token"] == {"set": False}

    number = await _number(gw, app_id, access_token="crud-token-1", display_phone_number="+1 555 000 1111")
    pn = number["phone_number_id"]
    assert number["access_token"] == {"set": True}
    assert number["version"] == 1
    assert number["state"] == "active"
    listed = (await gw.client.get("/api/v1/gateway/numbers", params={"app_id": app_id}, headers=ADMIN)).json()
    assert [n["phone_number_id"] for n in listed["items"]] == [pn]

    disabled = await gw.client.patch(
        f"/api/v1/gateway/numbers/{pn}", json={"state": "disabled"}, headers=ADMIN
    )
    assert disabled.json()["state"] == "disabled"
    assert disabled.json()["version"] == 2

    # An app with numbers cannot go; once they are deleted it can.
    assert (await gw.client.delete(f"/api/v1/gateway/apps/{app_id}", headers=ADMIN)).status_code == 409
    assert (await gw.client.delete(f"/api/v1/gateway/numbers/{pn}", headers=ADMIN)).status_code == 204
    assert (await gw.client.get(f"/api/v1/gateway/numbers/{pn}", headers=ADMIN)).status_code == 404
    assert (await gw.client.delete(f"/api/v1/gateway/apps/{app_id}", headers=ADMIN)).status_code == 204
    assert (await gw.client.get(f"/api/v1/gateway/apps/{app_id}", headers=ADMIN)).status_code == 404


async def test_bad_input_gets_a_clear_4xx(gw: Gateway) -> None:
    app_id = await _app(gw)
    cases = [
        ("post", "/api/v1/gateway/apps", {"app_id": app_id, "name": "again"}, 409),
        ("post", "/api/v1/gateway/apps", {"app_id": "default", "name": "reserved"}, 409),
        ("post", "/api/v1/gateway/apps", {"app_id": "bad id/../x", "name": "x"}, 422),
        ("post", "/api/v1/gateway/apps", {"app_id": _uid("a"), "name": "x", "app_secret": "  "}, 422),
        ("post", "/api/v1/gateway/numbers", {"phone_number_id": _meta_id(), "app_id": "no-such-app"}, 409),
        (
            "post",
            "/api/v1/gateway/numbers",
            {"phone_number_id": _meta_id(), "app_id": app_id, "state": "x"},
            422,
        ),
        ("patch", f"/api/v1/gateway/apps/{app_id}", {}, 400),
        ("patch", f"/api/v1/gateway/apps/{app_id}", {"name": None}, 400),
        ("patch", "/api/v1/gateway/numbers/999000111222333", {"state": "active"}, 404),
        ("get", f"/api/v1/gateway/audit?offset={10**30}", None, 422),
        ("get", "/api/v1/gateway/audit?since=yesterday", None, 422),
        ("get", "/api/v1/gateway/audit?limit=0", None, 422),
    ]
    for method, path, body, status in cases:
        response = await gw.client.request(method, path, json=body, headers=ADMIN)
        assert response.status_code == status, (path, body, response.text)


async def test_secrets_are_sealed_at_rest_and_bound_to_their_owner(gw: Gateway) -> None:
    secret, token, access = (
        "rest-secret-" + uuid.uuid4().hex,
        "rest-verify-" + uuid.uuid4().hex,
        "EAAG" + uuid.uuid4().hex,
    )
    app_id = await _app(gw, secret=secret, token=token)
    pn = (await _number(gw, app_id, access_token=access))["phone_number_id"]

    runtime = gw.app.state.runtime
    async with runtime.db.read() as session:
        app_row = (await session.execute(select(apps).where(apps.c.app_id == app_id))).mappings().one()
        number_row = (
            (await session.execute(select(phone_numbers).where(phone_numbers.c.phone_number_id == pn)))
            .mappings()
            .one()
        )
    stored = str(dict(app_row)) + str(dict(number_row))
    for plaintext in (secret, token, access):
        assert plaintext not in stored
    assert app_row["app_secret"].startswith("tlsec:v1:")
    assert BOX.open(app_row["app_secret"], aad=app_id) == secret
    assert BOX.open(number_row["access_token"], aad=pn) == access
    # A sealed value copied onto another row does not open there.
    with pytest.raises(SecretsError):
        BOX.open(number_row["access_token"], aad=pn + "0")


async def test_storing_a_secret_without_a_secrets_key_is_refused(module_run_id: str) -> None:
    settings = real_settings(GatewaySettings, module_run_id, "gateway", auth=AUTH)
    async with admin_gateway(settings, SecretBox(None)) as keyless:
        body = {"app_id": _uid("app"), "name": "n", "app_secret": "would-be-in-clear"}
        refused = await keyless.client.post("/api/v1/gateway/apps", json=body, headers=ADMIN)
        assert refused.status_code == 409
        assert "TASKLANE_SECRETS_KEY" in refused.json()["detail"]
        body.pop("app_secret")
        assert (
            await keyless.client.post("/api/v1/gateway/apps", json=body, headers=ADMIN)
        ).status_code == 201


async def test_each_app_signs_for_its_own_numbers_only(gw: Gateway, queues: QueueWatcher) -> None:
    secret_a, secret_b = "secret-a-" + uuid.uuid4().hex, "secret-b-" + uuid.uuid4().hex
    app_a, app_b = await _app(gw, secret=secret_a), await _app(gw, secret=secret_b)
    pn_a = (await _number(gw, app_a))["phone_number_id"]
    pn_b = (await _number(gw, app_b))["phone_number_id"]
    await queues.take(AGENT_INBOUND.name)

    ok_a = await post_signed(gw, text_webhook(pn_a, _uid("wamid.A")), secret_a)
    ok_b = await post_signed(
        gw, text_webhook(pn_b, _uid("wamid.B")), secret_b, f"/api/webhooks/whatsapp/{app_b}"
    )
    # The env default app still signs for numbers nobody registered (zero-config).
    ok_default = await post_signed(gw, text_webhook(_meta_id(), _uid("wamid.D")), APP_SECRET)
    assert [r.status_code for r in (ok_a, ok_b, ok_default)] == [200, 200, 200]
    assert len(await _events(queues, AGENT_INBOUND.name, 3)) == 3

    # On app A's callback URL only A's secret counts.
    wrong_url = await post_signed(
        gw, text_webhook(pn_b, _uid("wamid.X")), secret_b, f"/api/webhooks/whatsapp/{app_a}"
    )
    assert wrong_url.status_code == 403
    unknown = await post_signed(gw, text_webhook(pn_b, _uid("wamid.X")), "never-configured")
    assert unknown.status_code == 403


async def test_an_app_cannot_inject_messages_for_another_apps_number(
    gw: Gateway, queues: QueueWatcher
) -> None:
    secret_a, secret_b = "inj-a-" + uuid.uuid4().hex, "inj-b-" + uuid.uuid4().hex
    app_a, app_b = await _app(gw, secret=secret_a), await _app(gw, secret=secret_b)
    pn_a = (await _number(gw, app_a, waba_id=_meta_id()))["phone_number_id"]
    pn_b = (await _number(gw, app_b))["phone_number_id"]
    await queues.take(AGENT_INBOUND.name)
    mine, theirs = _uid("wamid.mine"), _uid("wamid.theirs")
    payload = text_webhook(pn_b, mine)
    payload["entry"] += text_webhook(pn_a, theirs)["entry"]

    response = await post_signed(gw, payload, secret_b)

    assert response.status_code == 200
    assert response.json()["foreign"] == 1
    # Published with confirms before the 200: what reached the queue is all there will be.
    assert response.json()["messages"] == 1
    events = await _events(queues, AGENT_INBOUND.name, 1)
    assert [e.payload["wamid"] for e in events] == [mine]


async def test_a_number_sent_as_a_json_integer_is_still_owned_by_its_app(
    gw: Gateway, queues: QueueWatcher
) -> None:
    # The parser reads 111 as the number "111": ownership must be checked on that same text.
    secret_a, secret_b = "int-a-" + uuid.uuid4().hex, "int-b-" + uuid.uuid4().hex
    app_a = await _app(gw, secret=secret_a)
    await _app(gw, secret=secret_b)
    pn_a = str(uuid.uuid4().int % 10**12)
    await _number(gw, app_a, phone_number_id=pn_a)
    await queues.take(AGENT_INBOUND.name)
    payload = text_webhook(pn_a, _uid("wamid.int"), waba_id=_meta_id())
    payload["entry"][0]["changes"][0]["value"]["metadata"]["phone_number_id"] = int(pn_a)

    response = await post_signed(gw, payload, secret_b)

    assert response.status_code == 200
    assert response.json()["foreign"] == 1
    assert response.json()["messages"] == 0
    assert await queues.take(AGENT_INBOUND.name) == []


async def test_a_number_moved_on_another_replica_is_not_dropped_by_a_stale_copy(
    gw: Gateway, module_run_id: str
) -> None:
    settings = real_settings(
        GatewaySettings, module_run_id, "gateway", auth=AUTH, integrations_refresh_s=3600
    )
    secret_a, secret_b = "mv-a-" + uuid.uuid4().hex, "mv-b-" + uuid.uuid4().hex
    app_a, app_b = await _app(gw, secret=secret_a), await _app(gw, secret=secret_b)
    pn = (await _number(gw, app_a))["phone_number_id"]
    async with admin_gateway(settings, BOX) as stale:
        loaded = await post_signed(stale, text_webhook(pn, _uid("wamid.before")), secret_a)
        assert loaded.json()["messages"] == 1
        moved = await gw.client.patch(f"/api/v1/gateway/numbers/{pn}", json={"app_id": app_b}, headers=ADMIN)
        assert moved.status_code == 200, moved.text

        response = await post_signed(stale, text_webhook(pn, _uid("wamid.after")), secret_b)

    assert response.json()["foreign"] == 0
    assert response.json()["messages"] == 1


async def test_verify_tokens_per_app(gw: Gateway) -> None:
    token_a = "verify-a-" + uuid.uuid4().hex
    app_a, app_b = await _app(gw, token=token_a), await _app(gw, token="verify-b-" + uuid.uuid4().hex)

    def params(token: str) -> dict[str, str]:
        return {"hub.mode": "subscribe", "hub.verify_token": token, "hub.challenge": "1158201444"}

    assert (await gw.client.get("/api/webhooks/whatsapp", params=params(token_a))).text == "1158201444"
    assert (await gw.client.get(f"/api/webhooks/whatsapp/{app_a}", params=params(token_a))).status_code == 200
    assert (await gw.client.get(f"/api/webhooks/whatsapp/{app_b}", params=params(token_a))).status_code == 403
    assert (await gw.client.get("/api/webhooks/whatsapp", params=params(VERIFY_TOKEN))).status_code == 200


async def test_every_number_change_publishes_number_configured_with_a_sealed_token(
    gw: Gateway, queues: QueueWatcher
) -> None:
    await queues.take(SENDER_INTEGRATIONS.name)
    access = "EAAG-" + uuid.uuid4().hex
    app_id = await _app(gw)
    pn = (await _number(gw, app_id, access_token=access, throughput_per_s=200, waba_id="4242"))[
        "phone_number_id"
    ]
    await gw.client.patch(
        f"/api/v1/gateway/numbers/{pn}", json={"display_phone_number": "15550009999"}, headers=ADMIN
    )
    await gw.client.delete(f"/api/v1/gateway/numbers/{pn}", headers=ADMIN)

    events = [
        e for e in await _events(queues, SENDER_INTEGRATIONS.name, 3) if e.payload["phone_number_id"] == pn
    ]

    assert [(e.type, e.payload["version"], e.payload["state"]) for e in events] == [
        ("integration.number_configured", 1, "active"),
        ("integration.number_configured", 2, "active"),
        ("integration.number_configured", 3, "deleted"),
    ]
    first = events[0].payload
    assert first["app_id"] == app_id
    assert first["throughput_per_s"] == 200
    assert first["waba_id"] == "4242"
    assert access not in str(first)
    assert BOX.open(first["access_token_encrypted"], aad=pn) == access
    assert events[2].payload["access_token_encrypted"] is None


async def test_changes_made_by_another_replica_are_honoured_within_the_refresh_time(
    gw: Gateway, module_run_id: str
) -> None:
    settings = real_settings(GatewaySettings, module_run_id, "gateway", auth=AUTH)
    secret = "replica-" + uuid.uuid4().hex
    async with admin_gateway(settings, BOX) as other:
        app_id = await _app(other, secret=secret)
    payload = text_webhook(_meta_id(), _uid("wamid.R"))
    deadline = asyncio.get_running_loop().time() + 5
    while (await post_signed(gw, payload, secret)).status_code != 200:
        assert asyncio.get_running_loop().time() < deadline, f"app {app_id} never honoured"
        await asyncio.sleep(0.1)


async def test_test_connection_calls_the_graph_api_with_the_numbers_token(gw: Gateway) -> None:
    app_id = await _app(gw)
    await _number(gw, app_id, phone_number_id=DEFAULT_PHONE_NUMBER_ID, access_token="sim-access-token")
    bad = (await _number(gw, app_id, access_token="EAAG-revoked-token"))["phone_number_id"]
    tokenless = (await _number(gw, app_id))["phone_number_id"]
    operator = auth(Role.OPERATOR)

    good = await gw.client.post(
        f"/api/v1/gateway/numbers/{DEFAULT_PHONE_NUMBER_ID}/test-connection", headers=operator
    )
    refused = await gw.client.post(f"/api/v1/gateway/numbers/{bad}/test-connection", headers=operator)
    missing = await gw.client.post(f"/api/v1/gateway/numbers/{tokenless}/test-connection", headers=operator)

    assert good.status_code == 200
    assert good.json()["ok"] is True, good.text
    assert good.json()["display_phone_number"]
    assert refused.status_code == 200
    assert refused.json()["ok"] is False
    assert refused.json()["status_code"] in (400, 401)
    assert refused.json()["error"]["code"] is not None
    assert "EAAG-revoked-token" not in refused.text
    assert missing.status_code == 409


async def test_a_test_message_is_queued_for_the_sender(gw: Gateway, queues: QueueWatcher) -> None:
    await queues.take(SENDER_REPLIES.name)
    app_id = await _app(gw)
    pn = (await _number(gw, app_id))["phone_number_id"]

    response = await gw.client.post(
        f"/api/v1/gateway/numbers/{pn}/test-message",
        json={"to": "+5511999990000", "text": "ping from the admin API"},
        headers=auth(Role.OPERATOR),
    )

    assert response.status_code == 202
    reply_id = response.json()["reply_id"]
    (event,) = await _events(queues, SENDER_REPLIES.name, 1)
    assert event.type == "reply.requested"
    assert event.payload["reply_id"] == reply_id
    assert event.payload["to"] == "5511999990000"
    assert event.payload["phone_number_id"] == pn
    assert event.payload["content"]["body"] == "ping from the admin API"


async def test_rotation_reseals_every_secret_with_the_new_key(module_run_id: str) -> None:
    """Rows sealed with the old key are re-sealed by ``python -m tasklane_gateway rotate-secrets``
    (old key in TASKLANE_SECRETS_PREVIOUS_KEYS), then open with the new key alone."""
    old, new = generate_key(), generate_key()
    schema = f"{module_run_id}_gwrotate"
    settings = real_settings(GatewaySettings, module_run_id, "gateway", auth=AUTH)
    settings.database.schema_name = schema
    secret, access = "rot-secret-" + uuid.uuid4().hex, "rot-token-" + uuid.uuid4().hex
    async with admin_gateway(settings, SecretBox.from_keys(old)) as before:
        app_id = await _app(before, secret=secret)
        pn = (await _number(before, app_id, access_token=access))["phone_number_id"]

    env = {
        **os.environ,
        "TASKLANE_SECRETS_KEY": new,
        "TASKLANE_SECRETS_PREVIOUS_KEYS": old,
        "TASKLANE_GATEWAY_DATABASE__URL": database_url(),
        "TASKLANE_GATEWAY_DATABASE__SCHEMA_NAME": schema,
    }
    done = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "tasklane_gateway", "rotate-secrets"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert "2 secret(s) re-sealed" in done.stdout
    assert secret not in done.stdout + done.stderr
    assert access not in done.stdout + done.stderr

    only_new = SecretBox.from_keys(new)
    async with admin_gateway(settings, only_new) as after:
        runtime = after.app.state.runtime
        async with runtime.db.read() as session:
            app_row = (await session.execute(select(apps).where(apps.c.app_id == app_id))).mappings().one()
            number_row = (
                (await session.execute(select(phone_numbers).where(phone_numbers.c.phone_number_id == pn)))
                .mappings()
                .one()
            )
            audited = (
                (
                    await session.execute(
                        select(audit_log.c.actor).where(audit_log.c.action == "secrets.rotate")
                    )
                )
                .scalars()
                .all()
            )
        assert only_new.open(app_row["app_secret"], aad=app_id) == secret
        assert only_new.open(number_row["access_token"], aad=pn) == access
        assert [a.startswith("cli:") for a in audited] == [True]
        # The new key alone now verifies the app's webhooks.
        assert (await post_signed(after, text_webhook(pn, _uid("wamid.rot")), secret)).status_code == 200
        # A second rotation (through the API this time) has nothing left to do.
        again = await after.client.post("/api/v1/gateway/secrets/rotate", headers=ADMIN)
        assert again.status_code == 200
        assert again.json()["resealed"] == 0


async def test_admin_actions_and_refusals_are_in_the_audit_log(gw: Gateway) -> None:
    secret = "audited-" + uuid.uuid4().hex
    app_id = await _app(gw, secret=secret)
    again = {"app_id": app_id, "name": "dup", "app_secret": secret}
    assert (await gw.client.post("/api/v1/gateway/apps", json=again, headers=ADMIN)).status_code == 409
    assert (
        await gw.client.delete(f"/api/v1/gateway/apps/{app_id}", headers=auth(Role.OPERATOR))
    ).status_code == 403
    operator = auth(Role.OPERATOR)

    first = await gw.client.get(
        "/api/v1/gateway/audit", params={"target_id": app_id, "limit": 2}, headers=operator
    )
    assert first.status_code == 200
    page = first.json()
    rest = await gw.client.get(
        "/api/v1/gateway/audit",
        params={"target_id": app_id, "offset": 2},
        headers=operator,
    )
    assert (page["total"], rest.json()["total"]) == (3, 3)
    entries = page["items"] + rest.json()["items"]

    assert [(e["action"], e["outcome"], e["actor"]) for e in entries] == [
        ("app.delete", "forbidden", "operator-bot"),
        ("app.create", "rejected", "admin-bot"),
        ("app.create", "ok", "admin-bot"),
    ]
    assert "already exists" in entries[1]["details"]["reason"]
    assert entries[2]["details"]["fields"] == ["app_id", "app_secret", "name"]
    assert secret not in first.text + rest.text
    only_ok = await gw.client.get(
        "/api/v1/gateway/audit",
        params={"target_id": app_id, "outcome": "ok", "action": "app.create"},
        headers=operator,
    )
    assert len(only_ok.json()["items"]) == 1


# A Meta access token as Meta issues it (opaque, visible ASCII, 200+ characters), and the ways an
# admin's paste goes wrong.
REAL_TOKEN = "EAAG" + "m0PX4ZCpsBAKZBqZA" * 14 + "ZDZD"
PASTED_WRONG = [
    f"\u201c{REAL_TOKEN}\u201d",  # smart quotes from a document
    f"{REAL_TOKEN[:100]} {REAL_TOKEN[100:]}",  # a space inside
    f"{REAL_TOKEN[:100]}\r\n{REAL_TOKEN[100:]}",  # a line break inside
    f"{REAL_TOKEN[:100]}\u00e9{REAL_TOKEN[100:]}",  # non-ASCII
]


async def test_secrets_that_cannot_go_in_a_header_are_refused_without_echo(gw: Gateway) -> None:
    app_id = await _app(gw)
    pn = (await _number(gw, app_id))["phone_number_id"]
    for bad in PASTED_WRONG:
        cases = [
            (
                "post",
                "/api/v1/gateway/numbers",
                {"phone_number_id": _meta_id(), "app_id": app_id, "access_token": bad},
            ),
            ("patch", f"/api/v1/gateway/numbers/{pn}", {"access_token": bad}),
            ("post", "/api/v1/gateway/apps", {"app_id": _uid("a"), "name": "x", "app_secret": bad}),
            ("post", "/api/v1/gateway/apps", {"app_id": _uid("a"), "name": "x", "verify_token": bad}),
            ("patch", f"/api/v1/gateway/apps/{app_id}", {"app_secret": bad}),
        ]
        for method, path, body in cases:
            response = await gw.client.request(method, path, json=body, headers=ADMIN)
            assert response.status_code == 422, (path, response.text)
            assert "visible ASCII" in response.text
            assert REAL_TOKEN[:40] not in response.text
            assert REAL_TOKEN[-40:] not in response.text
    assert (await gw.client.get(f"/api/v1/gateway/numbers/{pn}", headers=ADMIN)).json()["access_token"] == {
        "set": False
    }
    # Every real token is accepted; a pasted trailing newline is trimmed.
    number = await _number(gw, app_id, access_token=REAL_TOKEN + "\n")
    assert number["access_token"] == {"set": True}


async def test_identifiers_in_paths_must_have_their_documented_shape(gw: Gateway) -> None:
    bad_ids = ["pn%0D%0Ax", "pn%00", "a" * 65, "pn%20x", "%E2%80%9C1%E2%80%9D"]
    for bad in bad_ids:
        cases = [
            ("post", f"/api/v1/gateway/numbers/{bad}/test-message", {"to": "5511999990000", "text": "hi"}),
            ("post", f"/api/v1/gateway/numbers/{bad}/test-connection", None),
            ("get", f"/api/v1/gateway/numbers/{bad}", None),
            ("patch", f"/api/v1/gateway/numbers/{bad}", {"state": "active"}),
            ("delete", f"/api/v1/gateway/numbers/{bad}", None),
            ("get", f"/api/v1/gateway/apps/{bad}", None),
            ("patch", f"/api/v1/gateway/apps/{bad}", {"name": "x"}),
            ("delete", f"/api/v1/gateway/apps/{bad}", None),
            ("get", f"/api/v1/gateway/mappings/{bad}", None),
            ("patch", f"/api/v1/gateway/mappings/{bad}", {"username": "x"}),
            ("delete", f"/api/v1/gateway/mappings/{bad}", None),
        ]
        for method, path, body in cases:
            response = await gw.client.request(method, path, json=body, headers=ADMIN)
            assert response.status_code == 422, (method, path, response.text)
    # Ids of the documented shape still pass validation (and then are simply unknown).
    unknown = str(uuid.uuid4().int % 10**15)
    assert (await gw.client.get(f"/api/v1/gateway/numbers/{unknown}", headers=ADMIN)).status_code == 404
    assert (await gw.client.get(f"/api/v1/gateway/mappings/{uuid.uuid4()}", headers=ADMIN)).status_code == 404
    bodies = [
        ("post", "/api/v1/gateway/apps", {"app_id": _uid("a"), "name": "line\r\nbreak"}),
        ("post", "/api/v1/gateway/mappings", {"phone_number_id": "pn\r\n", "wa_id": "5511999990000"}),
        (
            "post",
            "/api/v1/gateway/mappings",
            {"phone_number_id": "pn1", "wa_id": "5511999990001", "username": "a\nb"},
        ),
    ]
    for method, path, body in bodies:
        response = await gw.client.request(method, path, json=body, headers=ADMIN)
        assert response.status_code == 422, (path, body, response.text)


async def test_a_number_is_stored_only_with_ids_the_graph_api_can_take(gw: Gateway) -> None:
    """The sender builds Graph API paths from the phone number id and accepts only Meta's shape
    (digits): an id of another shape, stored and announced here, would never send anything."""
    app_id = await _app(gw)
    for field in ("phone_number_id", "waba_id"):
        for bad in ("pn-1", "106540352242922a", "1.5", "+15550001111"):
            body = {"phone_number_id": _meta_id(), "app_id": app_id, field: bad}
            response = await gw.client.post("/api/v1/gateway/numbers", json=body, headers=ADMIN)
            assert response.status_code == 422, (field, bad, response.text)
    mapping = {"phone_number_id": "pn-1", "wa_id": "5511999990000"}
    assert (await gw.client.post("/api/v1/gateway/mappings", json=mapping, headers=ADMIN)).status_code == 422
    assert (await gw.client.get("/api/v1/gateway/numbers/pn-1", headers=ADMIN)).status_code == 422
    listed = (await gw.client.get("/api/v1/gateway/numbers", params={"app_id": app_id}, headers=ADMIN)).json()
    assert listed["items"] == []


async def test_test_connection_with_an_unsendable_stored_token_answers_clearly(gw: Gateway) -> None:
    app_id = await _app(gw)
    pn = (await _number(gw, app_id, access_token=REAL_TOKEN))["phone_number_id"]
    # Stored before tokens were checked at the API.
    async with gw.app.state.runtime.db.transaction() as session:
        await session.execute(
            phone_numbers.update()
            .where(phone_numbers.c.phone_number_id == pn)
            .values(access_token=BOX.seal(PASTED_WRONG[0], aad=pn))
        )

    response = await gw.client.post(
        f"/api/v1/gateway/numbers/{pn}/test-connection", headers=auth(Role.OPERATOR)
    )

    assert response.status_code == 409, response.text
    assert "stored access token must be visible ASCII" in response.text
    assert f"PATCH /api/v1/gateway/numbers/{pn}" in response.text
    assert REAL_TOKEN[:40] not in response.text
