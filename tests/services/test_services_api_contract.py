"""What every service's HTTP API promises alike, checked over each one's own OpenAPI document on
the real PostgreSQL and RabbitMQ, so that a route added later is held to it without a new test:

- every JSON API path is versioned (``/api/v1/...``); only the probes' and Meta's paths are not;
- every route that needs a key declares its security scheme (the docs' Authorize button);
- bad input is a 422, never a 5xx nor a "not found": a NUL byte in any query parameter, an
  offset beyond int64, a CR/LF in any path identifier;
- every list answers the same envelope, ``{"items", "total", "limit", "offset"}`` (docs/api.md).
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from services_apps import ADMIN, SERVICES

from tasklane_common.testing import cleanup_run, new_run_id, running

# Kubernetes' probes and Meta's webhook subscription point at these; they stay as they are.
UNVERSIONED = re.compile(r"^(/health/.*|/metrics|/api/webhooks/whatsapp(/.*)?)$")
ENVELOPE = {"items", "total", "limit", "offset"}
METHODS = ("get", "post", "put", "patch", "delete")


@pytest.fixture(scope="module", params=sorted(SERVICES))
async def api(request: pytest.FixtureRequest) -> AsyncIterator[tuple[httpx.AsyncClient, dict[str, Any]]]:
    run_id = new_run_id()
    app = SERVICES[request.param](run_id)
    try:
        async with running(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://svc", headers=ADMIN) as client:
                yield client, app.openapi()
    finally:
        await cleanup_run(run_id)


def _operations(spec: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method, path, op)
        for path, item in spec["paths"].items()
        for method, op in item.items()
        if method in METHODS
    ]


def _params(op: dict[str, Any], where: str) -> list[dict[str, Any]]:
    return [p for p in op.get("parameters", []) if p["in"] == where]


def _filled(path: str, op: dict[str, Any], **given: str) -> str:
    """``path`` with each path parameter set: ``given`` ones as they are, the others to a value
    of their type (a UUID where one is asked for)."""
    for p in _params(op, "path"):
        schema = p.get("schema", {})
        value = given.get(p["name"])
        if value is None:
            value = "00000000-0000-4000-8000-000000000000" if schema.get("format") == "uuid" else "1"
        path = path.replace("{" + p["name"] + "}", value)
    return path


def _is_webhook(path: str) -> bool:
    # Meta's edge: its identifiers and refusals are the webhook's own (docs/gateway.md).
    return path.startswith("/api/webhooks/")


async def test_every_json_api_path_is_versioned(api: tuple[httpx.AsyncClient, dict[str, Any]]) -> None:
    _client, spec = api
    unversioned = [p for p in spec["paths"] if not p.startswith("/api/v1/") and not UNVERSIONED.match(p)]
    assert not unversioned


async def test_every_protected_route_declares_its_security_scheme(
    api: tuple[httpx.AsyncClient, dict[str, Any]],
) -> None:
    client, spec = api
    undeclared = []
    for method, path, op in _operations(spec):
        if not path.startswith("/api/v1/"):
            continue
        response = await client.request(method, _filled(path, op), headers={"Authorization": ""})
        if response.status_code == 401 and not op.get("security"):
            undeclared.append(f"{method.upper()} {path}")
    assert not undeclared


async def test_a_nul_byte_in_any_query_parameter_is_a_422(
    api: tuple[httpx.AsyncClient, dict[str, Any]],
) -> None:
    client, spec = api
    wrong = []
    for method, path, op in _operations(spec):
        if _is_webhook(path):
            continue
        for param in _params(op, "query"):
            response = await client.request(method, _filled(path, op), params={param["name"]: "a\x00"})
            if response.status_code != 422:
                wrong.append(f"{method.upper()} {path} ?{param['name']}: {response.status_code}")
    assert not wrong


async def test_an_offset_beyond_int64_is_a_422(api: tuple[httpx.AsyncClient, dict[str, Any]]) -> None:
    client, spec = api
    wrong = []
    for method, path, op in _operations(spec):
        if any(p["name"] == "offset" for p in _params(op, "query")):
            response = await client.request(method, _filled(path, op), params={"offset": str(2**63)})
            if response.status_code != 422:
                wrong.append(f"{method.upper()} {path}: {response.status_code}")
    assert not wrong


async def test_a_cr_lf_in_any_path_identifier_is_a_422(
    api: tuple[httpx.AsyncClient, dict[str, Any]],
) -> None:
    """The probe's phone number id with ``\\r\\n`` was accepted (202) and crashed the sender on
    every lease: an identifier of the wrong shape is refused before anything is stored."""
    client, spec = api
    wrong = []
    for method, path, op in _operations(spec):
        if _is_webhook(path):
            continue
        for param in _params(op, "path"):
            url = _filled(path, op, **{param["name"]: "106540352242922%0D%0A"})
            response = await client.request(method, url, json={})
            if response.status_code != 422:
                wrong.append(f"{method.upper()} {path} {{{param['name']}}}: {response.status_code}")
    assert not wrong


async def test_every_list_answers_the_same_envelope(api: tuple[httpx.AsyncClient, dict[str, Any]]) -> None:
    client, spec = api
    lists, shapes = [], {}
    for method, path, op in _operations(spec):
        names = {p["name"] for p in _params(op, "query")}
        if method != "get" or not path.startswith("/api/v1/") or _params(op, "path"):
            continue
        response = await client.get(path, params={"limit": 3, "offset": 1} if "limit" in names else None)
        assert response.status_code == 200, (path, response.text)
        body = response.json()
        # A list is a list endpoint whether or not it says so: no bare arrays, no other keys.
        if isinstance(body, list) or {"limit", "offset"} & names:
            lists.append(path)
            shapes[path] = (
                sorted(body) if isinstance(body, dict) else "a bare list",
                {"limit", "offset"} <= names,
                isinstance(body, dict) and (body.get("limit"), body.get("offset")) == (3, 1),
                isinstance(body, dict) and isinstance(body.get("items"), list),
            )
    assert lists
    assert shapes == {path: (sorted(ENVELOPE), True, True, True) for path in lists}
