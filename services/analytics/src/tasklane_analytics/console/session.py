"""Console sessions: a signed cookie, so that any replica can read it without shared storage.

The cookie holds who signed in (the key's name and the SHA-256 the configuration knows it by,
never the key), when the session ends, and the session's CSRF token; an HMAC over all of it
makes it tamper-proof. Each request looks the hash up in the configured keys again, so removing
a key or changing its role takes effect on the next click. A visitor who has not signed in yet
gets a session too (no principal, a CSRF token) so that the sign-in form is protected as well.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass

import orjson

COOKIE = "tl_console"


@dataclass(frozen=True)
class Session:
    csrf: str
    expires_at: int
    key_sha256: str | None = None

    @property
    def signed_in(self) -> bool:
        return self.key_sha256 is not None


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class SessionSigner:
    def __init__(self, secret: bytes, *, lifetime_s: float) -> None:
        self._secret = secret
        self.lifetime_s = lifetime_s

    def new(self, key_sha256: str | None = None) -> Session:
        """A fresh session (a fresh CSRF token too: signing in never keeps the anonymous one)."""
        return Session(
            csrf=secrets.token_urlsafe(32),
            expires_at=int(time.time() + self.lifetime_s),
            key_sha256=key_sha256,
        )

    def _mac(self, payload: bytes) -> str:
        return _b64(hmac.new(self._secret, payload, hashlib.sha256).digest())

    def dump(self, session: Session) -> str:
        payload = orjson.dumps({"c": session.csrf, "e": session.expires_at, "k": session.key_sha256})
        return f"{_b64(payload)}.{self._mac(payload)}"

    def load(self, cookie: str | None) -> Session | None:
        """The session in ``cookie``, or None when it is missing, forged, damaged or over."""
        if not cookie or "." not in cookie:
            return None
        body, _, mac = cookie.partition(".")
        try:
            payload = _unb64(body)
        except ValueError:
            return None
        if not hmac.compare_digest(mac, self._mac(payload)):
            return None
        try:
            data = orjson.loads(payload)
            session = Session(csrf=str(data["c"]), expires_at=int(data["e"]), key_sha256=data["k"])
        except (orjson.JSONDecodeError, KeyError, TypeError, ValueError):
            return None
        return session if session.expires_at > time.time() else None
