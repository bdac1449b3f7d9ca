"""Who may use the tasks API: every /api/v1 route (read from the app, so a route added later is
covered too) against no key, an unknown key and each role; and the audit lines it leaves, with
the principal and the targets but never a key or a phone number."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import httpx
import pytest
from fastapi import FastAPI
from fastapi.routing import iter_route_contexts

from tasklane_agent.app import create_app
from tasklane_agent.settings import AgentSettings
from tasklane_agent.storage.profiles import ProfileRepository
from tasklane_common.auth import hash_key, new_key
from tasklane_common.runtime import ServiceRuntime
from tasklane_common.settings import ApiKey, AuthSettings, LoggingSettings, Role
from tasklane_common.testing import cleanup_run, new_run_id, real_settings, running

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
KEYS = {role: new_key() for role in Role}
AUTH = AuthSettings(
    api_keys=[ApiKey(name=f"{role.value}-bot", role=role, sha256=hash_key(key)) for role, key in KEYS.items()]
)
READS = {"GET"}


def _min_role(method: str, path: str) -> str:
    """Teams decide who can reach whom: operators read them, only admins change them."""
    if path.startswith("/api/v1/teams"):
        return Role.OPERATOR.value if method in READS else Role.ADMIN.value
    return Role.ANALYST.value if method in READS else Role.OPERATOR.value


def _rank(role: str) -> int:
    return [Role.ANALYST.value, Role.OPERATOR.value, Role.ADMIN.value].index(role)


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


@pytest.fixture(scope="module")
async def agent() -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient]]:
    run_id = new_run_id()
    settings = real_settings(
        AgentSettings, run_id, "agent", auth=AUTH, logging=LoggingSettings(level="INFO", format="json")
    )
    app = create_app(settings, clock=lambda: NOW)
    try:
        async with running(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://agent") as http:
                yield app, http
    finally:
        await cleanup_run(run_id)


def v1_routes(app: FastAPI) -> list[tuple[str, str]]:
    # Included routers are not flattened into app.routes: walk them.
    found = sorted(
        (method, context.path)
        for context in iter_route_contexts(app.routes)
        # The dead letters (/api/v1/agent/dead-letters) are every service's, tested with them.
        if context.path
        and context.path.startswith("/api/v1/")
        and not context.path.startswith("/api/v1/agent/")
        for method in context.methods or ()
    )
    assert len(found) == 20, found  # what the API has today; more may come, none may go
    return found


async def test_every_caller_against_every_route(agent: tuple[FastAPI, httpx.AsyncClient]) -> None:
    app, http = agent
    callers = [("no key", {}), ("bad key", bearer("tl_not-a-configured-key"))] + [
        (role.value, bearer(key)) for role, key in KEYS.items()
    ]
    failures = []
    for method, path in v1_routes(app):
        # "1" fits every path parameter and names nothing; an empty body is invalid everywhere.
        url = re.sub(r"\{[^}]+\}", "1", path)
        body: dict[str, object] | None = {} if method in ("POST", "PATCH") else None
        for caller, headers in callers:
            status = (await http.request(method, url, json=body, headers=headers)).status_code
            if caller in ("no key", "bad key"):
                allowed = status == 401
            elif _rank(caller) < _rank(_min_role(method, path)):
                allowed = status == 403
            else:
                # Admitted: whatever the route answers, it is neither a refusal of the key nor a crash.
                allowed = status not in (401, 403) and status < 500
            if not allowed:
                failures.append(f"{caller:8} {method:6} {path} -> {status}")
    assert not failures, "\n".join(failures)


async def test_changes_and_refusals_are_audited_without_secrets(
    agent: tuple[FastAPI, httpx.AsyncClient], capsys: pytest.CaptureFixture[str]
) -> None:
    app, http = agent
    runtime: ServiceRuntime = app.state.runtime
    owner = f"user-{uuid.uuid4().hex[:8]}"
    async with runtime.db.transaction() as session:
        await ProfileRepository(session).meet(
            user_id=owner,
            org_id="org-audit",
            address="5511988887777",
            name="Ana",
            default_timezone="UTC",
            now=NOW,
        )
    operator, analyst = bearer(KEYS[Role.OPERATOR]), bearer(KEYS[Role.ANALYST])
    capsys.readouterr()

    created = await http.post("/api/v1/tasks", json={"user_id": owner, "title": "Audit me"}, headers=operator)
    listed = await http.get("/api/v1/tasks", headers=analyst)
    refused = await http.post("/api/v1/tasks", json={"user_id": owner, "title": "x"}, headers=analyst)
    anonymous = await http.delete(created.headers["location"])
    invalid = await http.patch(created.headers["location"], json={"priority": "urgent"}, headers=operator)
    unknown = await http.post("/api/v1/projects/p-1/members/5511977776666", headers=operator)
    assert [r.status_code for r in (created, listed, refused, anonymous, invalid, unknown)] == [
        201, 200, 403, 401, 422, 404,
    ]  # fmt: skip

    captured = capsys.readouterr()
    output = captured.out + captured.err
    lines = [json.loads(line) for line in output.splitlines() if line.startswith("{")]
    audit = [line for line in lines if line.get("event") in ("api_change", "api_refused", "api_failed")]
    assert [(a["event"], a["principal"], a["action"], a["status"]) for a in audit] == [
        ("api_change", "operator-bot", "POST /api/v1/tasks", 201),
        ("api_refused", "analyst-bot", "POST /api/v1/tasks", 403),
        ("api_refused", None, "DELETE /api/v1/tasks/{task_id}", 401),
        ("api_refused", "operator-bot", "PATCH /api/v1/tasks/{task_id}", 422),
        ("api_refused", "operator-bot", "POST /api/v1/projects/{project_id}/members/{user_id}", 404),
    ]
    task_id = created.json()["id"]
    assert audit[0]["location"] == f"/api/v1/tasks/{task_id}"
    assert audit[2]["target_task_id"] == audit[3]["target_task_id"] == task_id
    assert "priority" in audit[3]["reason"]
    assert "urgent" not in audit[3]["reason"]
    assert audit[4]["target_project_id"] == "p-1"
    assert audit[4]["target_user_id"] == "551****66"
    assert "5511977776666" not in output
    assert "5511988887777" not in output
    for key in KEYS.values():
        assert key not in output
