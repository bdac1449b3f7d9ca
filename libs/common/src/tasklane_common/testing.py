"""Helpers for the services' test suites: isolated broker namespaces and database schemas.

Each test session picks a random run id. Queues and exchanges are prefixed with it on the shared
RabbitMQ, and every service's tables live in ``<run id>_<service>`` schemas on the shared
PostgreSQL; ``cleanup_run`` removes both afterwards.
"""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import AsyncIterator
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


def real_settings(cls: type[S], run_id: str, service: str, **overrides: Any) -> S:
    """Settings for ``service`` on the real broker and database, isolated by ``run_id``."""
    values: dict[str, Any] = {
        "broker": BrokerSettings(url=SecretStr(amqp_url()), namespace=f"{run_id}."),
        "database": DatabaseSettings(url=SecretStr(database_url()), schema_name=f"{run_id}_{service}"),
        "logging": LoggingSettings(level="WARNING"),
        "outbox_poll_interval_s": 0.2,
        "shutdown_grace_s": 3.0,
    }
    values.update(overrides)
    return cls(**values)


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
