"""Integrations: the Meta apps (app secret, verify token) and business phone numbers (WABA,
display number, access token) the gateway serves.

Secrets are sealed at rest with ``tasklane_common.secrets`` (associated data: the app id or the
phone number id, so a sealed value copied onto another row does not open), never returned by the
API (only whether they are set) and never logged. Storing one without ``TASKLANE_SECRETS_KEY``
is refused: the gateway fails closed rather than keep a secret in clear.

Every change of a number publishes ``NumberConfigured`` through the outbox, in the transaction of
the change, with the access token re-sealed for transport and a version that only grows (a deleted
number keeps its row, state ``deleted``, so re-adding it continues the count). The sender keeps the
highest version it saw.

The app id ``default`` names the single-app environment variables (``WHATSAPP_APP_SECRET``,
``WHATSAPP_VERIFY_TOKEN``): numbers may be registered under it without storing an app.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from tasklane_common.messaging import deterministic_id
from tasklane_common.messaging.contracts.gateway import NumberConfigured
from tasklane_common.messaging.outbox import Outbox
from tasklane_common.secrets import KEY_ENV, SecretBox, SecretsError
from tasklane_gateway.errors import AdminError
from tasklane_gateway.integrations_repository import (
    DELETED,
    AppRecord,
    IntegrationsRepository,
    NumberRecord,
)

DEFAULT_APP_ID = "default"
# "health" would shadow GET /api/webhooks/whatsapp/health on the per-app webhook route.
RESERVED_APP_IDS = frozenset({DEFAULT_APP_ID, "health"})
STATES = frozenset({"active", "disabled"})
APP_SECRETS = ("app_secret", "verify_token")


def app_view(app: AppRecord) -> dict[str, Any]:
    """What the API shows of an app: never a secret, only whether it is set."""
    return {
        "app_id": app.app_id,
        "name": app.name,
        "app_secret": {"set": app.app_secret is not None},
        "verify_token": {"set": app.verify_token is not None},
        "created_at": app.created_at.isoformat(),
        "updated_at": app.updated_at.isoformat(),
    }


def number_view(number: NumberRecord) -> dict[str, Any]:
    return {
        "phone_number_id": number.phone_number_id,
        "app_id": number.app_id,
        "waba_id": number.waba_id,
        "display_phone_number": number.display_phone_number,
        "access_token": {"set": number.access_token is not None},
        "state": number.state,
        "version": number.version,
        "throughput_per_s": number.throughput_per_s,
        "access_policy": "open" if number.auto_register else "mapped",
        "created_at": number.created_at.isoformat(),
        "updated_at": number.updated_at.isoformat(),
    }


@dataclass(frozen=True)
class RotationResult:
    apps: int
    numbers: int
    resealed: int

    def as_dict(self) -> dict[str, int]:
        return {"apps": self.apps, "numbers": self.numbers, "resealed": self.resealed}


class Integrations:
    """Domain operations on the integrations; the caller owns the transaction."""

    def __init__(self, box: SecretBox, outbox: Outbox | None) -> None:
        self.box = box
        self.outbox = outbox

    # -- secrets

    def _seal(self, value: str, *, aad: str) -> str:
        if not self.box.configured:
            raise AdminError(409, f"cannot store a secret: {KEY_ENV} is not set on the gateway")
        return self.box.seal(value, aad=aad)

    def _open(self, sealed: str, *, aad: str) -> str:
        try:
            return self.box.open(sealed, aad=aad)
        except SecretsError as exc:
            raise AdminError(409, f"a stored secret cannot be opened: {exc}") from None

    def open_access_token(self, number: NumberRecord) -> str | None:
        if number.access_token is None:
            return None
        return self._open(number.access_token, aad=number.phone_number_id)

    def _sealed_values(self, owner: str, values: dict[str, Any], names: tuple[str, ...]) -> dict[str, Any]:
        """``values`` with each secret in ``names`` sealed (None clears it)."""
        out = dict(values)
        for name in names:
            if name in out and out[name] is not None:
                out[name] = self._seal(str(out[name]), aad=owner)
        return out

    # -- apps

    async def create_app(
        self,
        session: AsyncSession,
        *,
        app_id: str,
        name: str,
        app_secret: str | None,
        verify_token: str | None,
        now: datetime,
    ) -> AppRecord:
        if app_id in RESERVED_APP_IDS:
            raise AdminError(409, f"app id {app_id!r} is reserved")
        repo = IntegrationsRepository(session)
        if await repo.get_app(app_id) is not None:
            raise AdminError(409, "this app already exists")
        values = self._sealed_values(
            app_id, {"app_secret": app_secret, "verify_token": verify_token}, APP_SECRETS
        )
        await repo.insert_app(
            {"app_id": app_id, "name": name, "created_at": now, "updated_at": now, **values}
        )
        return await self._app(repo, app_id)

    async def update_app(
        self, session: AsyncSession, app_id: str, changes: dict[str, Any], now: datetime
    ) -> AppRecord:
        repo = IntegrationsRepository(session)
        if await repo.get_app(app_id, for_update=True) is None:
            raise AdminError(404, "unknown app")
        values = self._sealed_values(app_id, changes, APP_SECRETS)
        await repo.update_app(app_id, {**values, "updated_at": now})
        return await self._app(repo, app_id)

    async def delete_app(self, session: AsyncSession, app_id: str) -> None:
        repo = IntegrationsRepository(session)
        if await repo.get_app(app_id, for_update=True) is None:
            raise AdminError(404, "unknown app")
        live = await repo.count_live_numbers(app_id)
        if live:
            raise AdminError(409, f"the app still has {live} phone number(s): delete or move them first")
        await repo.delete_app(app_id)

    @staticmethod
    async def _app(repo: IntegrationsRepository, app_id: str) -> AppRecord:
        found = await repo.get_app(app_id)
        assert found is not None
        return found

    # -- phone numbers

    async def _check_app(self, repo: IntegrationsRepository, app_id: str) -> None:
        if app_id != DEFAULT_APP_ID and await repo.get_app(app_id) is None:
            raise AdminError(409, f"unknown app {app_id!r}: create it first (or use {DEFAULT_APP_ID!r})")

    async def create_number(
        self,
        session: AsyncSession,
        *,
        phone_number_id: str,
        app_id: str,
        waba_id: str | None,
        display_phone_number: str | None,
        access_token: str | None,
        state: str,
        throughput_per_s: int | None,
        auto_register: bool,
        now: datetime,
    ) -> NumberRecord:
        if state not in STATES:
            raise AdminError(400, f"state must be one of {sorted(STATES)}")
        repo = IntegrationsRepository(session)
        await self._check_app(repo, app_id)
        existing = await repo.get_number(phone_number_id, for_update=True)
        if existing is not None and existing.state != DELETED:
            raise AdminError(409, "this phone number already exists")
        values: dict[str, Any] = {
            "app_id": app_id,
            "waba_id": waba_id,
            "display_phone_number": display_phone_number,
            "access_token": self._seal(access_token, aad=phone_number_id) if access_token else None,
            "state": state,
            "throughput_per_s": throughput_per_s,
            "auto_register": auto_register,
            "updated_at": now,
        }
        if existing is None:
            await repo.insert_number(
                {"phone_number_id": phone_number_id, "version": 1, "created_at": now, **values}
            )
        else:
            # Re-added after a deletion: the version continues, so consumers see it as newer.
            await repo.update_number(phone_number_id, {**values, "version": existing.version + 1})
        return await self._changed(repo, phone_number_id, session)

    async def update_number(
        self, session: AsyncSession, phone_number_id: str, changes: dict[str, Any], now: datetime
    ) -> NumberRecord:
        repo = IntegrationsRepository(session)
        existing = await repo.get_number(phone_number_id, for_update=True)
        if existing is None or existing.state == DELETED:
            raise AdminError(404, "unknown phone number")
        if "state" in changes and changes["state"] not in STATES:
            raise AdminError(400, f"state must be one of {sorted(STATES)}")
        if "app_id" in changes:
            await self._check_app(repo, str(changes["app_id"]))
        values = self._sealed_values(phone_number_id, changes, ("access_token",))
        await repo.update_number(
            phone_number_id, {**values, "version": existing.version + 1, "updated_at": now}
        )
        return await self._changed(repo, phone_number_id, session)

    async def delete_number(self, session: AsyncSession, phone_number_id: str, now: datetime) -> NumberRecord:
        repo = IntegrationsRepository(session)
        existing = await repo.get_number(phone_number_id, for_update=True)
        if existing is None or existing.state == DELETED:
            raise AdminError(404, "unknown phone number")
        # The token goes with the number; the row stays so the version keeps growing.
        await repo.update_number(
            phone_number_id,
            {"state": DELETED, "access_token": None, "version": existing.version + 1, "updated_at": now},
        )
        return await self._changed(repo, phone_number_id, session)

    async def _changed(
        self, repo: IntegrationsRepository, phone_number_id: str, session: AsyncSession
    ) -> NumberRecord:
        number = await repo.get_number(phone_number_id)
        assert number is not None
        await self.publish(session, number)
        return number

    async def publish(self, session: AsyncSession, number: NumberRecord) -> None:
        """``NumberConfigured`` for the number's current version, through the outbox."""
        if self.outbox is None:
            raise RuntimeError("the gateway has no outbox")
        token = self.open_access_token(number)
        event = NumberConfigured(
            phone_number_id=number.phone_number_id,
            app_id=number.app_id,
            waba_id=number.waba_id,
            display_phone_number=number.display_phone_number,
            # A fresh seal (current key, new nonce) for transport: never the token in clear.
            access_token_encrypted=(
                self.box.seal(token, aad=number.phone_number_id) if token is not None else None
            ),
            state=number.state,
            version=number.version,
            throughput_per_s=number.throughput_per_s,
        )
        await self.outbox.add(
            session,
            event,
            event_id=deterministic_id(event.event_type, number.phone_number_id, str(number.version)),
        )

    # -- rotation

    async def rotate(self, session: AsyncSession) -> RotationResult:
        """Re-seal every stored secret with the current key (rows already current are left)."""
        if not self.box.configured:
            raise AdminError(409, f"cannot rotate: {KEY_ENV} is not set")
        repo = IntegrationsRepository(session)
        resealed = 0
        app_rows = await repo.list_apps(for_update=True)
        for app in app_rows:
            values = self._resealed(app.app_id, {n: getattr(app, n) for n in APP_SECRETS})
            if values:
                await repo.update_app(app.app_id, values)
                resealed += len(values)
        number_rows = await repo.list_numbers(include_deleted=True, for_update=True)
        for number in number_rows:
            values = self._resealed(number.phone_number_id, {"access_token": number.access_token})
            if values:
                await repo.update_number(number.phone_number_id, values)
                resealed += len(values)
        return RotationResult(apps=len(app_rows), numbers=len(number_rows), resealed=resealed)

    def _resealed(self, owner: str, sealed: dict[str, str | None]) -> dict[str, str]:
        out: dict[str, str] = {}
        for name, value in sealed.items():
            if value is None:
                continue
            try:
                if self.box.needs_rotation(value):
                    out[name] = self.box.rotate(value, aad=owner)
            except SecretsError as exc:
                raise AdminError(409, f"{name} of {owner} cannot be re-sealed: {exc}") from None
        return out
