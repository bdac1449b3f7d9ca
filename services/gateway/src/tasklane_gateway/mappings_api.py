"""Admin API for phone-to-user mappings (``/api/v1/gateway/mappings``) and the senders waiting
for one (``/api/v1/gateway/unregistered``).

Reads need the operator role, changes the admin role; every change (and every refusal) is audited
through ``AdminGate``. Every change bumps the mapping version in its own transaction, so every
gateway replica drops its cached lookups at its next webhook.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path, Request, Response
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator, model_validator
from pydantic.config import JsonDict
from sqlalchemy.ext.asyncio import AsyncSession

from tasklane_common.logging import mask_phone
from tasklane_common.paging import Page
from tasklane_common.params import NO_CONTROL, Offset, TextFilter, limit_query
from tasklane_common.problems import refusals
from tasklane_common.runtime import ServiceRuntime
from tasklane_common.settings import Role
from tasklane_gateway import contacts_repository as repo
from tasklane_gateway.admin_api import META_ID
from tasklane_gateway.admin_auth import ADMIN_PREFIX, AdminError, AdminGate
from tasklane_gateway.contacts_repository import Contact

NumberId = Annotated[str, StringConstraints(pattern=META_ID)]
# Meta's business-scoped user id: a country code, a dot, up to 128 letters and digits.
Bsuid = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[A-Za-z]{2}\.[A-Za-z0-9]{1,128}$")]
Username = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=256, pattern=NO_CONTROL)
]
ProfileName = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=256, pattern=NO_CONTROL)
]
# Users' ids are UUIDs: anything else cannot name one (422, not a lookup).
UserIdPath = Annotated[uuid.UUID, Path(description="A user id (a UUID).")]
Limit = Annotated[int, limit_query(500)]
NO_USER = refusals({404: "No such user id."})
TAKEN = refusals({409: "The wa_id or business-scoped id is mapped to another user of the number."})
UNCHANGED = refusals({400: "Nothing to change, or a change that would leave neither wa_id nor bsuid."})

_SEPARATORS = str.maketrans("", "", " -()")
# What ``normalise_wa_id`` accepts, said in the OpenAPI too: 6 to 15 digits, a leading ``+``,
# spaces, dashes and brackets between them.
WA_ID_PATTERN = r"^\s*\+?(?:[ ()-]*[0-9]){6,15}[ ()-]*\s*$"
WaId = Annotated[str, Field(pattern=WA_ID_PATTERN, description="An international phone number.")]
# A mapping names its user by a wa_id, a business-scoped id or both.
_NAMED: JsonDict = {"anyOf": [{"required": ["wa_id"]}, {"required": ["bsuid"]}]}


def normalise_wa_id(value: str) -> str:
    """A WhatsApp id as Meta writes it: the international number, digits only (``+``, spaces,
    dashes and brackets are dropped)."""
    digits = value.strip().translate(_SEPARATORS).removeprefix("+")
    if not (digits.isascii() and digits.isdigit() and 6 <= len(digits) <= 15):
        raise ValueError("wa_id must be an international phone number (6 to 15 digits)")
    return digits


class MappingIn(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra=_NAMED)
    phone_number_id: NumberId
    wa_id: WaId | None = None
    bsuid: Bsuid | None = None
    username: Username | None = None
    profile_name: ProfileName | None = None

    @field_validator("wa_id")
    @classmethod
    def _wa_id(cls, value: str | None) -> str | None:
        return None if value is None else normalise_wa_id(value)

    @model_validator(mode="after")
    def _named(self) -> MappingIn:
        if self.wa_id is None and self.bsuid is None:
            raise ValueError("a mapping needs a wa_id or a bsuid")
        return self


class MappingPatch(BaseModel):
    """Absent fields stay as they are; null clears one (a mapping keeps a wa_id or a bsuid)."""

    # An empty patch changes nothing: a 400, so the OpenAPI asks for one field at least.
    model_config = ConfigDict(extra="forbid", json_schema_extra={"minProperties": 1})
    wa_id: WaId | None = None
    bsuid: Bsuid | None = None
    username: Username | None = None
    profile_name: ProfileName | None = None

    @field_validator("wa_id")
    @classmethod
    def _wa_id(cls, value: str | None) -> str | None:
        return None if value is None else normalise_wa_id(value)


def _masked(values: dict[str, Any]) -> dict[str, Any]:
    """Audit details: which fields, the numbers masked like in the logs."""
    out: dict[str, Any] = {"fields": sorted(values)}
    if values.get("wa_id"):
        out["wa_id"] = mask_phone(values["wa_id"])
    return out


async def _check_free(
    session: AsyncSession, phone_number_id: str, values: dict[str, Any], user_id: str | None = None
) -> None:
    """409 if another user of the number already holds the wa_id or the business-scoped id."""
    for field in ("wa_id", "bsuid"):
        if values.get(field) is None:
            continue
        holder = await repo.find(
            session,
            phone_number_id,
            wa_id=values[field] if field == "wa_id" else None,
            bsuid=values[field] if field == "bsuid" else None,
        )
        if holder is not None and holder.user_id != user_id:
            raise AdminError(409, f"this {field} is already mapped on this number", user_id=holder.user_id)


def router(runtime: ServiceRuntime) -> APIRouter:
    gate = AdminGate(runtime)
    api = APIRouter(prefix=ADMIN_PREFIX, tags=["gateway admin: mappings"])

    def now() -> datetime:
        return datetime.now(UTC)

    @api.get("/mappings", **gate.route(Role.OPERATOR, "mapping.list", "mapping"))
    async def list_mappings(
        phone_number_id: TextFilter = None,
        wa_id: TextFilter = None,
        bsuid: TextFilter = None,
        username: TextFilter = None,
        source: TextFilter = None,
        limit: Limit = 50,
        offset: Offset = 0,
    ) -> Page[dict[str, Any]]:
        """Newest first, a page at a time (docs/api.md)."""
        if wa_id is not None:
            try:
                wa_id = normalise_wa_id(wa_id)
            except ValueError as exc:
                raise HTTPException(422, str(exc)) from None
        async with gate.reading() as session:
            page = await repo.list_users(
                session,
                phone_number_id=phone_number_id,
                wa_id=wa_id,
                bsuid=bsuid,
                username=username,
                source=source,
                limit=limit,
                offset=offset,
            )
        return Page[dict[str, Any]](items=page.items, total=page.total, limit=limit, offset=offset)

    @api.get("/mappings/{user_id}", responses=NO_USER, **gate.route(Role.OPERATOR, "mapping.read", "mapping"))
    async def get_mapping(user_id: UserIdPath) -> dict[str, Any]:
        key = str(user_id)
        async with gate.reading() as session:
            found = await repo.get(session, key)
        if found is None:
            raise HTTPException(404, "unknown user id")
        return found.as_dict()

    @api.post(
        "/mappings", status_code=201, responses=TAKEN, **gate.route(Role.ADMIN, "mapping.create", "mapping")
    )
    async def create_mapping(body: MappingIn, request: Request) -> dict[str, Any]:
        """Map a number (or business-scoped id) to a new user; the sender is registered from now on."""
        values = body.model_dump(exclude={"phone_number_id"}, exclude_none=True)
        details = {"phone_number_id": body.phone_number_id, **_masked(values)}
        async with gate.audited(request, target_id=None, details=details) as step:
            await _check_free(step.session, body.phone_number_id, values)
            created = await repo.insert(
                step.session,
                phone_number_id=body.phone_number_id,
                wa_id=body.wa_id,
                bsuid=body.bsuid,
                username=body.username,
                profile_name=body.profile_name,
                source="admin",
                now=now(),
                if_absent=False,
            )
            assert created is not None
            step.target_id = created.user_id
            await repo.forget_unregistered(step.session, created)
            await repo.bump_version(step.session)
        return created.as_dict()

    @api.patch(
        "/mappings/{user_id}",
        responses={**UNCHANGED, **NO_USER, **TAKEN},
        **gate.route(Role.ADMIN, "mapping.update", "mapping"),
    )
    async def update_mapping(user_id: UserIdPath, body: MappingPatch, request: Request) -> dict[str, Any]:
        key = str(user_id)
        changes = body.model_dump(exclude_unset=True)
        async with gate.audited(request, target_id=key, details=_masked(changes)) as step:
            if not changes:
                raise AdminError(400, "nothing to change")
            found = await repo.get(step.session, key)
            if found is None:
                raise AdminError(404, "unknown user id")
            after = {"wa_id": found.wa_id, "bsuid": found.bsuid, **changes}
            if after["wa_id"] is None and after["bsuid"] is None:
                raise AdminError(400, "a mapping needs a wa_id or a bsuid")
            await _check_free(step.session, found.phone_number_id, changes, key)
            updated = await repo.update_user(
                step.session, key, {**changes, "source": "admin", "updated_at": now()}
            )
            assert updated is not None
            await repo.forget_unregistered(step.session, updated)
            await repo.bump_version(step.session)
        return updated.as_dict()

    @api.delete(
        "/mappings/{user_id}",
        status_code=204,
        responses=NO_USER,
        **gate.route(Role.ADMIN, "mapping.delete", "mapping"),
    )
    async def delete_mapping(user_id: UserIdPath, request: Request) -> Response:
        """The sender is unknown again from their next message (registered anew, or prompted)."""
        key = str(user_id)
        async with gate.audited(request, target_id=key) as step:
            deleted: Contact | None = await repo.delete_user(step.session, key)
            if deleted is None:
                raise AdminError(404, "unknown user id")
            step.details.update(phone_number_id=deleted.phone_number_id)
            await repo.bump_version(step.session)
        return Response(status_code=204)

    @api.get("/unregistered", **gate.route(Role.OPERATOR, "unregistered.list", "unregistered_contact"))
    async def list_unregistered(
        phone_number_id: TextFilter = None, limit: Limit = 50, offset: Offset = 0
    ) -> Page[dict[str, Any]]:
        """Senders without a mapping on a number that does not register them automatically,
        most recently seen first."""
        async with gate.reading() as session:
            page = await repo.list_unregistered(
                session, phone_number_id=phone_number_id, limit=limit, offset=offset
            )
        return Page[dict[str, Any]](items=page.items, total=page.total, limit=limit, offset=offset)

    return api
