"""Who is looking, and what they may do: every page and action declares the role it needs.

A page the role may not see is answered 403 (and is not in the navigation); an action is refused
unless its CSRF token matches the session's and, when the browser says where it comes from, the
request comes from the console's own origin.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import urlsplit

from fastapi import Depends, HTTPException, Request

from tasklane_analytics.console.context import PREFIX, console_of
from tasklane_analytics.console.session import COOKIE, Session
from tasklane_common.auth import GRANTS, Principal
from tasklane_common.http import request_source
from tasklane_common.logging import get_logger
from tasklane_common.settings import Role

log = get_logger(__name__)
CSRF_FIELD = "csrf"
CSRF_HEADER = "x-csrf-token"


class SignInRequired(Exception):
    """Raised by a page for a visitor without a valid session: they are sent to sign in."""


@dataclass(frozen=True)
class Viewer:
    principal: Principal
    session: Session

    def may(self, role: Role | str) -> bool:
        return Role(role) in GRANTS[self.principal.role]


def session_of(request: Request) -> Session | None:
    return console_of(request).signer.load(request.cookies.get(COOKIE))


def viewer_of(request: Request) -> Viewer | None:
    session = session_of(request)
    if session is None or session.key_sha256 is None:
        return None
    principal = console_of(request).principals.get(session.key_sha256)
    return Viewer(principal, session) if principal is not None else None


def _same_origin(request: Request) -> bool:
    origin = request.headers.get("origin")
    if origin is None:
        # Browsers send Origin with every POST they make; its absence is a non-browser client,
        # which the CSRF token alone must then satisfy.
        return True
    # Hosts, not schemes: behind an ingress that ends TLS the page is https and the service http.
    host = request.headers.get("host")
    return origin != "null" and host is not None and urlsplit(origin).netloc == host


async def check_csrf(request: Request, session: Session | None) -> None:
    sent = request.headers.get(CSRF_HEADER)
    if sent is None and request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        value = (await request.form()).get(CSRF_FIELD)
        sent = value if isinstance(value, str) else None
    if session is None or sent is None or not hmac.compare_digest(sent, session.csrf):
        log.warning("console_csrf_refused", path=request.url.path)
        raise HTTPException(403, "this form has expired or did not come from the console; reload the page")
    if not _same_origin(request):
        log.warning("console_cross_origin_refused", path=request.url.path)
        raise HTTPException(403, "cross-origin request refused")


def _viewer_with(role: Role, request: Request) -> Viewer:
    viewer = viewer_of(request)
    if viewer is None:
        raise SignInRequired
    if not viewer.may(role):
        log.warning("console_forbidden", principal=viewer.principal.name, needs=role, path=request.url.path)
        raise HTTPException(403, f"the {viewer.principal.role} role may not do this")
    return viewer


def page(role: Role) -> Any:
    """``Depends`` for a page (GET) needing ``role``."""

    async def dependency(request: Request) -> Viewer:
        return _viewer_with(role, request)

    return Depends(dependency)


def action(role: Role) -> Any:
    """``Depends`` for an action (POST) needing ``role``: signed in, CSRF token, own origin."""

    async def dependency(request: Request) -> Viewer:
        viewer = _viewer_with(role, request)
        await check_csrf(request, viewer.session)
        log.info("console_action", principal=viewer.principal.name, path=request.url.path)
        return viewer

    return Depends(dependency)


def sign_in_url() -> str:
    return f"{PREFIX}/sign-in"


# What a page's or an action's ``viewer`` parameter is annotated with.
AnalystPage = Annotated[Viewer, page(Role.ANALYST)]
OperatorPage = Annotated[Viewer, page(Role.OPERATOR)]
OperatorAction = Annotated[Viewer, action(Role.OPERATOR)]


def source_of(request: Request) -> str | None:
    """Where an action came from, for the audit trail (as the operations API records it)."""
    return request_source(request)
