"""API keys: fail closed, hashed at rest, roles enforced."""

from __future__ import annotations

import httpx
import pytest
from fastapi import APIRouter, FastAPI

from tasklane_common.auth import ApiKeyAuth, hash_key, new_key, requires
from tasklane_common.settings import ApiKey, AuthSettings, Role

KEYS = {role: new_key() for role in Role}


def _app(settings: AuthSettings) -> FastAPI:
    auth = ApiKeyAuth(settings)
    app = FastAPI()
    reports = APIRouter(dependencies=[requires(auth, Role.ANALYST)])
    ops = APIRouter(dependencies=[requires(auth, Role.OPERATOR)])
    admin = APIRouter(dependencies=[requires(auth, Role.ADMIN)])

    @reports.get("/reports")
    async def r() -> dict[str, str]:
        return {"ok": "reports"}

    @ops.get("/ops")
    async def o() -> dict[str, str]:
        return {"ok": "ops"}

    @admin.get("/admin")
    async def a() -> dict[str, str]:
        return {"ok": "admin"}

    for router in (reports, ops, admin):
        app.include_router(router)
    return app


ALL = AuthSettings(api_keys=[ApiKey(name=f"{r}-key", role=r, sha256=hash_key(k)) for r, k in KEYS.items()])

# role of the key -> endpoints it may call
ALLOWED = {
    Role.ANALYST: {"/reports"},
    Role.OPERATOR: {"/reports", "/ops"},
    Role.ADMIN: {"/reports", "/ops", "/admin"},
}


@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize("path", ["/reports", "/ops", "/admin"])
async def test_every_role_against_every_endpoint(role: Role, path: str) -> None:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=_app(ALL)), base_url="http://t") as c:
        response = await c.get(path, headers={"Authorization": f"Bearer {KEYS[role]}"})
    assert response.status_code == (200 if path in ALLOWED[role] else 403)


@pytest.mark.parametrize(
    "header", [None, "Bearer", "Basic abc", "Bearer tl_not-a-real-key", f"Token {KEYS[Role.ADMIN]}"]
)
async def test_missing_or_unknown_keys_are_refused(header: str | None) -> None:
    headers = {"Authorization": header} if header else {}
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=_app(ALL)), base_url="http://t") as c:
        response = await c.get("/reports", headers=headers)
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"


async def test_without_configured_keys_everything_is_refused() -> None:
    app = _app(AuthSettings(api_keys=[]))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
        response = await c.get("/reports", headers={"Authorization": f"Bearer {KEYS[Role.ADMIN]}"})
    assert response.status_code == 401


def test_keys_are_random_and_only_their_hash_is_configured() -> None:
    assert len({new_key() for _ in range(100)}) == 100
    assert all(KEYS[r] not in ALL.model_dump_json() for r in Role)


def test_keys_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    entry = f'[{{"name": "bot", "role": "operator", "sha256": "{hash_key("k").upper()}"}}]'
    monkeypatch.setenv("TASKLANE_API_KEYS", entry)
    settings = AuthSettings()
    assert settings.api_keys == [ApiKey(name="bot", role=Role.OPERATOR, sha256=hash_key("k"))]
