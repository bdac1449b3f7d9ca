"""Fixtures of the sender's tests: the real broker and database, and the simulator in-process.

Test modules are imported in isolation (``--import-mode=importlib``), so the helpers travel as
one fixture, ``harness``.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

import aio_pika
import httpx
import pytest
from fastapi import FastAPI

from tasklane_common.messaging import Envelope, deterministic_id, new_envelope
from tasklane_common.messaging.contracts.agent import ReplyRequested
from tasklane_common.messaging.contracts.gateway import StatusReceived
from tasklane_common.runtime import ServiceRuntime
from tasklane_common.testing import amqp_url, real_settings, running
from tasklane_sender.app import create_app
from tasklane_sender.repository import OutboundMessage, OutboundRepository
from tasklane_sender.settings import SenderSettings
from tasklane_simulator.app import create_app as create_simulator
from tasklane_simulator.payloads import DEFAULT_PHONE_NUMBER_ID
from tasklane_simulator.settings import SimulatorSettings
from tasklane_simulator.simulator import WhatsAppSimulator


async def eventually(check: Callable[[], Awaitable[Any]], *, timeout: float = 10.0) -> Any:
    """Poll ``check`` until it returns something truthy."""
    deadline = time.monotonic() + timeout
    while True:
        result = await check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise TimeoutError(f"condition not met within {timeout}s (last: {result!r})")
        await asyncio.sleep(0.05)


class EventTap:
    """Reads what the sender published, from the analytics queue of this test run."""

    def __init__(self, run_id: str) -> None:
        self.queue_name = f"{run_id}.analytics.events"
        self.seen: list[Envelope] = []
        self._connection: aio_pika.abc.AbstractConnection | None = None
        self._queue: aio_pika.abc.AbstractQueue | None = None

    async def open(self) -> None:
        self._connection = await aio_pika.connect(amqp_url())
        channel = await self._connection.channel()
        self._queue = await channel.get_queue(self.queue_name, ensure=True)

    async def close(self) -> None:
        if self._connection is not None:
            await self._connection.close()

    async def matching(self, type_: str, reply_id: str) -> list[Envelope]:
        assert self._queue is not None
        while (message := await self._queue.get(no_ack=False, fail=False)) is not None:
            self.seen.append(Envelope.from_bytes(message.body))
            await message.ack()
        return [e for e in self.seen if e.type == type_ and e.payload.get("reply_id") == reply_id]

    async def wait(self, type_: str, reply_id: str, timeout: float = 10.0) -> Envelope:
        async def check() -> list[Envelope]:
            return await self.matching(type_, reply_id)

        found: list[Envelope] = await eventually(check, timeout=timeout)
        return found[0]


class Harness:
    def __init__(self, run_id: str, sim_app: FastAPI) -> None:
        self.run_id = run_id
        self.sim_app = sim_app
        self.sim: WhatsAppSimulator = sim_app.state.simulator
        self._tap: EventTap | None = None

    @asynccontextmanager
    async def start(self, graph_app: FastAPI | None = None, **overrides: Any) -> AsyncIterator[FastAPI]:
        """A sender on the real broker and database, calling the simulator app in-process."""
        values: dict[str, Any] = {
            "graph_base_url": "http://sim",
            "access_token": "sim-access-token",
            "backoff_initial_s": 0.02,
            "backoff_max_s": 0.2,
            "ambiguous_retry_s": 0.2,
            "poll_interval_s": 0.1,
        }
        values.update(overrides)
        settings = real_settings(SenderSettings, self.run_id, "sender", **values)
        graph = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=graph_app or self.sim_app), base_url="http://sim"
        )
        async with graph, running(create_app(settings, graph_client=graph)) as app:
            yield app

    @staticmethod
    def runtime(app: FastAPI) -> ServiceRuntime:
        runtime: ServiceRuntime = app.state.runtime
        return runtime

    @staticmethod
    def phone() -> str:
        return "4917" + str(uuid.uuid4().int)[:9]

    @staticmethod
    def reply(
        to: str,
        text: str = "Task added: buy milk",
        *,
        reply_id: str | None = None,
        kind: str = "text",
        content: dict[str, Any] | None = None,
    ) -> Envelope:
        reply_id = reply_id or f"r-{uuid.uuid4().hex[:12]}"
        event = ReplyRequested(
            reply_id=reply_id,
            phone_number_id=DEFAULT_PHONE_NUMBER_ID,
            to=to,
            user_id=f"u-{to}",
            kind=kind,
            content=content if content is not None else {"body": text},
        )
        return new_envelope(
            event,
            producer="agent",
            event_id=deterministic_id("reply", reply_id),
            correlation_id=f"conv-{reply_id}",
        )

    @staticmethod
    def status(wamid: str, status: str, *, to: str, errors: list[dict[str, Any]] | None = None) -> Envelope:
        event = StatusReceived(
            wamid=wamid,
            status=status,
            phone_number_id=DEFAULT_PHONE_NUMBER_ID,
            recipient_id=to,
            status_at=datetime.now(UTC),
            errors=errors or [],
        )
        return new_envelope(event, producer="gateway", event_id=deterministic_id("status", wamid, status))

    async def publish(self, app: FastAPI, *envelopes: Envelope) -> None:
        await self.runtime(app).publish(list(envelopes))

    async def outbound(self, app: FastAPI, reply_id: str) -> OutboundMessage | None:
        async with self.runtime(app).db.read() as session:
            return await OutboundRepository(session).get(reply_id)

    async def reaches(
        self, app: FastAPI, reply_id: str, status: str, timeout: float = 10.0
    ) -> OutboundMessage:
        async def check() -> OutboundMessage | None:
            message = await self.outbound(app, reply_id)
            return message if message is not None and message.status == status else None

        result: OutboundMessage = await eventually(check, timeout=timeout)
        return result

    @staticmethod
    async def settled(predicate: Callable[[], bool], timeout: float = 5.0) -> None:
        """Wait for a condition on in-process state (e.g. a consumer's counters)."""
        deadline = time.monotonic() + timeout
        while not predicate():
            assert time.monotonic() < deadline, "condition not met in time"
            await asyncio.sleep(0.02)

    async def events(self) -> EventTap:
        if self._tap is None:
            self._tap = EventTap(self.run_id)
            await self._tap.open()
        return self._tap

    async def close(self) -> None:
        if self._tap is not None:
            await self._tap.close()


@pytest.fixture
async def sim_app() -> AsyncIterator[FastAPI]:
    """The Graph API, without status webhooks (the status tests publish statuses themselves)."""
    async with running(create_simulator(SimulatorSettings(send_statuses=False))) as app:
        yield app


@pytest.fixture
async def harness(run_id: str, sim_app: FastAPI) -> AsyncIterator[Harness]:
    h = Harness(run_id, sim_app)
    yield h
    await h.close()
