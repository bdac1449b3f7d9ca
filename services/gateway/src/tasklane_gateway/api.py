"""The WhatsApp webhook endpoint: Meta's verification handshake (GET) and notifications (POST)."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import JSONResponse, PlainTextResponse
from sqlalchemy.exc import SQLAlchemyError

from tasklane_common.errors import PublishError
from tasklane_common.logging import LogThrottle, get_logger
from tasklane_common.problems import refusals
from tasklane_common.runtime import ServiceRuntime
from tasklane_gateway.app_registry import AppRegistry, drop_foreign, find_foreign
from tasklane_gateway.ingest import WebhookIngestor
from tasklane_gateway.settings import GatewaySettings
from tasklane_gateway.signature import SIGNATURE_HEADER
from tasklane_gateway.untrusted import printable
from tasklane_gateway.webhook import count_items, parse

log = get_logger(__name__)

# What Meta (or anyone) may be answered besides 200; 503 (retry) is every route's.
_HANDSHAKE_REFUSALS = refusals(
    {400: "hub.challenge is missing.", 403: "Not subscribing, not our verify token, or an unknown app id."}
)
_NOTIFICATION_REFUSALS = refusals(
    {
        400: "Not a JSON object, or an invalid Content-Length.",
        401: "X-Hub-Signature-256 is missing.",
        403: "The signature does not match, the app id is unknown, or no app secret is configured.",
        413: "Larger than the gateway's max_body_bytes, or more updates than max_items_per_webhook.",
    }
)


async def _read_limited(request: Request, limit: int) -> bytes | None:
    """The raw body, or None once it exceeds ``limit`` (a chunked body has no Content-Length)."""
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def router(
    runtime: ServiceRuntime, settings: GatewaySettings, registry: AppRegistry, ingestor: WebhookIngestor
) -> APIRouter:
    """``/whatsapp`` serves every configured app (any app's verify token, any app's signature);
    ``/whatsapp/{app_id}`` only that app (a callback URL per app in Meta's dashboard)."""
    api = APIRouter(prefix="/api/webhooks", tags=["webhooks"])
    # Refusals are what strangers can cause at will: at most one line per reason and minute (keyed
    # by the reason alone: a prober varies everything else).
    throttle = LogThrottle(60.0)

    def refused(
        status: int, detail: str, reason: str, *, level: str = "warning", **fields: Any
    ) -> HTTPException:
        held_back = throttle.allow(reason)
        if held_back is not None:
            getattr(log, level)(
                "webhook_refused", reason=reason, status=status, held_back=held_back, **fields
            )
        return HTTPException(status_code=status, detail=detail)

    @api.get("/whatsapp", response_class=PlainTextResponse, responses=_HANDSHAKE_REFUSALS)
    async def verify(
        mode: Annotated[str | None, Query(alias="hub.mode")] = None,
        token: Annotated[str | None, Query(alias="hub.verify_token")] = None,
        challenge: Annotated[str | None, Query(alias="hub.challenge")] = None,
    ) -> PlainTextResponse:
        """Meta's subscription handshake: echo ``hub.challenge`` verbatim if the token is ours."""
        return await _verify(mode, token, challenge, None)

    @api.get("/whatsapp/{app_id}", response_class=PlainTextResponse, responses=_HANDSHAKE_REFUSALS)
    async def verify_app(
        app_id: str,
        mode: Annotated[str | None, Query(alias="hub.mode")] = None,
        token: Annotated[str | None, Query(alias="hub.verify_token")] = None,
        challenge: Annotated[str | None, Query(alias="hub.challenge")] = None,
    ) -> PlainTextResponse:
        """The handshake for one app's callback URL: only that app's verify token counts."""
        return await _verify(mode, token, challenge, app_id)

    async def _verify(
        mode: str | None, token: str | None, challenge: str | None, only: str | None
    ) -> PlainTextResponse:
        snapshot = await registry.snapshot()
        if not snapshot.has_verify_token(only):
            if only is not None:
                raise refused(
                    403, "verification failed", "verification for an unknown app id", app_id=printable(only)
                )
            raise refused(403, "verification failed", "no verify token configured", level="error")
        if mode != "subscribe" or token is None or not snapshot.verifies(token, only=only):
            raise refused(403, "verification failed", "verify token mismatch", app_id=printable(only))
        if challenge is None:
            raise HTTPException(status_code=400, detail="hub.challenge missing")
        log.info("webhook_verified")
        return PlainTextResponse(challenge)

    @api.post("/whatsapp", responses=_NOTIFICATION_REFUSALS)
    async def receive(request: Request) -> JSONResponse:
        """A notification from Meta. 200 means every new item was published (confirmed); 503
        means nothing was recorded and Meta should retry."""
        return await _receive(request, None)

    @api.post("/whatsapp/{app_id}", responses=_NOTIFICATION_REFUSALS)
    async def receive_app(app_id: str, request: Request) -> JSONResponse:
        """A notification on one app's callback URL: only that app's secret may sign it."""
        return await _receive(request, app_id)

    async def _receive(request: Request, only: str | None) -> JSONResponse:
        limit = settings.max_body_bytes
        declared = request.headers.get("content-length")
        if declared is not None:
            if not declared.strip().isdigit():
                raise HTTPException(status_code=400, detail="invalid Content-Length")
            if int(declared) > limit:
                raise refused(413, "payload too large", "body over the size limit", size=int(declared))
        snapshot = await registry.snapshot()
        if not snapshot.has_secret(only):
            if only is not None:
                # Anyone can POST to any app id: an outsider's guess, not our failure.
                raise refused(403, "signature cannot be verified", "unknown app id", app_id=printable(only))
            raise refused(403, "signature cannot be verified", "no app secret configured", level="error")
        header = request.headers.get(SIGNATURE_HEADER)
        if not header:
            raise refused(401, "signature missing", "signature header missing", app_id=printable(only))
        # The signature covers the exact bytes Meta sent: read them before any parsing.
        body = await _read_limited(request, limit)
        if body is None:
            raise refused(413, "payload too large", "body over the size limit")
        signers = snapshot.signers(body, header, only=only)
        if not signers:
            raise refused(403, "invalid signature", "signature mismatch", app_id=printable(only))
        try:
            payload: Any = json.loads(body)
        except (ValueError, RecursionError):
            raise refused(400, "body is not JSON", "body is not JSON", size=len(body)) from None
        if not isinstance(payload, dict):
            raise refused(400, "body is not a JSON object", "body is not a JSON object")
        items = count_items(payload)
        if items > settings.max_items_per_webhook:
            # Signed, but far beyond what Meta batches: refused the same way every time, before
            # any work, rather than half-processed until a timeout.
            raise refused(
                413,
                f"{items} updates in one webhook; at most {settings.max_items_per_webhook} are accepted",
                "too many updates",
                items=items,
            )
        if find_foreign(payload, signers, snapshot):
            # Our copy may predate a number moving between apps on another replica: dropping is
            # final (Meta gets a 200), so check against a fresh copy first. Signers stay as found.
            snapshot = await registry.refreshed(snapshot)
        foreign = drop_foreign(payload, signers, snapshot)
        if foreign:
            # Signed by an app that does not own these numbers: not theirs to inject.
            log.warning(
                "webhook_items_dropped",
                reason="number of another app",
                ids=foreign[:20],
                apps=sorted(signers),
            )
        received_at = ingestor.now()
        webhook = parse(payload, received_at=received_at)
        try:
            result = await ingestor.ingest(webhook, received_at)
        except PublishError as exc:
            log.warning("webhook_deferred", reason="publish not confirmed", error=str(exc)[:200])
            raise HTTPException(status_code=503, detail="temporarily unavailable, retry") from None
        except (SQLAlchemyError, OSError) as exc:
            log.error("webhook_deferred", reason="database error", error=type(exc).__name__)
            raise HTTPException(status_code=503, detail="temporarily unavailable, retry") from None
        log.info("webhook_accepted", **result.as_dict(), foreign=len(foreign))
        return JSONResponse({"status": "ok", **result.as_dict(), "foreign": len(foreign)})

    return api
