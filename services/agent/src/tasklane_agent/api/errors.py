"""How the REST API says no: one shape (problem details, ``tasklane_common.problems``), one status
per kind of workspace refusal, and the error responses each route lists in its OpenAPI document.

The workspace raises ``WorkspaceError`` subclasses with a stable ``code``; the status follows the
code, so an engine's refusal and the API's never disagree about what went wrong.
"""

from __future__ import annotations

from typing import Any

from fastapi import HTTPException

from tasklane_agent.workspace import WorkspaceError
from tasklane_common.problems import Problem

STATUS_BY_CODE = {"not_found": 404, "forbidden": 403, "conflict": 409, "invalid": 422}


# Every error body is a problem; ``problems.install`` documents it on each status listed here.
ErrorOut = Problem


def http_error(exc: WorkspaceError) -> HTTPException:
    return HTTPException(STATUS_BY_CODE.get(exc.code, 422), str(exc))


_MEANING = {
    401: "No API key, or one that is not configured.",
    403: "The key's role may not do this.",
    404: "No such task, project or user (or it is not visible).",
    409: "Conflicts with the current state (duplicate name, owner leaving, open tasks...).",
    422: "Invalid input; `errors` says which and why.",
    503: "The database is unavailable; retry.",
}


def documented(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` for a route: the authentication errors every route may answer, and
    ``statuses``. 422 keeps FastAPI's schema for field errors (ours is ``ErrorOut``-shaped too)."""
    out: dict[int | str, dict[str, Any]] = {}
    for status in (401, 403, *statuses):
        out[status] = {"description": _MEANING[status]}
        if status != 422:
            out[status]["model"] = ErrorOut
    return out
