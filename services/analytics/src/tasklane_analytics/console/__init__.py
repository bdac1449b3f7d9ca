"""The operations console: server-rendered pages for analysts and operators at ``/console``.

A FastAPI app of its own, mounted by analytics (``app.mount(PREFIX, create_console(...))``), so
its security headers, error pages and static files stay apart from the JSON API. Each page is a
module of ``pages`` with its router and its navigation entry; adding a page is adding a module
and listing it in ``PAGES``. Every script and stylesheet is a file under ``static`` (no CDN, no
inline script), so the console works on a cluster without internet under a strict CSP.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException

from tasklane_analytics.alerts.service import AlertService
from tasklane_analytics.console.access import SignInRequired, viewer_of
from tasklane_analytics.console.context import HERE, PREFIX, build
from tasklane_analytics.console.pages import (
    alerts,
    audit,
    dead_letters,
    failures,
    health,
    live,
    numbers,
    outcomes,
    overview,
    per_number,
    sign_in,
    trends,
    workers,
)
from tasklane_analytics.console.rendering import render
from tasklane_analytics.console.settings import ConsoleSettings
from tasklane_analytics.operations.service import Operations
from tasklane_common.runtime import ServiceRuntime
from tasklane_common.settings import AuthSettings

__all__ = ["PREFIX", "ConsoleSettings", "create_console"]

PAGES = [
    overview,
    trends,
    outcomes,
    per_number,
    failures,
    live,
    health,
    workers,
    dead_letters,
    numbers,
    alerts,
    audit,
]
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; form-action 'self'; frame-ancestors 'none'; "
    "base-uri 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    # Not no-referrer: with it, browsers send "Origin: null" on form posts and the origin check
    # could not tell the console from anyone else.
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
}


def create_console(
    runtime: ServiceRuntime,
    ops: Operations,
    settings: ConsoleSettings,
    auth: AuthSettings,
    alert_service: AlertService,
) -> FastAPI:
    app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)
    app.state.console = build(runtime, ops, settings, auth, alert_service)
    app.state.nav = [p.NAV for p in PAGES]
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    app.include_router(sign_in.router)
    for module in PAGES:
        app.include_router(module.router)

    @app.get("/")
    async def home() -> RedirectResponse:
        return RedirectResponse(f"{PREFIX}/overview", status_code=303)

    @app.middleware("http")
    async def security_headers(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        response = await call_next(request)
        response.headers.update(SECURITY_HEADERS)
        if not request.url.path.startswith(f"{PREFIX}/static/"):
            response.headers["Cache-Control"] = "no-store"
        return response

    @app.exception_handler(SignInRequired)
    async def to_sign_in(request: Request, _exc: SignInRequired) -> Response:
        if request.headers.get("hx-request"):
            # A poll or a click after the session ended: htmx follows the header to a full page.
            return Response(status_code=401, headers={"HX-Redirect": f"{PREFIX}/sign-in"})
        if request.method != "GET":
            return render(request, "error.html", None, status_code=401, message="Sign in first.")
        return RedirectResponse(f"{PREFIX}/sign-in", status_code=303)

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> Response:
        return render(
            request, "error.html", viewer_of(request), status_code=exc.status_code, message=exc.detail
        )

    @app.exception_handler(RequestValidationError)
    async def bad_input(request: Request, _exc: RequestValidationError) -> Response:
        return render(request, "error.html", viewer_of(request), status_code=422, message="Bad request.")

    return app
