"""The webhook endpoint's view of the integrations: every app's secret and verify token (opened),
and which app owns each phone number and WABA.

Held in memory (a webhook must not decrypt secrets on every POST) and reloaded when older than
``integrations_refresh_s``, so a change made through another replica is honoured within that
time; a change made through this replica invalidates it at once. If a reload fails (database
down) the last copy stays in use. The single-app environment variables are the app ``default``,
always present when set.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.exc import SQLAlchemyError

from tasklane_common.db.engine import Database
from tasklane_common.logging import get_logger
from tasklane_common.secrets import SecretBox, SecretsError
from tasklane_gateway.integrations import DEFAULT_APP_ID
from tasklane_gateway.integrations_repository import IntegrationsRepository
from tasklane_gateway.settings import GatewaySettings
from tasklane_gateway.signature import signature_matches, token_matches
from tasklane_gateway.untrusted import ident

log = get_logger(__name__)

# After a failed reload, how long the last copy is used before the database is asked again.
_RETRY_AFTER_FAILURE_S = 1.0


@dataclass(frozen=True)
class AppCredentials:
    app_id: str
    app_secret: str | None
    verify_token: str | None


@dataclass(frozen=True)
class Snapshot:
    apps: dict[str, AppCredentials]
    # phone_number_id -> app_id, and WABA id -> app_id (for notifications without a number).
    number_apps: dict[str, str] = field(default_factory=dict)
    waba_apps: dict[str, str] = field(default_factory=dict)
    loaded_at: float = 0.0

    def signers(self, body: bytes, header: str, *, only: str | None = None) -> set[str]:
        """The apps whose secret produced ``header`` for ``body``. Every candidate is checked
        (constant time each), so the answer's timing does not tell which app matched."""
        found = set()
        for app in self.apps.values():
            if only is not None and app.app_id != only:
                continue
            if app.app_secret is not None and signature_matches(body, header, app.app_secret):
                found.add(app.app_id)
        return found

    def verifies(self, token: str, *, only: str | None = None) -> bool:
        matched = False
        for app in self.apps.values():
            if only is not None and app.app_id != only:
                continue
            if app.verify_token is not None and token_matches(token, app.verify_token):
                matched = True
        return matched

    def has_secret(self, only: str | None = None) -> bool:
        return any(a.app_secret is not None for a in self.apps.values() if only is None or a.app_id == only)

    def has_verify_token(self, only: str | None = None) -> bool:
        return any(a.verify_token is not None for a in self.apps.values() if only is None or a.app_id == only)

    def owner(self, phone_number_id: str | None, waba_id: str | None) -> str | None:
        if phone_number_id is not None and phone_number_id in self.number_apps:
            return self.number_apps[phone_number_id]
        if waba_id is not None:
            return self.waba_apps.get(waba_id)
        return None


def drop_foreign(payload: dict[str, Any], signers: set[str], snapshot: Snapshot) -> list[str]:
    """Remove, in place, the changes for numbers (or WABAs) registered under an app that did not
    sign this POST: an app cannot inject another app's messages or statuses. Returns the phone
    number (or WABA) ids dropped. Unregistered numbers pass (the zero-config case); odd shapes are
    left for the parser to tolerate."""
    return _foreign(payload, signers, snapshot, remove=True)


def find_foreign(payload: dict[str, Any], signers: set[str], snapshot: Snapshot) -> list[str]:
    """What ``drop_foreign`` would drop, leaving ``payload`` untouched."""
    return _foreign(payload, signers, snapshot, remove=False)


def _foreign(payload: dict[str, Any], signers: set[str], snapshot: Snapshot, *, remove: bool) -> list[str]:
    dropped: list[str] = []
    entries = payload.get("entry")
    if not isinstance(entries, list):
        return dropped
    for entry in entries:
        if not isinstance(entry, dict) or not isinstance(entry.get("changes"), list):
            continue
        # ident(), as the parser reads them: a JSON number 111 is the number "111" there, so it
        # must be here too, or another app could sign it and have it taken as ours.
        waba_id = ident(entry.get("id"))
        kept = []
        for change in entry["changes"]:
            value = change.get("value") if isinstance(change, dict) else None
            metadata = value.get("metadata") if isinstance(value, dict) else None
            number = ident(metadata.get("phone_number_id")) if isinstance(metadata, dict) else None
            owner = snapshot.owner(number, waba_id)
            if owner is not None and owner not in signers:
                dropped.append(str(number or waba_id))
                continue
            kept.append(change)
        if remove:
            entry["changes"] = kept
    return dropped


