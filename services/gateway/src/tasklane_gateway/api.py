"""The WhatsApp webhook endpoint: Meta's verification handshake (GET) and notifications (POST)."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import JSONResponse, PlainTextResponse
from sqlalchemy.exc import SQLAlchemyError

from tasklane_common.errors import PublishError
from tasklane_common.logging import get_logger
from tasklane_common.problems import refusals
from tasklane_common.runtime import ServiceRuntime
from tasklane_gateway.app_registry import AppRegistry, drop_foreign, find_foreign
from tasklane_gateway.ingest import WebhookIngestor
from tasklane_gateway.settings import GatewaySettings
from tasklane_gateway.signature import SIGNATURE_HEADER
from tasklane_gateway.webhook import parse

log = get_logger(__name__)

# What Meta (or anyone) may be answered besides 200; 503 (retry) is every route's.
_HANDSHAKE_REFUSALS = refusals(
    {400: "hub.challenge is missing.", 403: "Not subscribing, or not our verify token."}
)
_NOTIFICATION_REFUSALS = refusals(
    {
        400: "Not a JSON object, or an invalid Content-Length.",
        401: "X-Hub-Signature-256 is missing.",
        403: "The signature does not match, or no app secret is configured.",
        413: "Larger than the gateway's max_body_bytes.",
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
            log.error("webhook_verification_refused", reason="no verify token configured", app_id=only)
            raise HTTPException(status_code=403, detail="verification failed")
        if mode != "subscribe" or token is None or not snapshot.verifies(token, only=only):
            log.warning("webhook_verification_refused", reason="mode or token mismatch")
            raise HTTPException(status_code=403, detail="verification failed")
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
                raise HTTPException(status_code=413, detail="payload too large")
        snapshot = await registry.snapshot()
        if not snapshot.has_secret(only):
            log.error(
                "webhook_refused", reason="no app secret configured: cannot verify signatures", app_id=only
            )
            raise HTTPException(status_code=403, detail="signature cannot be verified")
        header = request.headers.get(SIGNATURE_HEADER)
        if not header:
            log.warning("webhook_refused", reason="signature header missing")
            raise HTTPException(status_code=401, detail="signature missing")
        # The signature covers the exact bytes Meta sent: read them before any parsing.
        body = await _read_limited(request, limit)
        if body is None:
            raise HTTPException(status_code=413, detail="payload too large")
        signers = snapshot.signers(body, header, only=only)
        if not signers:
            log.warning("webhook_refused", reason="signature mismatch", size=len(body), app_id=only)
            raise HTTPException(status_code=403, detail="invalid signature")
        try:
            payload: Any = json.loads(body)
        except (ValueError, RecursionError):
            log.warning("webhook_refused", reason="body is not JSON", size=len(body))
            raise HTTPException(status_code=400, detail="body is not JSON") from None
        if not isinstance(payload, dict):
            raise HTTPException(status_code=400, detail="body is not a JSON object")
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
