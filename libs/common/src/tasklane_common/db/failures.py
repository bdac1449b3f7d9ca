"""Which database errors are an outage (503, retry) and which are the request's own fault.

Only a lost or refused connection, or a server shutting down or out of resources, is an outage.
A data exception (SQLSTATE class 22: a NUL in text, a number out of range, a bad cast) is bad
input: answering it 503 "retry" would have a client retry forever what can never succeed.
Anything else is a bug of ours and stays a 500.
"""

from __future__ import annotations

from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

# Connection exception, insufficient resources, operator intervention (shutdown, cancel).
_OUTAGE_CLASSES = ("08", "53", "57")


def sqlstate(exc: BaseException) -> str | None:
    orig = getattr(exc, "orig", None)
    for candidate in (orig, getattr(orig, "__cause__", None)):
        code = getattr(candidate, "sqlstate", None) or getattr(candidate, "pgcode", None)
        if isinstance(code, str):
            return code
    return None


def is_bad_input(exc: BaseException) -> bool:
    """The database refused the values it was given (SQLSTATE class 22)."""
    code = sqlstate(exc)
    return isinstance(exc, DBAPIError) and code is not None and code.startswith("22")


def is_outage(exc: BaseException) -> bool:
    """The database could not be reached or could not serve: retrying later may succeed."""
    if isinstance(exc, OSError | TimeoutError):
        return True
    code = sqlstate(exc)
    if code is not None:
        return code.startswith(_OUTAGE_CLASSES)
    return isinstance(exc, OperationalError | InterfaceError)
