"""Helpers for the services' test suites: isolated broker namespaces and database schemas.

Each test session picks a random run id. Queues and exchanges are prefixed with it on the shared
RabbitMQ, and every service's tables live in ``<run id>_<service>`` schemas on the shared
PostgreSQL; ``cleanup_run`` removes both afterwards.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from typing import Any, TypeVar

import aio_pika
from fastapi import FastAPI
from pydantic import SecretStr
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from tasklane_common.messaging.topology import ALL_QUEUES, DEAD_LETTER_EXCHANGE, EXCHANGE, dead_letter_queue
from tasklane_common.settings import (
    DEFAULT_AMQP_URL,
    DEFAULT_DATABASE_URL,
    BrokerSettings,
    DatabaseSettings,
    LoggingSettings,
    ServiceSettings,
)

S = TypeVar("S", bound=ServiceSettings)


def amqp_url() -> str:
    return os.environ.get("TASKLANE_AMQP_URL", DEFAULT_AMQP_URL)


def database_url() -> str:
    return os.environ.get("TASKLANE_DATABASE_URL", DEFAULT_DATABASE_URL)


def new_run_id() -> str:
    return "t" + uuid.uuid4().hex[:10]


def real_values(
    run_id: str, service: str, *, delivery_limit: int | None = None, **overrides: Any
) -> dict[str, Any]:
    """The settings values of ``service`` on the real broker and database, isolated by ``run_id``
    (``delivery_limit`` sets the broker's, for tests that dead-letter on purpose)."""
    broker = BrokerSettings(url=SecretStr(amqp_url()), namespace=f"{run_id}.")
    if delivery_limit is not None:
        broker = broker.model_copy(update={"delivery_limit": delivery_limit})
    values: dict[str, Any] = {
        "broker": broker,
        "database": DatabaseSettings(url=SecretStr(database_url()), schema_name=f"{run_id}_{service}"),
        "logging": LoggingSettings(level="WARNING"),
        "outbox_poll_interval_s": 0.2,
        "shutdown_grace_s": 3.0,
    }
    values.update(overrides)
    return values


def real_settings(cls: type[S], run_id: str, service: str, **overrides: Any) -> S:
    """Settings for ``service`` on the real broker and database, isolated by ``run_id``."""
    return cls(**real_values(run_id, service, **overrides))


def real_stack(
    run_id: str,
    *,
    delivery_limit: int | None = None,
    per_service: Mapping[str, Mapping[str, Any]] | None = None,
    **common: Any,
) -> Callable[[str], dict[str, Any]]:
    """What ``in_process_stack`` takes for a stack on the real broker and database: every
    service's ``real_values`` with ``common``, and ``per_service[service]`` on top."""
    extra = per_service or {}

    def settings_for(service: str) -> dict[str, Any]:
        values = real_values(run_id, service, delivery_limit=delivery_limit, **common)
        values.update(extra.get(service, {}))
        return values

    return settings_for


def memory_settings(cls: type[S], name: str, sqlite_path: str, **overrides: Any) -> S:
    """Settings for the in-process transport and a SQLite file: fast unit tests, no servers."""
    values: dict[str, Any] = {
        "broker": BrokerSettings(url=SecretStr(f"memory://{name}")),
        "database": DatabaseSettings(url=SecretStr(f"sqlite+aiosqlite:///{sqlite_path}")),
        "logging": LoggingSettings(level="WARNING"),
        "outbox_poll_interval_s": 0.2,
        "shutdown_grace_s": 3.0,
    }
    values.update(overrides)
    return cls(**values)


@asynccontextmanager
async def running(app: FastAPI) -> AsyncIterator[FastAPI]:
    """Run an app's lifespan (start-up and graceful shutdown) around a block."""
    async with app.router.lifespan_context(app):
        yield app


async def cleanup_run(run_id: str) -> None:
    engine = create_async_engine(database_url())
    try:
        async with engine.begin() as conn:
            rows = await conn.execute(
                text("SELECT nspname FROM pg_namespace WHERE nspname LIKE :p"), {"p": f"{run_id}_%"}
            )
            for (schema,) in rows.all():
                await conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    finally:
        await engine.dispose()
    with contextlib.suppress(Exception):
        connection = await aio_pika.connect(amqp_url())
        async with connection:
            channel = await connection.channel()
            for spec in ALL_QUEUES:
                for name in (spec.name, dead_letter_queue(spec.name)):
                    await channel.queue_delete(f"{run_id}.{name}")
            for exchange in (EXCHANGE, DEAD_LETTER_EXCHANGE):
                await channel.exchange_delete(f"{run_id}.{exchange}")


class TcpProxy:
    """Forwards connections from ``127.0.0.1:<port>`` to ``target``.

    ``cut()`` drops every open connection and closes the listening socket, so new connections are
    refused, the way a crashed or unreachable server looks to a client; ``restore()`` listens on
    the same port again. ``upload_bytes_per_s`` makes the link towards the server slow but steady,
    the way a busy host or a congested network looks: everything arrives, late.
    """

    def __init__(
        self, target_host: str, target_port: int, *, upload_bytes_per_s: float | None = None
    ) -> None:
        self.target = (target_host, target_port)
        self.upload_bytes_per_s = upload_bytes_per_s
        self.port = 0
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._pumps: set[asyncio.Task[None]] = set()

    @property
    def is_up(self) -> bool:
        return self._server is not None

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", self.port)
        self.port = self._server.sockets[0].getsockname()[1]

    async def cut(self) -> None:
        if self._server is not None:
            self._server.close()
            self._server = None
        for writer in list(self._writers):
            writer.transport.abort()
        self._writers.clear()
        for task in list(self._pumps):
            task.cancel()
        await asyncio.gather(*self._pumps, return_exceptions=True)

    async def restore(self) -> None:
        if self._server is None:
            await self.start()

    async def close(self) -> None:
        await self.cut()

    async def _accept(self, client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        try:
            upstream_reader, upstream_writer = await asyncio.open_connection(*self.target)
        except OSError:
            client_writer.transport.abort()
            return
        self._writers.update((client_writer, upstream_writer))
        for reader, writer, rate in (
            (client_reader, upstream_writer, self.upload_bytes_per_s),
            (upstream_reader, client_writer, None),
        ):
            task = asyncio.create_task(self._pump(reader, writer, rate))
            self._pumps.add(task)
            task.add_done_callback(self._pumps.discard)

    async def _pump(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, rate: float | None
    ) -> None:
        try:
            # Small reads when slowed, so that the data trickles instead of arriving in lumps.
            while data := await reader.read(2048 if rate else 65536):
                if rate:
                    await asyncio.sleep(len(data) / rate)
                writer.write(data)
                await writer.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            # One direction ended: end the other too, as a real connection would.
            writer.transport.abort()
            self._writers.discard(writer)
            with contextlib.suppress(Exception):
                await writer.wait_closed()


async def eventually(check: Callable[[], Awaitable[Any]], timeout: float = 20.0) -> Any:
    """``check()``'s first truthy answer, polled every 50 ms; fails after ``timeout`` seconds."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        result = await check()
        if result:
            return result
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"condition not met in {timeout}s (last: {result!r})")
        await asyncio.sleep(0.05)
