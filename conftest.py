"""Fixtures shared by every package's tests (pytest picks this file up from the repo root).

The suite talks to a real RabbitMQ and a real PostgreSQL: ``TASKLANE_AMQP_URL`` and
``TASKLANE_DATABASE_URL``, defaulting to the local servers. Where neither variable is set, the
local servers do not answer and a Docker engine exists, testcontainers starts both for the run.
"""

from __future__ import annotations

import os
import socket
from collections.abc import AsyncIterator
from contextlib import ExitStack
from typing import Any

import pytest

from tasklane_common.testing import cleanup_run, new_run_id

_containers = ExitStack()


def _reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def _docker_engine() -> bool:
    try:
        import docker

        docker.from_env().ping()
        return True
    except Exception:
        return False


def pytest_configure(config: pytest.Config) -> None:
    # Analytics refuses to start without the key of its pseudonyms; the suite's own, not a secret.
    os.environ.setdefault("TASKLANE_ANALYTICS_PSEUDONYM_KEY", "test-pseudonym-key-of-the-suite")
    if "TASKLANE_AMQP_URL" in os.environ or "TASKLANE_DATABASE_URL" in os.environ:
        return
    if _reachable("127.0.0.1", 5672) and _reachable("127.0.0.1", 5432):
        return
    if not _docker_engine():
        raise pytest.UsageError(
            "The suite needs RabbitMQ (127.0.0.1:5672) and PostgreSQL (127.0.0.1:5432), or "
            "TASKLANE_AMQP_URL / TASKLANE_DATABASE_URL, or a Docker engine for testcontainers."
        )
    from testcontainers.postgres import PostgresContainer
    from testcontainers.rabbitmq import RabbitMqContainer

    pg: Any = _containers.enter_context(PostgresContainer("postgres:16-alpine", driver="asyncpg"))
    mq: Any = _containers.enter_context(RabbitMqContainer("rabbitmq:3.13-alpine"))
    os.environ["TASKLANE_DATABASE_URL"] = pg.get_connection_url()
    params = mq.get_connection_params()
    os.environ["TASKLANE_AMQP_URL"] = f"amqp://guest:guest@{params.host}:{params.port}/"


def pytest_unconfigure(config: pytest.Config) -> None:
    _containers.close()


@pytest.fixture(scope="session")
async def run_id() -> AsyncIterator[str]:
    """A namespace for this test session on the shared RabbitMQ and PostgreSQL."""
    rid = new_run_id()
    yield rid
    await cleanup_run(rid)
