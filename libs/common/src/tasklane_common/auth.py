"""API keys for the operators', analysts' and admins' HTTP APIs.

Keys are random (``tl_`` + 32 random bytes, URL-safe), shown once when made, and only their
SHA-256 is configured (``TASKLANE_API_KEYS``: a JSON list of ``{"name", "role", "sha256"}``;
``TASKLANE_<SERVICE>_AUTH__API_KEYS`` overrides it per service). A plain hash is enough for keys
of 256 random bits: unlike passwords they cannot be guessed, so slow hashing buys nothing.
Requests send ``Authorization: Bearer <key>``. Without any configured key every protected
endpoint refuses (fail closed). Health and webhook endpoints are not behind keys: probes need
no secret and Meta's webhooks carry their own signature.

Roles: ``analyst`` reads analytics; ``operator`` runs the system (delivery state, breakers,
dead letters) and reads analytics; ``admin`` may do everything.

Make a key with ``python -m tasklane_common.auth --name ci-bot --role operator``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import secrets
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from tasklane_common.logging import get_logger
from tasklane_common.settings import AuthSettings, Role

log = get_logger(__name__)

# Declares the scheme in every protected route's OpenAPI (the docs' Authorize button); the check
# itself stays ``ApiKeyAuth.authenticate``, so a missing key is our 401, not the scheme's 403.
BEARER = HTTPBearer(auto_error=False, description="An API key: `Authorization: Bearer tl_...`.")
Bearer = Depends(BEARER)


# What each role may do, by the role an endpoint asks for.
GRANTS: dict[Role, frozenset[Role]] = {
    Role.ANALYST: frozenset({Role.ANALYST}),
    Role.OPERATOR: frozenset({Role.OPERATOR, Role.ANALYST}),
    Role.ADMIN: frozenset(Role),
}


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def new_key() -> str:
    return "tl_" + secrets.token_urlsafe(32)


@dataclass(frozen=True)
class Principal:
    name: str
    role: Role


class ApiKeyAuth:
    def __init__(self, settings: AuthSettings) -> None:
        self._by_hash = {k.sha256: Principal(k.name, k.role) for k in settings.api_keys}

    def authenticate(self, authorization: str | None) -> Principal:
        scheme, _, key = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not key.strip():
            log.warning("api_unauthenticated", reason="no bearer key")
            raise HTTPException(401, "an API key is required", headers={"WWW-Authenticate": "Bearer"})
        principal = self._by_hash.get(hash_key(key.strip()))
        if principal is None:
            log.warning("api_unauthenticated", reason="unknown key")
            raise HTTPException(401, "unknown API key", headers={"WWW-Authenticate": "Bearer"})
        return principal

    def require(self, role: Role) -> Callable[[Request], Coroutine[Any, Any, Principal]]:
        """A FastAPI dependency admitting the principals whose role grants ``role``."""

        async def dependency(
            request: Request, _key: HTTPAuthorizationCredentials | None = Bearer
        ) -> Principal:
            principal = self.authenticate(request.headers.get("authorization"))
            if role not in GRANTS[principal.role]:
                log.warning(
                    "api_forbidden",
                    principal=principal.name,
                    role=principal.role,
                    needs=role,
                    path=request.url.path,
                )
                raise HTTPException(403, f"the {principal.role} role may not do this")
            log.info(
                "api_request",
                principal=principal.name,
                role=principal.role,
                method=request.method,
                path=request.url.path,
            )
            return principal

        # Lets tests and docs enumerate which role each route needs.
        dependency.required_role = role  # type: ignore[attr-defined]
        return dependency


def requires(auth: ApiKeyAuth, role: Role) -> Any:
    """``Depends`` for a router: ``APIRouter(dependencies=[requires(auth, Role.ANALYST)])``."""
    return Depends(auth.require(role))


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m tasklane_common.auth", description="make an API key")
    parser.add_argument("--name", required=True)
    parser.add_argument("--role", required=True, choices=[r.value for r in Role])
    args = parser.parse_args()
    key = new_key()
    print(f"API key (shown once, give it to {args.name}): {key}")
    entry = {"name": args.name, "role": args.role, "sha256": hash_key(key)}
    print(f"Add to TASKLANE_API_KEYS: {json.dumps(entry)}")


if __name__ == "__main__":
    main()