class AppRegistry:
    def __init__(self, db: Database, box: SecretBox, settings: GatewaySettings) -> None:
        self._db = db
        self._box = box
        self._ttl = settings.integrations_refresh_s
        default = AppCredentials(
            DEFAULT_APP_ID,
            settings.app_secret.get_secret_value() if settings.app_secret else None,
            settings.verify_token.get_secret_value() if settings.verify_token else None,
        )
        self._default = default if default.app_secret or default.verify_token else None
        self._snapshot = Snapshot(apps=self._with_default({}))
        self._loaded = False
        self._next_load = 0.0
        self._lock = asyncio.Lock()
        self.last_error: str | None = None
        self._reload_failed = False
        self._unreadable = 0

    def _with_default(self, apps: dict[str, AppCredentials]) -> dict[str, AppCredentials]:
        return {**({DEFAULT_APP_ID: self._default} if self._default else {}), **apps}

    def invalidate(self) -> None:
        """Reload at the next use (after this replica changed the integrations)."""
        self._next_load = 0.0

    def stats(self) -> dict[str, Any]:
        now = time.monotonic()
        return {
            "loaded": self._loaded,
            "age_s": round(now - self._snapshot.loaded_at, 1) if self._loaded else None,
            "apps": len(self._snapshot.apps),
            "numbers": len(self._snapshot.number_apps),
            # Served unauthenticated (webhook health): counts only, never an app id (the log has it).
            "reload_failed": self._reload_failed,
            "unreadable_secrets": self._unreadable,
        }

    async def snapshot(self) -> Snapshot:
        if time.monotonic() < self._next_load:
            return self._snapshot
        async with self._lock:
            if time.monotonic() >= self._next_load:
                await self._reload()
        return self._snapshot

    async def refreshed(self, stale: Snapshot) -> Snapshot:
        """A copy loaded after ``stale``, read now unless a concurrent call already did: before
        dropping items as another app's, in case the number moved on another replica since."""
        async with self._lock:
            if self._snapshot is stale:
                await self._reload()
        return self._snapshot

    async def _reload(self) -> None:
        try:
            async with self._db.read() as session:
                repo = IntegrationsRepository(session)
                app_rows = await repo.list_apps()
                number_rows = await repo.list_numbers()
        except (SQLAlchemyError, OSError) as exc:
            self.last_error = type(exc).__name__
            self._reload_failed = True
            self._next_load = time.monotonic() + _RETRY_AFTER_FAILURE_S
            log.warning("integrations_reload_failed", error=self.last_error, kept_loaded=self._loaded)
            return
        self.last_error = None
        self._reload_failed = False
        self._unreadable = 0
        apps: dict[str, AppCredentials] = {}
        for row in app_rows:
            apps[row.app_id] = AppCredentials(
                row.app_id,
                self._open(row.app_secret, row.app_id, "app_secret"),
                self._open(row.verify_token, row.app_id, "verify_token"),
            )
        now = time.monotonic()
        self._snapshot = Snapshot(
            apps=self._with_default(apps),
            number_apps={n.phone_number_id: n.app_id for n in number_rows},
            waba_apps={n.waba_id: n.app_id for n in number_rows if n.waba_id},
            loaded_at=now,
        )
        self._loaded = True
        self._next_load = now + self._ttl

    def _open(self, sealed: str | None, app_id: str, what: str) -> str | None:
        if sealed is None:
            return None
        try:
            return self._box.open(sealed, aad=app_id)
        except SecretsError as exc:
            # Fail closed for this app only: its webhooks are refused until the key is fixed.
            log.error("app_secret_unreadable", app_id=app_id, field=what, error=str(exc))
            self.last_error = f"{what} of {app_id} unreadable"
            self._unreadable += 1
            return None
