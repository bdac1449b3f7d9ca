"""One pagination style for every list endpoint of every service (docs/api.md).

A list takes ``limit`` (at most that many items) and ``offset`` (items to skip), both declared in
``tasklane_common.params``, and answers one envelope, whatever it lists::

    {"items": [...], "total": 123, "limit": 50, "offset": 100}

``total`` counts every match over all pages, so a client knows where the end is without asking
for an empty page; the next page is ``offset + limit`` while that is below ``total``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Generic, TypeVar

from pydantic import BaseModel, Field

Item = TypeVar("Item")


class Page(BaseModel, Generic[Item]):
    items: list[Item] = Field(description="This page's items, in the list's order.")
    total: int = Field(description="How many items match, over all pages.")
    limit: int = Field(description="The limit asked for: at most this many items.")
    offset: int = Field(description="How many matching items come before this page.")


def sliced(everything: Sequence[Item], *, limit: int, offset: int) -> Page[Item]:
    """A page of a list small enough to be read whole (apps, numbers): the same envelope."""
    return Page[Item](
        items=list(everything[offset : offset + limit]), total=len(everything), limit=limit, offset=offset
    )
