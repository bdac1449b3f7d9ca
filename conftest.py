"""Fixtures shared by every package's tests (pytest picks this file up from the repo root)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from tasklane_common.testing import cleanup_run, new_run_id


@pytest.fixture(scope="session")
async def run_id() -> AsyncIterator[str]:
    """A namespace for this test session on the shared RabbitMQ and PostgreSQL."""
    rid = new_run_id()
    yield rid
    await cleanup_run(rid)
