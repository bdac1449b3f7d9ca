"""Graph API error bodies, shaped like Meta's (``{"error": {message, type, code, error_data,
fbtrace_id}}``), with the HTTP status Meta answers each code with.

Fault injection builds on this module: any code of Meta's table can be produced with
:func:`graph_error` and answered with :func:`http_status_for`.
"""

from __future__ import annotations

import secrets
import string
from typing import Any

# code -> (title, HTTP status). Titles follow Meta's error-codes page.
KNOWN_ERRORS: dict[int, tuple[str, int]] = {
    1: ("An unknown error occurred", 500),
    2: ("Service temporarily unavailable", 503),
    4: ("Application request limit reached", 400),
    10: ("Permission denied", 403),
    100: ("Invalid parameter", 400),
    190: ("Access token has expired", 401),
    368: ("Temporarily blocked for policies violations", 403),
    80007: ("Rate limit issues", 400),
    130429: ("Rate limit hit", 400),
    130472: ("User's number is part of an experiment", 400),
    131000: ("Something went wrong", 500),
    131005: ("Access denied", 403),
    131008: ("Required parameter is missing", 400),
    131009: ("Parameter value is not valid", 400),
    131016: ("Service unavailable", 503),
    131021: ("Recipient cannot be sender", 400),
    131026: ("Message undeliverable", 400),
    131031: ("Account has been locked", 400),
    131042: ("Business eligibility payment issue", 400),
    131047: ("Re-engagement message", 400),
    131048: ("Spam rate limit hit", 400),
    131051: ("Unsupported message type", 400),
    131056: ("(Business Account, Consumer Account) pair rate limit hit", 400),
    131057: ("Account in maintenance mode", 400),
    132000: ("Number of parameters does not match the expected number of params", 400),
    132001: ("Template does not exist", 404),
    133004: ("Server temporarily unavailable", 503),
    133010: ("Phone number not registered", 400),
}

ERRORS_HREF = "/documentation/business-messaging/whatsapp/support/error-codes"

_TRACE_ALPHABET = string.ascii_letters + string.digits + "-_"


def fbtrace_id() -> str:
    return "".join(secrets.choice(_TRACE_ALPHABET) for _ in range(23))


def title_for(code: int) -> str:
    return KNOWN_ERRORS.get(code, ("Unknown error", 400))[0]


def http_status_for(code: int) -> int:
    return KNOWN_ERRORS.get(code, ("Unknown error", 400))[1]


def graph_error(
    code: int,
    message: str | None = None,
    details: str | None = None,
    *,
    type_: str = "OAuthException",
    subcode: int | None = None,
) -> dict[str, Any]:
    """A Graph API error body. ``message`` defaults to ``"(#<code>) <title>"`` as Meta writes it."""
    error: dict[str, Any] = {
        "message": message if message is not None else f"(#{code}) {title_for(code)}",
        "type": type_,
        "code": code,
    }
    if details is not None:
        error["error_data"] = {"messaging_product": "whatsapp", "details": details}
    if subcode is not None:
        error["error_subcode"] = subcode
    error["fbtrace_id"] = fbtrace_id()
    return {"error": error}


def invalid_token() -> dict[str, Any]:
    return graph_error(190, "Invalid OAuth access token - Cannot parse access token", type_="OAuthException")


def unknown_object(object_id: str) -> dict[str, Any]:
    return graph_error(
        100,
        f"Unsupported post request. Object with ID '{object_id}' does not exist, cannot be loaded "
        "due to missing permissions, or does not support this operation. Please read the Graph "
        "API documentation at https://developers.facebook.com/docs/graph-api",
        type_="GraphMethodException",
        subcode=33,
    )


def status_error(code: int, details: str) -> dict[str, Any]:
    """An entry of ``statuses[].errors`` in a ``failed`` status webhook."""
    title = title_for(code)
    return {
        "code": code,
        "title": title,
        "message": title,
        "error_data": {"details": details},
        "href": ERRORS_HREF,
    }


class GraphError(Exception):
    """Raised by validation; the app answers ``status`` with ``body``."""

    def __init__(self, code: int, details: str | None = None, *, message: str | None = None) -> None:
        super().__init__(f"({code}) {details or message or title_for(code)}")
        self.code = code
        self.status = http_status_for(code)
        self.body = graph_error(code, message, details)
