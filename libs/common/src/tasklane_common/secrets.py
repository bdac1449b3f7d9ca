"""Secrets sealed at rest (and on the broker) with AES-256-GCM.

The key comes from the environment (``TASKLANE_SECRETS_KEY``: 32 bytes, base64), shared by the
services that store or exchange secrets; retired keys stay readable through
``TASKLANE_SECRETS_PREVIOUS_KEYS`` (comma-separated) until a rotation re-seals every row with the
current key. A sealed value names its key, so rotation is a re-encrypt, never a guess:

    tlsec:v1:<key id>:<base64url(nonce || ciphertext+tag)>

The associated data binds a ciphertext to what it belongs to (e.g. the phone number id), so a
sealed token copied onto another row does not decrypt. Errors never include the plaintext.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import secrets as _random

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from tasklane_common.errors import PermanentError

PREFIX = "tlsec:v1:"
KEY_ENV = "TASKLANE_SECRETS_KEY"
PREVIOUS_KEYS_ENV = "TASKLANE_SECRETS_PREVIOUS_KEYS"
_NONCE_BYTES = 12


class SecretsError(PermanentError):
    """A secret cannot be sealed or opened: no key configured, unknown key, or tampered data."""


def generate_key() -> str:
    """A new random key, base64-encoded, for ``TASKLANE_SECRETS_KEY``."""
    return base64.b64encode(_random.token_bytes(32)).decode("ascii")


def _decode_key(text: str) -> bytes:
    try:
        raw = base64.b64decode(text.strip(), validate=False) if text.strip() else b""
    except (binascii.Error, ValueError):
        raw = b""
    if len(raw) != 32:
        raise SecretsError("a secrets key must be 32 bytes, base64-encoded (see `generate_key`)")
    return raw


def key_id(key: bytes) -> str:
    return hashlib.sha256(b"tasklane-secrets-key-id" + key).hexdigest()[:12]


class SecretBox:
    """Seals with the current key; opens with the current or any previous key."""

    def __init__(self, current: bytes | None, previous: tuple[bytes, ...] = ()) -> None:
        self._current = current
        self._keys = {key_id(k): AESGCM(k) for k in (*previous, *((current,) if current else ()))}
        self.current_key_id = key_id(current) if current else None

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> SecretBox:
        env = os.environ if environ is None else environ
        current = env.get(KEY_ENV, "").strip()
        previous = [p for p in env.get(PREVIOUS_KEYS_ENV, "").split(",") if p.strip()]
        return cls(_decode_key(current) if current else None, tuple(_decode_key(p) for p in previous))

    @classmethod
    def from_keys(cls, current: str | None, previous: tuple[str, ...] = ()) -> SecretBox:
        return cls(_decode_key(current) if current else None, tuple(_decode_key(p) for p in previous))

    @property
    def configured(self) -> bool:
        return self._current is not None

    def seal(self, plaintext: str, *, aad: str) -> str:
        if self._current is None or self.current_key_id is None:
            raise SecretsError(f"cannot store a secret: {KEY_ENV} is not set")
        nonce = _random.token_bytes(_NONCE_BYTES)
        sealed = self._keys[self.current_key_id].encrypt(nonce, plaintext.encode("utf-8"), aad.encode())
        token = base64.urlsafe_b64encode(nonce + sealed).decode("ascii").rstrip("=")
        return f"{PREFIX}{self.current_key_id}:{token}"

    def open(self, sealed: str, *, aad: str) -> str:
        kid, data = self._split(sealed)
        aead = self._keys.get(kid)
        if aead is None:
            raise SecretsError(f"secret sealed with unknown key {kid}: add it to {PREVIOUS_KEYS_ENV}")
        try:
            raw = base64.urlsafe_b64decode(data + "=" * (-len(data) % 4))
            return aead.decrypt(raw[:_NONCE_BYTES], raw[_NONCE_BYTES:], aad.encode()).decode("utf-8")
        except (InvalidTag, binascii.Error, ValueError, UnicodeDecodeError):
            raise SecretsError("secret cannot be opened: wrong key, wrong owner or tampered") from None

    def needs_rotation(self, sealed: str) -> bool:
        """True if ``sealed`` was not sealed with the current key."""
        return self._split(sealed)[0] != self.current_key_id

    def rotate(self, sealed: str, *, aad: str) -> str:
        """Re-seal with the current key (unchanged if it already is)."""
        return sealed if not self.needs_rotation(sealed) else self.seal(self.open(sealed, aad=aad), aad=aad)

    @staticmethod
    def _split(sealed: str) -> tuple[str, str]:
        if not sealed.startswith(PREFIX) or sealed.count(":") != 3:
            raise SecretsError("not a sealed secret")
        _, _, kid, data = sealed.split(":")
        return kid, data


def mask(secret: str | None) -> str | None:
    """What an API may show of a secret: whether it is set, and its last 4 characters at most for
    long values."""
    if not secret:
        return None
    return "••••" + secret[-4:] if len(secret) >= 16 else "••••"
