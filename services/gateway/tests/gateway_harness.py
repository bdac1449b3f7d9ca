"""What the gateway's tests share: a running gateway on the real broker and database, a signed
POST helper, and a look into the queues the gateway publishes to."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Any

import aio_pika
import httpx
from aio_pika.abc import AbstractChannel
from fastapi import FastAPI

from tasklane_common.messaging import Envelope
from tasklane_common.messaging.topology import AGENT_INBOUND, ANALYTICS_EVENTS, SENDER_STATUSES
from tasklane_common.testing import amqp_url, running
from tasklane_gateway.app import create_app
from tasklane_gateway.settings import GatewaySettings
from tasklane_simulator.payloads import encode, sign

# The secret of the reference's signature test vector, so that vector can be replayed as is.
APP_SECRET = "test_app_secret"
VERIFY_TOKEN = "gateway-test-verify-token"
WEBHOOK = "/api/webhooks/whatsapp"


class QueueWatcher:
    """Reads what reached the gateway's downstream queues, straight from RabbitMQ."""

    def __init__(self, channel: AbstractChannel, namespace: str) -> None:
        self._channel = channel
        self._namespace = namespace

    async def take(self, queue: str) -> list[Envelope]:
        """Remove and return every message waiting in ``queue`` (a topology queue name)."""
        amqp_queue = await self._channel.get_queue(f"{self._namespace}{queue}", ensure=False)
        out: list[Envelope] = []
        while (message := await amqp_queue.get(no_ack=True, fail=False)) is not None:
            out.append(Envelope.from_bytes(message.body))
        return out

    async def take_raw(self, queue: str) -> list[bytes]:
        """Like ``take``, as the bytes on the wire."""
        amqp_queue = await self._channel.get_queue(f"{self._namespace}{queue}", ensure=False)
        out: list[bytes] = []
        while (message := await amqp_queue.get(no_ack=True, fail=False)) is not None:
            out.append(message.body)
        return out

    async def inbound(self) -> list[Envelope]:
        return await self.take(AGENT_INBOUND.name)

    async def statuses(self) -> list[Envelope]:
        return await self.take(SENDER_STATUSES.name)

    async def drain(self) -> None:
        for queue in (AGENT_INBOUND.name, SENDER_STATUSES.name, ANALYTICS_EVENTS.name):
            await self.take(queue)


@asynccontextmanager
async def watching(namespace: str) -> AsyncIterator[QueueWatcher]:
    connection = await aio_pika.connect(amqp_url())
    async with connection:
        yield QueueWatcher(await connection.channel(), namespace)


class Gateway:
    def __init__(self, app: FastAPI, client: httpx.AsyncClient, settings: GatewaySettings) -> None:
        self.app = app
        self.client = client
        self.settings = settings

    async def post(
        self,
        payload: dict[str, Any] | bytes,
        *,
        secret: str | None = APP_SECRET,
        headers: Mapping[str, str] | None = None,
    ) -> httpx.Response:
        """POST like Meta: the body signed with ``secret`` (None: no signature header)."""
        body = payload if isinstance(payload, bytes) else encode(payload)
        sent = {"content-type": "application/json"}
        if secret is not None:
            sent["x-hub-signature-256"] = sign(body, secret)
        sent.update(headers or {})
        return await self.client.post(WEBHOOK, content=body, headers=sent)


@asynccontextmanager
async def serving(settings: GatewaySettings, **app_options: Any) -> AsyncIterator[Gateway]:
    app = create_app(settings, **app_options)
    async with running(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            yield Gateway(app, client, settings)
