"""One error format for every service's HTTP API: RFC 9457 problem details.

Every refusal and failure is ``application/problem+json`` with ``type``, ``title``, ``status``,
``detail`` (a sentence, always a string) and ``instance`` (the request's path); a validation error
adds ``errors``, one entry per field (where, what, which kind), never the offending input, which
may be a secret (a too-long token, say). ``install`` answers that way and makes every operation's
OpenAPI document it as the schema of each 4xx and 5xx it lists, so a client's generated types and
the answers agree. Every route lists its own refusals (401/403 with a key, 422 with any input are
added here; a 404 or 409 the route declares in ``responses=``): there is no catch-all "4XX".
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect

from tasklane_common.logging import LogThrottle, get_logger

log = get_logger(__name__)

MEDIA_TYPE = "application/problem+json"


class FieldError(BaseModel):
    loc: list[str | int] = Field(description="Where: body, query, path or header, then the field.")
    msg: str
    type: str


class Problem(BaseModel):
    type: str = Field(default="about:blank", description="about:blank: the status says it all.")
    title: str = Field(description="The status's reason phrase.")
    status: int
    detail: str = Field(description="What went wrong with this request, in a sentence.")
    instance: str = Field(description="The request's path.")
    errors: list[FieldError] | None = Field(default=None, description="Validation errors, one per field.")


Responses = dict[int | str, dict[str, Any]]


def refusals(meanings: dict[int, str]) -> Responses:
    """``responses=`` for a route's own refusals (``{404: "No such app."}``): each is documented
    as a problem, beside the 401/403/422 that ``install`` adds where they apply."""
    return {status: {"description": text} for status, text in meanings.items()}


def _title(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def problem(request: Request, status: int, detail: str, **extra: Any) -> JSONResponse:
    body = Problem(title=_title(status), status=status, detail=detail, instance=request.url.path, **extra)
    return JSONResponse(body.model_dump(exclude_none=True), status_code=status, media_type=MEDIA_TYPE)


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    detail = exc.detail if isinstance(exc.detail, str) else _title(exc.status_code)
    response = problem(request, exc.status_code, detail)
    for name, value in (exc.headers or {}).items():
        response.headers[name] = value
    return response


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = [
        FieldError(loc=list(e.get("loc", ())), msg=str(e.get("msg")), type=str(e.get("type")))
        for e in exc.errors()
    ]
    where = ", ".join(".".join(str(p) for p in e.loc) for e in errors[:5])
    return problem(request, 422, f"invalid request: {where}" if where else "invalid request", errors=errors)


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    # The exception's text may hold anything (a token, a phone number): its type only.
    log.error("http_unhandled_error", error=type(exc).__name__, path=request.url.path)
    return problem(request, 500, "internal error")


def _problem_content() -> dict[str, Any]:
    return {MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}}


def _document(schema: dict[str, Any]) -> dict[str, Any]:
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    problem_schema = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
    components.update(problem_schema.pop("$defs", {}))
    components["Problem"] = problem_schema
    for name in ("HTTPValidationError", "ValidationError"):
        components.pop(name, None)
    for item in schema.get("paths", {}).values():
        for operation in item.values():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            responses: dict[str, Any] = operation["responses"]
            if operation.get("parameters") or operation.get("requestBody"):
                responses.setdefault("422", {"description": "Invalid input; `errors` says which and why."})
            if operation.get("requestBody"):
                # FastAPI's own answer to a body it cannot even decode (not UTF-8, say).
                responses.setdefault("400", {"description": "The body cannot be parsed."})
            if operation.get("security"):
                responses.setdefault("401", {"description": "No API key, or one that is not configured."})
                responses.setdefault("403", {"description": "The key's role may not do this."})
            # A route lists each refusal it can give (``responses=``), so that a client knows
            # them and a fuzzer can tell an undocumented one; a failure can come from anywhere.
            responses.setdefault("5XX", {"description": "Failed; `detail` says why (503: retry later)."})
            for status, response in responses.items():
                if status[:1] in ("4", "5") and not (
                    status == "503" and "health" in operation.get("tags", [])
                ):
                    response["content"] = _problem_content()
    return schema


def _disconnected(throttle: LogThrottle) -> Any:
    async def handler(request: Request, exc: Exception) -> JSONResponse:
        # The client hung up before we had read its request: its doing, not a failure of ours, and
        # nobody reads the answer. One info line per path and minute says it happened.
        held_back = throttle.allow(request.url.path)
        if held_back is not None:
            log.info("http_client_disconnected", path=request.url.path, held_back=held_back)
        return problem(request, 400, "the client closed the connection before the request was read")

    return handler


def install(app: FastAPI) -> None:
    """Answer every error as a problem and document it so in the app's OpenAPI."""
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(ClientDisconnect, _disconnected(LogThrottle(60.0)))
    app.add_exception_handler(Exception, _unexpected)

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(title=app.title, version=app.version, routes=app.routes)
            app.openapi_schema = _document(schema)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
