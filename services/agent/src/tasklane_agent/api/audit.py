"""The audit trail of the tasks API: one structured log line per change made (``api_change``) and
per request refused (``api_refused``: no or unknown key, a role that may not, invalid input, a
conflict, something not found), naming the principal, the route and the ids it targeted.

It is a route class rather than a dependency so that it also sees what dependencies never do:
the body's validation errors, and refusals raised before the route runs. Reads are only audited
when refused access (401/403): the auth module already logs every admitted request.

Never logged: keys, request bodies, the values a client sent. Ids that are phone numbers (some
deployments use the wa_id as user id) are masked, as every log line's digits are.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import HTTPException, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute

from tasklane_common.auth import ApiKeyAuth
from tasklane_common.logging import get_logger, mask_phone

log = get_logger(__name__)

_READS = frozenset({"GET", "HEAD", "OPTIONS"})
Handler = Callable[[Request], Coroutine[Any, Any, Response]]


def audited_route(auth: ApiKeyAuth) -> type[APIRoute]:
    """A route class (``APIRouter(route_class=...)``) auditing each request through ``auth``."""

    class AuditedRoute(APIRoute):
        def get_route_handler(self) -> Handler:
            handle = super().get_route_handler()
            action_path = self.path

            async def audited(request: Request) -> Response:
                trail = _Trail(auth, request, action_path)
                try:
                    response = await handle(request)
                except HTTPException as exc:
                    trail.refused(exc.status_code, str(exc.detail))
                    raise
                except RequestValidationError as exc:
                    trail.refused(422, _fields(exc))
                    raise
                except Exception as exc:
                    trail.record("api_failed", status=500, error=type(exc).__name__)
                    raise
                if request.method not in _READS:
                    trail.record(
                        "api_change", status=response.status_code, location=response.headers.get("location")
                    )
                return response

            return audited

    return AuditedRoute


class _Trail:
    def __init__(self, auth: ApiKeyAuth, request: Request, path: str) -> None:
        self.auth = auth
        self.request = request
        self.path = path

    def refused(self, status: int, reason: str) -> None:
        if self.request.method in _READS and status not in (401, 403):
            return  # a read that found nothing is not a refusal of anything
        self.record("api_refused", status=status, reason=reason)

    def record(self, event: str, **extra: Any) -> None:
        principal = None
        if extra.get("status") != 401:
            # Past authentication the key is a configured one: this cannot fail (nor log again).
            try:
                principal = self.auth.authenticate(self.request.headers.get("authorization"))
            except HTTPException:
                principal = None
        targets = {f"target_{k}": _masked(v) for k, v in self.request.path_params.items()}
        log.info(
            event,
            principal=principal.name if principal else None,
            role=principal.role if principal else None,
            action=f"{self.request.method} {self.path}",
            **targets,
            **{k: v for k, v in extra.items() if v is not None},
        )


def _masked(value: Any) -> Any:
    text = str(value)
    return mask_phone(text) if text.lstrip("+").isdigit() else value


def _fields(exc: RequestValidationError) -> str:
    """Which fields were wrong and why, without the values sent."""
    return "; ".join(
        f"{'.'.join(str(part) for part in error.get('loc', ()))}: {error.get('msg', 'invalid')}"
        for error in exc.errors()
    )
