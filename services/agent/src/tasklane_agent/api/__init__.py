"""The agent's REST API (``/api/v1``): tasks, projects and teams, for other tools and admins.

Reads need an ``analyst`` key, changes an ``operator`` one (``admin`` may do both); every change
and refusal is audited (``audit``). Changes go through the same ``Workspace`` as WhatsApp users'
messages, with its events and notices in the outbox of the change's own transaction (``unit``).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from fastapi import APIRouter, Depends, Security
from fastapi.security import HTTPBearer

from tasklane_agent.api.audit import audited_route
from tasklane_agent.api.projects import projects_router
from tasklane_agent.api.tasks import tasks_router
from tasklane_agent.api.teams import teams_router
from tasklane_agent.api.unit import Units
from tasklane_agent.settings import AgentSettings
from tasklane_common.auth import ApiKeyAuth
from tasklane_common.runtime import ServiceRuntime
from tasklane_common.settings import Role

__all__ = ["tasks_api_router"]


def _system_clock() -> datetime:
    return datetime.now(UTC)


def tasks_api_router(
    runtime: ServiceRuntime, settings: AgentSettings, clock: Callable[[], datetime] | None = None
) -> APIRouter:
    """``clock``: the current time (aware); tests pin it, as they do the message handlers'."""
    auth = ApiKeyAuth(runtime.settings.auth)
    read = Depends(auth.require(Role.ANALYST))
    write = Depends(auth.require(Role.OPERATOR))
    route_class = audited_route(auth, runtime)
    units = Units(runtime, settings, clock or _system_clock)
    # Checks nothing (auth.require does): it shows the bearer scheme in the OpenAPI document.
    bearer = Security(HTTPBearer(auto_error=False, description="Authorization: Bearer <API key>"))
    # The prefix is the inner routers': audit lines then name each route by its full path.
    api = APIRouter(dependencies=[bearer])
    api.include_router(tasks_router(units, read, write, route_class))
    api.include_router(projects_router(units, read, write, route_class))
    operator, admin = write, Depends(auth.require(Role.ADMIN))
    api.include_router(teams_router(units, operator, admin, route_class))
    return api
