"""Signing in with an API key, and out again."""

from __future__ import annotations

import hmac

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from tasklane_analytics.console.access import check_csrf, session_of, viewer_of
from tasklane_analytics.console.context import PREFIX, console_of
from tasklane_analytics.console.rendering import render
from tasklane_analytics.console.session import COOKIE, Session
from tasklane_common.auth import hash_key
from tasklane_common.logging import get_logger

log = get_logger(__name__)
router = APIRouter()


def with_session(request: Request, response: Response, session: Session) -> Response:
    console = console_of(request)
    response.set_cookie(
        COOKIE,
        console.signer.dump(session),
        max_age=int(console.signer.lifetime_s),
        path=PREFIX,
        httponly=True,
        samesite="strict",
        secure=console.secure_cookie if console.secure_cookie is not None else request.url.scheme == "https",
    )
    return response


@router.get("/sign-in")
async def sign_in_form(request: Request) -> Response:
    if viewer_of(request) is not None:
        return RedirectResponse(f"{PREFIX}/overview", status_code=303)
    session = session_of(request) or console_of(request).signer.new()
    return with_session(request, render(request, "sign_in.html", None, csrf=session.csrf), session)


@router.post("/sign-in")
async def sign_in(request: Request) -> Response:
    session = session_of(request)
    await check_csrf(request, session)
    key = (await request.form()).get("key")
    key = key.strip() if isinstance(key, str) else ""
    console = console_of(request)
    digest = hash_key(key) if key else ""
    known = next((h for h in console.principals if hmac.compare_digest(h, digest)), None)
    if known is None:
        log.warning("console_sign_in_refused")
        assert session is not None
        page: HTMLResponse = render(
            request,
            "sign_in.html",
            None,
            csrf=session.csrf,
            error="That key is not one this console knows.",
            status_code=401,
        )
        return page
    principal = console.principals[known]
    log.info("console_signed_in", principal=principal.name, role=principal.role)
    return with_session(
        request, RedirectResponse(f"{PREFIX}/overview", status_code=303), console.signer.new(known)
    )


@router.post("/sign-out")
async def sign_out(request: Request) -> Response:
    session = session_of(request)
    if session is None:
        raise HTTPException(403, "no session to end")
    await check_csrf(request, session)
    response = RedirectResponse(f"{PREFIX}/sign-in", status_code=303)
    response.delete_cookie(COOKIE, path=PREFIX, httponly=True, samesite="strict")
    return response
