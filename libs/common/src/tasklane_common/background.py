"""Stopping the asyncio tasks a component runs in the background (relays, pruners, workers)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterable


async def cancel(*tasks: asyncio.Task[None] | None) -> None:
    """Cancel ``tasks`` (None ones are skipped) and wait until each has finished unwinding."""
    await cancel_all(t for t in tasks if t is not None)


async def cancel_all(tasks: Iterable[asyncio.Task[None]]) -> None:
    """Cancel every task first, then wait for each: they unwind concurrently, not one by one."""
    pending = list(tasks)
    for task in pending:
        task.cancel()
    for task in pending:
        with contextlib.suppress(asyncio.CancelledError):
            await task
