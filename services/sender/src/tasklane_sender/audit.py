"""The audit trail of operators' actions: one ``admin_action`` log line per state-changing request
that succeeded (``admin_action_failed`` when it was refused after authentication), naming the
principal, the route and its path parameters (ids, never bodies or keys)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from fastapi import Depends, HTTPException, Request

from tasklane_common.auth import ApiKeyAuth
from tasklane_common.http import request_source
from tasklane_common.logging import get_logger
from tasklane_common.runtime import ServiceRuntime

log = get_logger(__name__)

_READS = frozenset({"GET", "HEAD", "OPTIONS"})


def audited(auth: ApiKeyAuth, runtime: ServiceRuntime | None = None) -> Any:
    """``Depends`` for a router whose routes also require a role: the role check decides access,
    this only records what an admitted principal did (and, given the ``runtime``, forwards it to
    the audit trail of every service in analytics)."""

    async def dependency(request: Request) -> AsyncIterator[None]:
        if request.method in _READS:
            yield
            return
        try:
            yield
        except HTTPException as exc:
            # 401/403: the role check refused the caller, and logged it already.
            if exc.status_code not in (401, 403):
                _log(auth, request, "admin_action_failed", status=exc.status_code)
                await _forward(auth, runtime, request, f"error {exc.status_code}")
            raise
        _log(auth, request, "admin_action")
        await _forward(auth, runtime, request, "ok")

    return Depends(dependency)


def _log(auth: ApiKeyAuth, request: Request, event: str, **extra: Any) -> None:
    # The request got past the role check, so its key is a configured one.
    principal = auth.authenticate(request.headers.get("authorization"))
    route = request.scope.get("route")
    log.info(
        event,
        principal=principal.name,
        role=principal.role,
        action=f"{request.method} {getattr(route, 'path', request.url.path)}",
        **{f"target_{k}": v for k, v in request.path_params.items()},
        **extra,
    )


async def _forward(auth: ApiKeyAuth, runtime: ServiceRuntime | None, request: Request, outcome: str) -> None:
    if runtime is None:
        return
    principal = auth.authenticate(request.headers.get("authorization"))
    route = request.scope.get("route")
    await runtime.control.record_admin_action(
        actor=principal.name,
        role=str(principal.role),
        action=f"{request.method} {getattr(route, 'path', request.url.path)}",
        target_type="api",
        target_id=",".join(str(v) for v in request.path_params.values()) or None,
        outcome=outcome,
        source=request_source(request),
    )
