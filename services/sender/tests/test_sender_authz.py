"""Acceptance: every role against every admin endpoint of the sender, enumerated from the app's
routes (endpoints added later are covered without touching this file), and operators' actions in
the log with who did them, never their key."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from fastapi.routing import iter_route_contexts

from tasklane_common.auth import hash_key, new_key
from tasklane_common.messaging.memory import InMemoryBroker
from tasklane_common.settings import ApiKey, AuthSettings, LoggingSettings, Role
from tasklane_common.testing import memory_settings, running
from tasklane_sender.app import create_app
from tasklane_sender.settings import SenderSettings

KEYS = {role: new_key() for role in Role}
AUTH = AuthSettings(
    api_keys=[ApiKey(name=f"{r.value}-bot", role=r, sha256=hash_key(k)) for r, k in KEYS.items()]
)


def _bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


@pytest.fixture
async def client(tmp_path: Path) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient]]:
    name = f"sender-authz-{uuid.uuid4().hex[:8]}"
    settings = memory_settings(
        SenderSettings,
        name,
        str(tmp_path / "sender.db"),
        auth=AUTH,
        logging=LoggingSettings(level="DEBUG", format="json"),
    )
    app = create_app(settings)
    try:
        async with running(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://sender") as http:
                yield app, http
    finally:
        InMemoryBroker.forget(name)


def api_routes(app: FastAPI) -> list[tuple[str, str]]:
    routes = [
        (method, route.path)
        for route in iter_route_contexts(app.routes)
        if route.path and route.path.startswith("/api/")
        for method in sorted(route.methods or ())
        if method != "HEAD"
    ]
    # At least the sender's own surface and the dead letters; anything added later comes on top.
    paths = {path for _, path in routes}
    assert {"/api/v1/sender/numbers", "/api/v1/sender/numbers/{phone_number_id}/resume"} <= paths
    assert any(p.startswith("/api/v1/sender/dead-letters/") and p.endswith("/replay") for p in paths)
    return routes


async def call(http: httpx.AsyncClient, method: str, path: str, headers: dict[str, str]) -> httpx.Response:
    # "1" fits every path parameter; what it names does not exist.
    url = re.sub(r"\{[^}]+\}", "1", path)
    body = {} if method in ("POST", "PUT", "PATCH") else None
    return await http.request(method, url, json=body, headers=headers)


async def test_every_role_against_every_admin_endpoint(client: tuple[FastAPI, httpx.AsyncClient]) -> None:
    app, http = client
    callers = [
        ("no key", {}, {401}),
        ("bad key", _bearer("tl_not-a-configured-key"), {401}),
        ("analyst", _bearer(KEYS[Role.ANALYST]), {403}),
    ]
    failures = []
    for method, path in api_routes(app):
        for caller, headers, expected in callers:
            status = (await call(http, method, path, headers)).status_code
            if status not in expected:
                failures.append(f"{caller:8} {method:6} {path} -> {status}")
        for role in (Role.OPERATOR, Role.ADMIN):
            status = (await call(http, method, path, _bearer(KEYS[role]))).status_code
            if status in (401, 403) or status >= 500:
                failures.append(f"{role.value:8} {method:6} {path} -> {status}")
    assert not failures, "\n".join(failures)


async def test_operator_actions_are_logged_with_the_principal(
    client: tuple[FastAPI, httpx.AsyncClient], capsys: pytest.CaptureFixture[str]
) -> None:
    _, http = client
    capsys.readouterr()
    operator = _bearer(KEYS[Role.OPERATOR])
    replayed = await http.post("/api/v1/sender/dead-letters/replay", json={}, headers=operator)
    unknown = await http.post("/api/v1/sender/numbers/999/resume", headers=operator)
    refused = await http.post("/api/v1/sender/numbers/999/resume", headers=_bearer(KEYS[Role.ANALYST]))
    listed = await http.get("/api/v1/sender/numbers", headers=operator)
    captured = capsys.readouterr()
    lines = [json.loads(line) for line in (captured.out + captured.err).splitlines() if line.startswith("{")]
    audit = [line for line in lines if str(line.get("event", "")).startswith("admin_action")]

    assert (replayed.status_code, unknown.status_code, refused.status_code) == (200, 404, 403)
    assert listed.status_code == 200
    assert [(a["event"], a["principal"], a["action"]) for a in audit] == [
        ("admin_action", "operator-bot", "POST /api/v1/sender/dead-letters/replay"),
        ("admin_action_failed", "operator-bot", "POST /api/v1/sender/numbers/{phone_number_id}/resume"),
    ]
    assert audit[1]["target_phone_number_id"] == "999"
    assert audit[1]["status"] == 404
    for key in KEYS.values():
        assert key not in captured.out + captured.err
