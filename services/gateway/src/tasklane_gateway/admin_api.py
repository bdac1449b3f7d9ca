"""The gateway's admin API (``/api/v1/gateway/...``): integrations, test connection, test message,
audit log and secrets rotation. Roles per route are declared with ``AdminGate.route`` (see
``admin_auth``); docs/gateway.md has the matrix. Secrets are write-only: answers say whether one
is set, never its value, and a validation error never echoes the input.
"""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Path, Request, Response
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from tasklane_common.logging import mask_phone
from tasklane_common.messaging.contracts.agent import ReplyRequested
from tasklane_common.paging import Page, sliced
from tasklane_common.params import NO_CONTROL, Offset, TextFilter, limit_query
from tasklane_common.problems import refusals
from tasklane_common.runtime import ServiceRuntime
from tasklane_common.settings import Role
from tasklane_gateway import audit
from tasklane_gateway.admin_auth import ADMIN_PREFIX, AdminError, AdminGate
from tasklane_gateway.app_registry import AppRegistry
from tasklane_gateway.graph_probe import GraphProbe
from tasklane_gateway.integrations import Integrations, app_view, number_view
from tasklane_gateway.integrations_repository import DELETED, IntegrationsRepository

IDENT = r"^[A-Za-z0-9_.-]{1,64}$"
# App ids keep the wider shape the docs have always promised (the webhook path carries them).
Ident = Annotated[str, StringConstraints(pattern=IDENT)]
AppIdPath = Annotated[str, Path(pattern=IDENT, description="An app id, `[A-Za-z0-9_.-]{1,64}`.")]
# A phone number or WABA id goes into the Graph API's URL paths, where the sender accepts only
# Meta's shape (digits): a wider one here would be stored, announced, and then never sendable.
META_ID = r"^[0-9]{1,64}$"
MetaId = Annotated[str, StringConstraints(pattern=META_ID)]
NumberIdPath = Annotated[str, Path(pattern=META_ID, description="A phone number id: 1 to 64 digits.")]
Name = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=200, pattern=NO_CONTROL),
]
# What can follow "Bearer " in a header: visible ASCII, no whitespace. Meta's tokens are opaque
# but always of that kind (EAA... and 200+ characters); a pasted token in smart quotes, or with a
# line break inside, is not, and would fail every send.
_HEADER_SAFE = re.compile(r"[\x21-\x7e]+")
SHAPE_RULE = (
    "must be visible ASCII characters without spaces or line breaks "
    "(no smart quotes or other characters pasted from a document)"
)


def header_safe(value: str) -> bool:
    return _HEADER_SAFE.fullmatch(value) is not None


def _secret_shape(value: str) -> str:
    # The message names the rule, never the value.
    if not header_safe(value):
        raise ValueError(SHAPE_RULE)
    return value


# Ends are trimmed (a pasted trailing newline is harmless); anything else odd is refused.
Secret = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=2048),
    AfterValidator(_secret_shape),
]
Display = Annotated[str, StringConstraints(pattern=r"^\+?[0-9][0-9 ()-]{2,30}$")]
Throughput = Annotated[int, Field(ge=1, le=1000)]


class AppIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    app_id: Ident
    name: Name
    app_secret: Secret | None = None
    verify_token: Secret | None = None


class AppPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: Name | None = None
    # null clears a secret; an absent field leaves it as it is.
    app_secret: Secret | None = None
    verify_token: Secret | None = None


class NumberIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    phone_number_id: MetaId
    app_id: Ident
    waba_id: MetaId | None = None
    display_phone_number: Display | None = None
    access_token: Secret | None = None
    state: Literal["active", "disabled"] = "active"
    throughput_per_s: Throughput | None = None
    # Absent: the gateway's TASKLANE_GATEWAY_AUTO_REGISTER.
    access_policy: Literal["open", "mapped"] | None = None


class NumberPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")
    app_id: Ident | None = None
    waba_id: MetaId | None = None
    display_phone_number: Display | None = None
    access_token: Secret | None = None
    state: Literal["active", "disabled"] | None = None
    throughput_per_s: Throughput | None = None
    access_policy: Literal["open", "mapped"] | None = None


class TestMessageIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    to: Annotated[str, StringConstraints(pattern=r"^\+?[0-9]{6,15}$")]
    text: Annotated[str, StringConstraints(min_length=1, max_length=4096)]


_NOT_NULL = {"name", "app_id", "state", "access_policy"}


def _changes(patch: BaseModel) -> dict[str, Any]:
    changes = patch.model_dump(exclude_unset=True)
    for name in _NOT_NULL & changes.keys():
        if changes[name] is None:
            raise AdminError(400, f"{name} cannot be null")
    if not changes:
        raise AdminError(400, "nothing to change")
    return changes


Limit = Annotated[int, limit_query(500)]


NO_APP = "No such app."
NO_NUMBER = "No such phone number."
NOTHING = "Nothing to change, or a field that cannot be null set to null."
NO_SEAL = "A secret cannot be stored (no secrets key) or a conflicting change."


def router(
    runtime: ServiceRuntime,
    integrations: Integrations,
    registry: AppRegistry,
    probe: GraphProbe,
    *,
    default_access_policy: str = "open",
) -> APIRouter:
    gate = AdminGate(runtime)
    api = APIRouter(prefix=ADMIN_PREFIX, tags=["gateway admin"])

    def now() -> datetime:
        return datetime.now(UTC)

    # -- apps

    @api.get("/apps", **gate.route(Role.OPERATOR, "app.list", "app"))
    async def list_apps(limit: Limit = 100, offset: Offset = 0) -> Page[dict[str, Any]]:
        """By app id, a page at a time (docs/api.md)."""
        async with gate.reading() as session:
            rows = await IntegrationsRepository(session).list_apps()
        return sliced([app_view(a) for a in rows], limit=limit, offset=offset)

    @api.post(
        "/apps",
        status_code=201,
        responses=refusals({409: "An app with this id exists, or its secrets cannot be stored."}),
        **gate.route(Role.ADMIN, "app.create", "app"),
    )
    async def create_app(body: AppIn, request: Request) -> dict[str, Any]:
        fields = sorted(body.model_dump(exclude_none=True))
        async with gate.audited(request, target_id=body.app_id, details={"fields": fields}) as step:
            app = await integrations.create_app(
                step.session,
                app_id=body.app_id,
                name=body.name,
                app_secret=body.app_secret,
                verify_token=body.verify_token,
                now=now(),
            )
        registry.invalidate()
        return app_view(app)

    @api.get(
        "/apps/{app_id}", responses=refusals({404: NO_APP}), **gate.route(Role.OPERATOR, "app.read", "app")
    )
    async def get_app(app_id: AppIdPath) -> dict[str, Any]:
        async with gate.reading() as session:
            repo = IntegrationsRepository(session)
            app = await repo.get_app(app_id)
            numbers = await repo.list_numbers(app_id=app_id) if app is not None else []
        if app is None:
            raise HTTPException(404, "unknown app")
        return {**app_view(app), "phone_numbers": [n.phone_number_id for n in numbers]}

    @api.patch(
        "/apps/{app_id}",
        responses=refusals({400: NOTHING, 404: NO_APP, 409: NO_SEAL}),
        **gate.route(Role.ADMIN, "app.update", "app"),
    )
    async def update_app(app_id: AppIdPath, body: AppPatch, request: Request) -> dict[str, Any]:
        async with gate.audited(request, target_id=app_id) as step:
            changes = _changes(body)
            step.details["fields"] = sorted(changes)
            app = await integrations.update_app(step.session, app_id, changes, now())
        registry.invalidate()
        return app_view(app)

    @api.delete(
        "/apps/{app_id}",
        status_code=204,
        responses=refusals({404: NO_APP, 409: "The app still has phone numbers."}),
        **gate.route(Role.ADMIN, "app.delete", "app"),
    )
    async def delete_app(app_id: AppIdPath, request: Request) -> Response:
        async with gate.audited(request, target_id=app_id) as step:
            await integrations.delete_app(step.session, app_id)
        registry.invalidate()
        return Response(status_code=204)

    # -- phone numbers

    @api.get("/numbers", **gate.route(Role.ANALYST, "number.list", "phone_number"))
    async def list_numbers(
        app_id: TextFilter = None, limit: Limit = 100, offset: Offset = 0
    ) -> Page[dict[str, Any]]:
        """By phone number id, a page at a time (docs/api.md)."""
        async with gate.reading() as session:
            rows = await IntegrationsRepository(session).list_numbers(app_id=app_id)
        return sliced([number_view(n) for n in rows], limit=limit, offset=offset)

    @api.post(
        "/numbers",
        status_code=201,
        responses=refusals({409: "The number exists, its app does not, or its token cannot be stored."}),
        **gate.route(Role.ADMIN, "number.create", "phone_number"),
    )
    async def create_number(body: NumberIn, request: Request) -> dict[str, Any]:
        fields = sorted(body.model_dump(exclude_none=True))
        async with gate.audited(request, target_id=body.phone_number_id, details={"fields": fields}) as step:
            number = await integrations.create_number(
                step.session,
                phone_number_id=body.phone_number_id,
                app_id=body.app_id,
                waba_id=body.waba_id,
                display_phone_number=body.display_phone_number,
                access_token=body.access_token,
                state=body.state,
                throughput_per_s=body.throughput_per_s,
                # Stored as whether unknown senders become users: the two policies there are.
                auto_register=(body.access_policy or default_access_policy) == "open",
                now=now(),
            )
            step.details["version"] = number.version
        registry.invalidate()
        return number_view(number)

    @api.get(
        "/numbers/{phone_number_id}",
        responses=refusals({404: NO_NUMBER}),
        **gate.route(Role.ANALYST, "number.read", "phone_number"),
    )
    async def get_number(phone_number_id: NumberIdPath) -> dict[str, Any]:
        async with gate.reading() as session:
            number = await IntegrationsRepository(session).get_number(phone_number_id)
        if number is None or number.state == DELETED:
            raise HTTPException(404, "unknown phone number")
        return number_view(number)

    @api.patch(
        "/numbers/{phone_number_id}",
        responses=refusals(
            {400: NOTHING, 404: NO_NUMBER, 409: "Its app does not exist, or its token cannot be stored."}
        ),
        **gate.route(Role.ADMIN, "number.update", "phone_number"),
    )
    async def update_number(
        phone_number_id: NumberIdPath, body: NumberPatch, request: Request
    ) -> dict[str, Any]:
        async with gate.audited(request, target_id=phone_number_id) as step:
            changes = _changes(body)
            step.details["fields"] = sorted(changes)
            if "access_policy" in changes:
                changes["auto_register"] = changes.pop("access_policy") == "open"
            number = await integrations.update_number(step.session, phone_number_id, changes, now())
            step.details["version"] = number.version
        registry.invalidate()
        return number_view(number)

    @api.delete(
        "/numbers/{phone_number_id}",
        status_code=204,
        responses=refusals({404: NO_NUMBER}),
        **gate.route(Role.ADMIN, "number.delete", "phone_number"),
    )
    async def delete_number(phone_number_id: NumberIdPath, request: Request) -> Response:
        async with gate.audited(request, target_id=phone_number_id) as step:
            number = await integrations.delete_number(step.session, phone_number_id, now())
            step.details["version"] = number.version
        registry.invalidate()
        return Response(status_code=204)

    @api.post(
        "/numbers/{phone_number_id}/test-connection",
        responses=refusals({404: NO_NUMBER, 409: "The number has no usable access token."}),
        **gate.route(Role.OPERATOR, "number.test_connection", "phone_number"),
    )
    async def test_connection(phone_number_id: NumberIdPath, request: Request) -> dict[str, Any]:
        """One real Graph API call with the number's own token: does Meta accept it?"""
        async with gate.audited(request, target_id=phone_number_id) as step:
            number = await IntegrationsRepository(step.session).get_number(phone_number_id)
            if number is None or number.state == DELETED:
                raise AdminError(404, "unknown phone number")
            token = integrations.open_access_token(number)
            if token is None:
                raise AdminError(409, "this phone number has no access token")
            if not header_safe(token):
                # Stored before tokens were checked: it cannot be sent, so say so rather than try.
                raise AdminError(
                    409,
                    f"the stored access token {SHAPE_RULE}: set it again with "
                    f"PATCH {ADMIN_PREFIX}/numbers/{phone_number_id}",
                )
            result = await probe.check(phone_number_id, token)
            step.details.update(ok=result["ok"], status_code=result["status_code"])
        return {"phone_number_id": phone_number_id, **result}

    @api.post(
        "/numbers/{phone_number_id}/test-message",
        status_code=202,
        responses=refusals({409: "The number is disabled."}),
        **gate.route(Role.OPERATOR, "number.test_message", "phone_number"),
    )
    async def test_message(
        phone_number_id: NumberIdPath, body: TestMessageIn, request: Request
    ) -> dict[str, Any]:
        """Queue a text message to ``to`` through the sender (a ``reply.requested`` event)."""
        principal = gate.principal(request)
        reply_id = str(uuid.uuid4())
        to = body.to.lstrip("+")
        async with gate.audited(request, target_id=phone_number_id, details={"to": mask_phone(to)}) as step:
            number = await IntegrationsRepository(step.session).get_number(phone_number_id)
            if number is not None and number.state != "active":
                raise AdminError(409, f"this phone number is {number.state}")
            if runtime.outbox is None:
                raise AdminError(503, "the gateway has no outbox")
            event = ReplyRequested(
                reply_id=reply_id,
                phone_number_id=phone_number_id,
                to=to,
                # Not a user's conversation: the sender's events name the admin who asked.
                user_id=f"admin:{principal.name}",
                kind="text",
                content={"body": body.text, "preview_url": False},
            )
            await runtime.outbox.add(step.session, event, event_id=reply_id)
            step.details["reply_id"] = reply_id
        return {"reply_id": reply_id, "status": "queued"}

    # -- audit log and rotation

    @api.get("/audit", **gate.route(Role.OPERATOR, "audit.list", "audit_log"))
    async def audit_log(
        actor: TextFilter = None,
        action: TextFilter = None,
        target_type: TextFilter = None,
        target_id: TextFilter = None,
        outcome: TextFilter = None,
        since: datetime | None = None,
        limit: Limit = 100,
        offset: Offset = 0,
    ) -> Page[dict[str, Any]]:
        """Newest first, a page at a time (docs/api.md)."""
        if since is not None and since.tzinfo is None:
            since = since.replace(tzinfo=UTC)
        async with gate.reading() as session:
            page = await audit.list_entries(
                session,
                actor=actor,
                action=action,
                target_type=target_type,
                target_id=target_id,
                outcome=outcome,
                since=since,
                limit=limit,
                offset=offset,
            )
        items = [e.as_dict() for e in page.entries]
        return Page[dict[str, Any]](items=items, total=page.total, limit=limit, offset=offset)

    @api.post(
        "/secrets/rotate",
        responses=refusals({409: NO_SEAL}),
        **gate.route(Role.ADMIN, "secrets.rotate", "secrets"),
    )
    async def rotate(request: Request) -> dict[str, Any]:
        """Re-seal every stored secret with the current key (``TASKLANE_SECRETS_KEY``)."""
        async with gate.audited(request, target_id=None) as step:
            result = await integrations.rotate(step.session)
            step.details.update(result.as_dict())
        registry.invalidate()
        return result.as_dict()

    return api
