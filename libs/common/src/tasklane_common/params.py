"""Query and path parameter types every service's HTTP API declares, so that all of them refuse
bad input the same way, as a 422 naming the parameter, before it reaches the database.

Text may not hold control characters: PostgreSQL refuses a NUL in text, and its error would
surface as a 500 (or, misread, as a 503 "database unavailable") for what is plainly bad input.
Numbers that reach SQL are bounded to what a BIGINT holds: asyncpg refuses anything larger when
it encodes the query, again a server error for a client's mistake.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import Path, Query
from pydantic import BeforeValidator

NO_CONTROL = r"^[^\x00-\x1f\x7f]*$"
INT64_MAX = 2**63 - 1
# Beyond a million rows an offset page is the wrong tool (and a full scan); refuse it plainly.
MAX_OFFSET = 1_000_000


def text_query(description: str | None = None, *, max_length: int = 200) -> Any:
    """A free-text or id filter: at most ``max_length`` characters, none of them control ones."""
    return Query(max_length=max_length, pattern=NO_CONTROL, description=description)


def limit_query(maximum: int) -> Any:
    return Query(ge=1, le=maximum, description=f"At most this many items (1..{maximum}).")


TextFilter = Annotated[str | None, text_query()]
Offset = Annotated[int, Query(ge=0, le=MAX_OFFSET, description=f"Items to skip (0..{MAX_OFFSET}).")]


_DIGITS = re.compile(r"[0-9]{1,19}")


def _digits_only(value: Any) -> Any:
    # Pydantic reads " 12\r\n" as 12: an id in a URL is its digits, nothing around them.
    if isinstance(value, str) and _DIGITS.fullmatch(value) is None:
        raise ValueError("must be a whole number, digits only")
    return value


# A numeric id in a path: 1..INT64_MAX, written as digits only.
IdPath = Annotated[
    int, Path(ge=1, le=INT64_MAX, description="A numeric id (digits)."), BeforeValidator(_digits_only)
]
