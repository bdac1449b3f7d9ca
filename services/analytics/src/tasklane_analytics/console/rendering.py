"""Rendering a page: the layout needs the viewer (navigation by role, CSRF token) on every page."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse

from tasklane_analytics.console.access import Viewer
from tasklane_analytics.console.context import console_of
from tasklane_common.settings import Role


@dataclass(frozen=True)
class NavItem:
    path: str
    label: str
    role: Role


def render(
    request: Request,
    template: str,
    viewer: Viewer | None,
    *,
    status_code: int = 200,
    **context: Any,
) -> HTMLResponse:
    console = console_of(request)
    nav: list[NavItem] = request.app.state.nav
    return console.templates.TemplateResponse(
        request,
        template,
        {
            "viewer": viewer,
            "nav": [item for item in nav if viewer is not None and viewer.may(item.role)],
            "csrf": viewer.session.csrf if viewer is not None else context.pop("csrf", ""),
            "current": request.url.path,
            **context,
        },
        status_code=status_code,
    )
