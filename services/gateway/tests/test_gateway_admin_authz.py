"""Acceptance 4: every role against every admin endpoint of the gateway, enumerated from the app's
routes (so endpoints added later are covered without touching this file), and secrets never in
a response body or a log line."""

from __future__ import annotations

import re
import uuid
from collections import Counter
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi.routing import iter_route_contexts
from gateway_admin_harness import AUTH, KEYS, admin_gateway, auth, post_signed, text_webhook
from gateway_harness import Gateway
from sqlalchemy import select

from tasklane_common.auth import GRANTS
from tasklane_common.secrets import SecretBox, generate_key
from tasklane_common.settings import LoggingSettings, Role
from tasklane_common.testing import real_settings
from tasklane_gateway.admin_auth import ADMIN_PREFIX, GuardedRoute, guarded_routes
from tasklane_gateway.settings import GatewaySettings
from tasklane_gateway.tables import audit_log
from tasklane_simulator.payloads import DEFAULT_PHONE_NUMBER_ID

# Who calls: no key, a key nobody configured, then each role.
CALLERS: list[tuple[str, dict[str, str]]] = [
    ("no key", {}),
    ("bad key", {"authorization": "Bearer tl_not-a-configured-key"}),
    *((role.value, auth(role)) for role in Role),
]


@pytest.fixture(scope="module")
async def gw(module_run_id: str) -> AsyncIterator[Gateway]:
    settings = real_settings(
        GatewaySettings,
        module_run_id,
        "gateway",
        auth=AUTH,
        # Everything the gateway logs is what the secrets test searches.
        logging=LoggingSettings(level="DEBUG", format="json"),
    )
    async with admin_gateway(settings, SecretBox.from_keys(generate_key())) as gateway:
        yield gateway


def admin_routes(gw: Gateway) -> list[GuardedRoute]:
    """Every route that needs an API key; every route under the admin prefix must need one."""
    guarded = guarded_routes(gw.app)
    keyed = {(r.method, r.path) for r in guarded}
    for route in iter_route_contexts(gw.app.routes):
        if route.path and route.path.startswith(ADMIN_PREFIX):
            for method in route.methods or ():
                assert (method, route.path) in keyed, f"{method} {route.path} is not behind an API key"
    return guarded


def concrete(path: str) -> str:
    # "1" fits every path parameter (ids as strings or numbers); what it names does not exist.
    return re.sub(r"\{[^}]+\}", "1", path)


async def call(client: httpx.AsyncClient, method: str, path: str, headers: dict[str, str]) -> httpx.Response:
    body = {} if method in ("POST", "PUT", "PATCH") else None
    return await client.request(method, concrete(path), json=body, headers=headers)


async def test_every_role_against_every_admin_endpoint(gw: Gateway) -> None:
    routes = admin_routes(gw)
    # The gateway's own admin surface at least; routes added by other modules come on top.
    paths = {r.path for r in routes}
    assert {f"{ADMIN_PREFIX}/apps", f"{ADMIN_PREFIX}/numbers", f"{ADMIN_PREFIX}/audit"} <= paths
    failures = []
    expected_refusals: Counter[tuple[str, str]] = Counter()
    for route in routes:
        method, path, needed = route.method, route.path, route.role
        for caller, headers in CALLERS:
            response = await call(gw.client, method, path, headers)
            if caller in ("no key", "bad key"):
                ok = response.status_code == 401
            elif needed in GRANTS[Role(caller)]:
                ok = response.status_code not in (401, 403) and response.status_code < 500
            else:
                ok = response.status_code == 403
                if route.action:
                    expected_refusals[(f"{caller}-bot", route.action)] += 1
            if not ok:
                failures.append(f"{caller:8} {method:6} {path} (needs {needed}) -> {response.status_code}")
    assert not failures, "\n".join(failures)

    # Each refusal of an authenticated caller left an audit row naming who and what.
    async with gw.app.state.runtime.db.read() as session:
        rows = (
            await session.execute(
                select(audit_log.c.actor, audit_log.c.action).where(audit_log.c.outcome == "forbidden")
            )
        ).all()
    assert Counter((r.actor, r.action) for r in rows) == expected_refusals


