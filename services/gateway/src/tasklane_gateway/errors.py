"""Refusals the admin API turns into 4xx answers (and audit rows)."""

from __future__ import annotations

from typing import Any


class AdminError(Exception):
    """A refusal the caller can act on (400 bad input, 404 unknown, 409 conflict...). The message
    is shown to the caller and audited: it never holds a secret."""

    def __init__(self, status: int, message: str, **details: Any) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.details = details
