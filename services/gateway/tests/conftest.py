"""Fixtures of the gateway's tests: one isolated namespace per test module on the real RabbitMQ
and PostgreSQL, a running gateway and a watcher on the queues it publishes to."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tasklane_common.testing import cleanup_run, new_run_id, real_settings

# The suite runs with --import-mode=importlib, which does not put test directories on sys.path;
# the helper modules here have names unique in the repository, so exposing them is safe.
sys.path.insert(0, str(Path(__file__).parent))

from gateway_harness import APP_SECRET, VERIFY_TOKEN, Gateway, QueueWatcher, serving, watching

from tasklane_gateway.settings import GatewaySettings


@pytest.fixture(scope="module")
async def module_run_id() -> AsyncIterator[str]:
    """Queues of their own, so that no other module's consumers or leftovers interfere."""
    rid = new_run_id()
    yield rid
    await cleanup_run(rid)


@pytest.fixture(scope="module")
async def gateway(module_run_id: str) -> AsyncIterator[Gateway]:
    settings = real_settings(
        GatewaySettings, module_run_id, "gateway", app_secret=APP_SECRET, verify_token=VERIFY_TOKEN
    )
    async with serving(settings) as gw:
        yield gw


@pytest.fixture(scope="module")
async def module_watcher(gateway: Gateway, module_run_id: str) -> AsyncIterator[QueueWatcher]:
    # Depends on the gateway: its start-up declares the queues being watched.
    async with watching(f"{module_run_id}.") as watcher:
        yield watcher


@pytest.fixture
async def watcher(module_watcher: QueueWatcher) -> QueueWatcher:
    """The queues, emptied of what earlier tests left, so each test sees only its own events."""
    await module_watcher.drain()
    return module_watcher