async def test_the_role_matrix_is_the_documented_one(gw: Gateway) -> None:
    declared = {(r.method, r.path): r.role for r in admin_routes(gw) if r.path.startswith(ADMIN_PREFIX)}
    expected = {
        ("GET", "/apps"): Role.OPERATOR,
        ("POST", "/apps"): Role.ADMIN,
        ("GET", "/apps/{app_id}"): Role.OPERATOR,
        ("PATCH", "/apps/{app_id}"): Role.ADMIN,
        ("DELETE", "/apps/{app_id}"): Role.ADMIN,
        ("GET", "/numbers"): Role.ANALYST,
        ("POST", "/numbers"): Role.ADMIN,
        ("GET", "/numbers/{phone_number_id}"): Role.ANALYST,
        ("PATCH", "/numbers/{phone_number_id}"): Role.ADMIN,
        ("DELETE", "/numbers/{phone_number_id}"): Role.ADMIN,
        ("POST", "/numbers/{phone_number_id}/test-connection"): Role.OPERATOR,
        ("POST", "/numbers/{phone_number_id}/test-message"): Role.OPERATOR,
        ("GET", "/audit"): Role.OPERATOR,
        ("POST", "/secrets/rotate"): Role.ADMIN,
    }
    for (method, path), role in expected.items():
        assert declared[(method, ADMIN_PREFIX + path)] == role, (method, path)
    # Writes anywhere under the prefix (mappings included) need at least an operator.
    for (method, path), role in declared.items():
        if method in ("POST", "PUT", "PATCH", "DELETE"):
            assert role in (Role.OPERATOR, Role.ADMIN), (method, path)


async def test_secrets_never_appear_in_responses_or_logs(
    gw: Gateway, capsys: pytest.CaptureFixture[str]
) -> None:
    marker = uuid.uuid4().hex
    secrets = {
        "app_secret": f"appsecret-{marker}",
        "app_secret_2": f"appsecret2-{marker}",
        "verify_token": f"verify-{marker}",
        "access_token": "sim-access-token",
        "access_token_2": f"EAAGrevoked{marker}",
        "too_long": f"EAAGlong{marker}" + "x" * 3000,
        "extra": f"extrafield-{marker}",
        **{f"key-{role}": key for role, key in KEYS.items()},
    }
    admin, operator = auth(Role.ADMIN), auth(Role.OPERATOR)
    app_id, pn = f"app{marker[:10]}", DEFAULT_PHONE_NUMBER_ID
    c = gw.client
    responses = [
        await c.post(
            f"{ADMIN_PREFIX}/apps",
            json={
                "app_id": app_id,
                "name": "S",
                "app_secret": secrets["app_secret"],
                "verify_token": secrets["verify_token"],
            },
            headers=admin,
        ),
        await c.post(
            f"{ADMIN_PREFIX}/numbers",
            json={"phone_number_id": pn, "app_id": app_id, "access_token": secrets["access_token"]},
            headers=admin,
        ),
        await c.post(f"{ADMIN_PREFIX}/numbers/{pn}/test-connection", headers=operator),
        await c.patch(
            f"{ADMIN_PREFIX}/numbers/{pn}", json={"access_token": secrets["access_token_2"]}, headers=admin
        ),
        await c.post(f"{ADMIN_PREFIX}/numbers/{pn}/test-connection", headers=operator),
        await c.patch(
            f"{ADMIN_PREFIX}/apps/{app_id}", json={"app_secret": secrets["app_secret_2"]}, headers=admin
        ),
        # Refused input must not be echoed back (a too-long token, an unexpected field).
        await c.patch(
            f"{ADMIN_PREFIX}/numbers/{pn}", json={"access_token": secrets["too_long"]}, headers=admin
        ),
        await c.post(
            f"{ADMIN_PREFIX}/apps", json={"app_id": "x", "name": "x", "pw": secrets["extra"]}, headers=admin
        ),
        await c.post(f"{ADMIN_PREFIX}/secrets/rotate", headers=admin),
        await c.post(f"{ADMIN_PREFIX}/apps", json={"app_id": "y", "name": "y"}, headers=auth(Role.ANALYST)),
        await c.get(
            "/api/webhooks/whatsapp",
            params={
                "hub.mode": "subscribe",
                "hub.verify_token": secrets["verify_token"],
                "hub.challenge": "7",
            },
        ),
        await post_signed(gw, text_webhook(pn, f"wamid.{marker}"), secrets["app_secret_2"]),
        await post_signed(gw, text_webhook(pn, f"wamid.{marker}x"), secrets["app_secret"]),
        await c.get("/api/webhooks/whatsapp/health"),
    ]
    for path in ("/apps", f"/apps/{app_id}", "/numbers", f"/numbers/{pn}", "/audit?limit=500"):
        responses.append(await c.get(ADMIN_PREFIX + path, headers=admin))
    statuses = [r.status_code for r in responses]
    assert statuses == [201, 201, 200, 200, 200, 200, 422, 422, 200, 403, 200, 200, 403, 200] + [200] * 5
    assert responses[2].json()["ok"] is True
    assert responses[4].json()["ok"] is False

    logs = capsys.readouterr()
    captured = logs.out + logs.err
    assert '"admin_action"' in captured  # the logs were captured, so their absence below means something
    for name, value in secrets.items():
        probe = value[:40]
        for response in responses:
            assert probe not in response.text, (name, str(response.request.url))
        assert probe not in captured, name
