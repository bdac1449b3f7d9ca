"""Authenticity of Meta's webhooks: ``X-Hub-Signature-256`` and the verify-token handshake."""

from __future__ import annotations

import hashlib
import hmac

SIGNATURE_HEADER = "x-hub-signature-256"
_PREFIX = "sha256="


def expected_signature(body: bytes, app_secret: str) -> str:
    """The header value Meta sends for ``body``: HMAC-SHA256 of the exact bytes received."""
    return _PREFIX + hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()


def signature_matches(body: bytes, header: str, app_secret: str) -> bool:
    # Hex is case-insensitive; the comparison must not reveal how many characters matched.
    given = header.strip()
    if given[: len(_PREFIX)].lower() != _PREFIX:
        return False
    candidate = (_PREFIX + given[len(_PREFIX) :].lower()).encode("ascii", "replace")
    return hmac.compare_digest(candidate, expected_signature(body, app_secret).encode())


def token_matches(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.encode(), expected.encode())
