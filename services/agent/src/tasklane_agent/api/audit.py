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
from tasklane_common.http import request_source
from tasklane_common.logging import get_logger, mask_phone
from tasklane_common.runtime import ServiceRuntime

log = get_logger(__name__)

_READS = frozenset({"GET", "HEAD", "OPTIONS"})
Handler = Callable[[Request], Coroutine[Any, Any, Response]]


def audited_route(auth: ApiKeyAuth, runtime: ServiceRuntime | None = None) -> type[APIRoute]:
    """A route class (``APIRouter(route_class=...)``) auditing each request through ``auth``;
    given the ``runtime``, changes and refusals also go to analytics' audit trail."""

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
                    await trail.forward(runtime, f"refused {exc.status_code}")
                    raise
                except RequestValidationError as exc:
                    trail.refused(422, _fields(exc))
                    await trail.forward(runtime, "refused 422")
                    raise
                except Exception as exc:
                    trail.record("api_failed", status=500, error=type(exc).__name__)
                    raise
                if request.method not in _READS:
                    trail.record(
                        "api_change", status=response.status_code, location=response.headers.get("location")
                    )
                    await trail.forward(runtime, "ok")
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

    async def forward(self, runtime: ServiceRuntime | None, outcome: str) -> None:
        """A change, or a refused change, to analytics' audit trail (reads stay in the log)."""
        if runtime is None or self.request.method in _READS or outcome == "refused 401":
            return  # no one to record, as the gateway's trail has it
        principal = self._principal(None)
        await runtime.control.record_admin_action(
            actor=principal.name if principal else None,
            role=str(principal.role) if principal else None,
            action=f"{self.request.method} {self.path}",
            target_type="api",
            target_id=",".join(str(_masked(v)) for v in self.request.path_params.values()) or None,
            outcome=outcome,
            source=request_source(self.request),
        )

    def _principal(self, status: object) -> Any:
        if status == 401:
            return None
        try:
            return self.auth.authenticate(self.request.headers.get("authorization"))
        except HTTPException:
            return None

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
