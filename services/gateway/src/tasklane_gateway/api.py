"""The WhatsApp webhook endpoint: Meta's verification handshake (GET) and notifications (POST)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import JSONResponse, PlainTextResponse
from sqlalchemy.exc import SQLAlchemyError

from tasklane_common.errors import PublishError
from tasklane_common.logging import get_logger
from tasklane_common.runtime import ServiceRuntime
from tasklane_gateway.ingest import WebhookIngestor
from tasklane_gateway.settings import GatewaySettings
from tasklane_gateway.signature import SIGNATURE_HEADER, signature_matches, token_matches
from tasklane_gateway.webhook import parse

log = get_logger(__name__)


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


def router(runtime: ServiceRuntime, settings: GatewaySettings) -> APIRouter:
    api = APIRouter(prefix="/api/webhooks", tags=["webhooks"])
    ingestor = WebhookIngestor(runtime)

    @api.get("/whatsapp", response_class=PlainTextResponse)
    async def verify(
        mode: Annotated[str | None, Query(alias="hub.mode")] = None,
        token: Annotated[str | None, Query(alias="hub.verify_token")] = None,
        challenge: Annotated[str | None, Query(alias="hub.challenge")] = None,
    ) -> PlainTextResponse:
        """Meta's subscription handshake: echo ``hub.challenge`` verbatim if the token is ours."""
        expected = settings.verify_token
        if expected is None:
            log.error("webhook_verification_refused", reason="no verify token configured")
            raise HTTPException(status_code=403, detail="verification failed")
        if mode != "subscribe" or token is None or not token_matches(token, expected.get_secret_value()):
            log.warning("webhook_verification_refused", reason="mode or token mismatch")
            raise HTTPException(status_code=403, detail="verification failed")
        if challenge is None:
            raise HTTPException(status_code=400, detail="hub.challenge missing")
        log.info("webhook_verified")
        return PlainTextResponse(challenge)

    @api.post("/whatsapp")
    async def receive(request: Request) -> JSONResponse:
        """A notification from Meta. 200 means every new item was published (confirmed); 503
        means nothing was recorded and Meta should retry."""
        limit = settings.max_body_bytes
        declared = request.headers.get("content-length")
        if declared is not None:
            if not declared.strip().isdigit():
                raise HTTPException(status_code=400, detail="invalid Content-Length")
            if int(declared) > limit:
                raise HTTPException(status_code=413, detail="payload too large")
        secret = settings.app_secret
        if secret is None:
            log.error("webhook_refused", reason="no app secret configured: cannot verify signatures")
            raise HTTPException(status_code=403, detail="signature cannot be verified")
        header = request.headers.get(SIGNATURE_HEADER)
        if not header:
            log.warning("webhook_refused", reason="signature header missing")
            raise HTTPException(status_code=401, detail="signature missing")
        # The signature covers the exact bytes Meta sent: read them before any parsing.
        body = await _read_limited(request, limit)
        if body is None:
            raise HTTPException(status_code=413, detail="payload too large")
        if not signature_matches(body, header, secret.get_secret_value()):
            log.warning("webhook_refused", reason="signature mismatch", size=len(body))
            raise HTTPException(status_code=403, detail="invalid signature")
        try:
            payload: Any = json.loads(body)
        except (ValueError, RecursionError):
            log.warning("webhook_refused", reason="body is not JSON", size=len(body))
            raise HTTPException(status_code=400, detail="body is not JSON") from None
        if not isinstance(payload, dict):
            raise HTTPException(status_code=400, detail="body is not a JSON object")
        received_at = datetime.now(UTC)
        webhook = parse(payload, received_at=received_at)
        try:
            result = await ingestor.ingest(webhook, received_at)
        except PublishError as exc:
            log.warning("webhook_deferred", reason="publish not confirmed", error=str(exc)[:200])
            raise HTTPException(status_code=503, detail="temporarily unavailable, retry") from None
        except (SQLAlchemyError, OSError) as exc:
            log.error("webhook_deferred", reason="database error", error=type(exc).__name__)
            raise HTTPException(status_code=503, detail="temporarily unavailable, retry") from None
        log.info("webhook_accepted", **result.as_dict())
        return JSONResponse({"status": "ok", **result.as_dict()})

    return api
