"""Authorization and auditing shared by every admin route of the gateway (``/api/v1/gateway/...``).

A route declares its minimum role and its audit action once, through ``AdminGate.route``:

    @api.post("/apps", status_code=201, **gate.route(Role.ADMIN, "app.create", "app"))

The role is kept in the route's ``openapi_extra`` (``x-tasklane-min-role``), so it shows in the
OpenAPI document and a test can enumerate every admin route with ``min_role(route)``. A caller
without a valid key gets 401 (logged, not audited: it names nobody); an authenticated caller whose
role is too low gets 403 and an audit row (``outcome="forbidden"``).

Changes run inside ``AdminGate.audited``: one transaction holds the change and its "ok" audit row;
an ``AdminError`` rolls the change back, is audited as ``rejected`` (with its reason) in a
transaction of its own, and answers its status. Plain reads are not audited.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.routing import iter_route_contexts
from fastapi.security import HTTPAuthorizationCredentials
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession

from tasklane_common.auth import GRANTS, ApiKeyAuth, Bearer, Principal
from tasklane_common.db.failures import is_bad_input, is_outage
from tasklane_common.http import request_source
from tasklane_common.logging import get_logger
from tasklane_common.runtime import ServiceRuntime
from tasklane_common.settings import Role
from tasklane_gateway import audit
from tasklane_gateway.errors import AdminError

log = get_logger(__name__)

ROLE_KEY = "x-tasklane-min-role"
ACTION_KEY = "x-tasklane-action"
TARGET_KEY = "x-tasklane-target-type"
ADMIN_PREFIX = "/api/v1/gateway"

__all__ = [
    "ADMIN_PREFIX",
    "AdminError",
    "AdminGate",
    "AuditedAction",
    "GuardedRoute",
    "guarded_routes",
    "min_role",
    "principal_of",
]


def min_role(route: Any) -> Role | None:
    """The minimum role a route (an ``APIRoute`` or a ``RouteContext``) needs: declared with
    ``AdminGate.route``, or through ``tasklane_common.auth.requires`` (None: an open route)."""
    value = (getattr(route, "openapi_extra", None) or {}).get(ROLE_KEY)
    if value:
        return Role(value)
    dependant = getattr(route, "dependant", None)
    roles = [getattr(d.call, "required_role", None) for d in (dependant.dependencies if dependant else [])]
    found = [Role(r) for r in roles if r is not None]
    return max(found, key=list(Role).index) if found else None


@dataclass(frozen=True)
class GuardedRoute:
    method: str
    path: str
    role: Role
    # The audit action (None for routes guarded by ``requires`` alone, which audit nothing).
    action: str | None


def guarded_routes(app: FastAPI) -> list[GuardedRoute]:
    """Every route of ``app`` that needs an API key, with the role it needs (tests, docs)."""
    out = []
    for route in iter_route_contexts(app.routes):
        role = min_role(route)
        if role is None or not route.path or not route.methods:
            continue
        action = (getattr(route, "openapi_extra", None) or {}).get(ACTION_KEY)
        out += [GuardedRoute(m, route.path, role, action) for m in sorted(route.methods)]
    return out


def principal_of(request: Request) -> Principal:
    found = getattr(request.state, "principal", None)
    if not isinstance(found, Principal):  # a route without the gate: a programming error
        raise HTTPException(500, "route is not guarded")
    return found


@dataclass
class AuditedAction:
    """What the body of ``AdminGate.audited`` may fill in before its audit row is written."""

    session: AsyncSession
    target_id: str | None
    details: dict[str, Any] = field(default_factory=dict)


class AdminGate:
    def __init__(self, runtime: ServiceRuntime) -> None:
        self.runtime = runtime
        self.auth = ApiKeyAuth(runtime.settings.auth)

    def route(self, role: Role, action: str, target_type: str) -> dict[str, Any]:
        """Keyword arguments for ``@router.<method>(...)``: the guard and its declaration."""

        async def guard(request: Request, _key: HTTPAuthorizationCredentials | None = Bearer) -> Principal:
            principal = self.auth.authenticate(request.headers.get("authorization"))
            if role not in GRANTS[principal.role]:
                log.warning(
                    "api_forbidden", principal=principal.name, role=principal.role, needs=role, action=action
                )
                await self._record_refusal(principal, action, target_type, request)
                raise HTTPException(403, f"the {principal.role} role may not do this ({role} needed)")
            request.state.principal = principal
            return principal

        guard.required_role = role  # type: ignore[attr-defined]
        return {
            "dependencies": [Depends(guard)],
            "openapi_extra": {ROLE_KEY: role.value, ACTION_KEY: action, TARGET_KEY: target_type},
        }

    async def _record_refusal(
        self, principal: Principal, action: str, target_type: str, request: Request
    ) -> None:
        target_id = next(iter(request.path_params.values()), None)
        try:
            async with self.runtime.db.transaction() as session:
                await audit.record(
                    session,
                    actor=principal.name,
                    role=principal.role,
                    action=action,
                    target_type=target_type,
                    target_id=str(target_id) if target_id is not None else None,
                    outcome="forbidden",
                    details={"method": request.method, "path": request.url.path},
                    source=request_source(request),
                )
        except (SQLAlchemyError, OSError) as exc:
            # The refusal stands either way; losing its audit row must not turn it into a 500.
            log.error("audit_write_failed", action=action, error=type(exc).__name__)

    def principal(self, request: Request) -> Principal:
        return principal_of(request)

    @asynccontextmanager
    async def reading(self) -> AsyncIterator[AsyncSession]:
        """A read-only session; a database outage answers 503, not 500."""
        try:
            async with self.runtime.db.read() as session:
                yield session
        except (SQLAlchemyError, OSError) as exc:
            if is_bad_input(exc):
                raise HTTPException(422, "a parameter holds a value the database cannot store") from None
            if not is_outage(exc):
                raise
            log.error("admin_read_failed", error=type(exc).__name__)
            raise HTTPException(503, "database unavailable, retry") from None

    @asynccontextmanager
    async def audited(
        self,
        request: Request,
        *,
        target_id: str | None,
        details: dict[str, Any] | None = None,
    ) -> AsyncIterator[AuditedAction]:
        """One transaction for the change and its audit row (action and target type as the route
        declared them); refusals (``AdminError``) are audited on their own and answered."""
        principal = principal_of(request)
        extra = getattr(request.scope.get("route"), "openapi_extra", None) or {}
        action, target_type = str(extra.get(ACTION_KEY, "unknown")), str(extra.get(TARGET_KEY, "unknown"))
        step: AuditedAction | None = None
        try:
            async with self.runtime.db.transaction() as session:
                step = AuditedAction(session, target_id, dict(details or {}))
                yield step
                await audit.record(
                    session,
                    actor=principal.name,
                    role=principal.role,
                    action=action,
                    target_type=target_type,
                    target_id=step.target_id,
                    details=step.details or None,
                    source=request_source(request),
                )
        except AdminError as exc:
            await self._record_rejection(principal, action, target_type, step, target_id, exc)
            raise HTTPException(exc.status, exc.message) from None
        except IntegrityError:
            # A concurrent request created the same thing first.
            error = AdminError(409, "conflicting change, it may already exist; retry")
            await self._record_rejection(principal, action, target_type, step, target_id, error)
            raise HTTPException(error.status, error.message) from None
        except (SQLAlchemyError, OSError) as exc:
            if is_bad_input(exc):
                raise HTTPException(422, "a field holds a value the database cannot store") from None
            if not is_outage(exc):
                raise
            log.error("admin_action_failed", action=action, error=type(exc).__name__)
            raise HTTPException(503, "database unavailable, retry") from None
        if self.runtime.relay is not None:
            # Events the change queued in the outbox go out now, not at the relay's next poll.
            self.runtime.relay.notify()
        log.info("admin_action", principal=principal.name, action=action, target_id=step and step.target_id)

    async def _record_rejection(
        self,
        principal: Principal,
        action: str,
        target_type: str,
        step: AuditedAction | None,
        target_id: str | None,
        error: AdminError,
    ) -> None:
        details = {**(step.details if step else {}), **error.details, "reason": error.message}
        try:
            async with self.runtime.db.transaction() as session:
                await audit.record(
                    session,
                    actor=principal.name,
                    role=principal.role,
                    action=action,
                    target_type=target_type,
                    target_id=step.target_id if step else target_id,
                    outcome="rejected",
                    details=details,
                )
        except (SQLAlchemyError, OSError) as exc:
            log.error("audit_write_failed", action=action, error=type(exc).__name__)
        log.info("admin_action_rejected", principal=principal.name, action=action, status=error.status)
