"""Every service's ``/docs`` (Swagger UI) from assets shipped in this package, not a CDN.

FastAPI's default pages load Swagger UI and ReDoc from jsDelivr, so on a cluster without internet
they render blank. A service builds its app with ``docs_url=None, redoc_url=None`` and calls
``install(app)``: ``/docs`` then loads its script and styles from ``/docs/assets/`` (vendored from
npm, see ``static/swagger-ui/VENDORED.md``) and starts through a script file, so the page also
carries a Content-Security-Policy that admits nothing but its own origin.
"""

from __future__ import annotations

from html import escape
from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

ASSETS = Path(__file__).parent / "static" / "swagger-ui"
ASSETS_PATH = "/docs/assets"
# 'unsafe-inline' styles: Swagger UI's React components set style attributes. Scripts stay strict.
DOCS_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self' data:; object-src 'none'; base-uri 'none'; "
    "frame-ancestors 'none'; form-action 'self'"
)


def docs_page(title: str, openapi_url: str) -> str:
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{escape(title)} - API docs</title>
<link rel="icon" type="image/png" href="{ASSETS_PATH}/favicon-32x32.png">
<link rel="stylesheet" href="{ASSETS_PATH}/swagger-ui.css">
</head>
<body>
<div id="swagger-ui" data-openapi="{escape(openapi_url)}"></div>
<script src="{ASSETS_PATH}/swagger-ui-bundle.js"></script>
<script src="{ASSETS_PATH}/init.js"></script>
</body>
</html>
"""


def install(app: FastAPI) -> None:
    """Serve ``/docs`` and its assets locally (the app was built with ``docs_url=None``)."""
    assert app.docs_url is None, "build the app with docs_url=None so that this /docs is the one"
    openapi_url = app.openapi_url or "/openapi.json"
    page = docs_page(app.title, openapi_url)
    app.mount(ASSETS_PATH, StaticFiles(directory=ASSETS), name="docs-assets")

    @app.get("/docs", include_in_schema=False)
    async def swagger_ui() -> HTMLResponse:
        return HTMLResponse(
            page,
            headers={
                "Content-Security-Policy": DOCS_CSP,
                "X-Frame-Options": "DENY",
                "X-Content-Type-Options": "nosniff",
            },
        )
