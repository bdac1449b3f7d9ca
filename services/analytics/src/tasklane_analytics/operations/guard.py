"""Who may call an operations route, with refusals of authenticated callers audited."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials
from sqlalchemy.exc import SQLAlchemyError

from tasklane_analytics.operations.commands import audit, source_of
from tasklane_common.auth import GRANTS, ApiKeyAuth, Bearer, Principal
from tasklane_common.logging import get_logger
from tasklane_common.runtime import ServiceRuntime
from tasklane_common.settings import Role

log = get_logger(__name__)


def guard(runtime: ServiceRuntime, role: Role) -> Callable[..., Coroutine[Any, Any, Principal]]:
    auth = ApiKeyAuth(runtime.settings.auth)

    async def dependency(request: Request, _key: HTTPAuthorizationCredentials | None = Bearer) -> Principal:
        principal = auth.authenticate(request.headers.get("authorization"))
        if role not in GRANTS[principal.role]:
            log.warning("api_forbidden", principal=principal.name, role=principal.role, needs=role)
            if request.method not in ("GET", "HEAD", "OPTIONS"):
                try:
                    async with runtime.db.transaction() as session:
                        await audit(
                            session,
                            principal=principal,
                            source=source_of(request),
                            action=f"{request.method} {getattr(request.scope.get('route'), 'path', '')}",
                            target_type="api",
                            target_id=request.url.path,
                            outcome="forbidden",
                        )
                except (SQLAlchemyError, OSError) as exc:
                    # The refusal stands either way; losing its audit row must not make it a 500.
                    log.error("audit_write_failed", error=type(exc).__name__)
            raise HTTPException(403, f"the {principal.role} role may not do this ({role} needed)")
        return principal

    dependency.required_role = role  # type: ignore[attr-defined]
    return dependency
