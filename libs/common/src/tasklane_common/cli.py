"""The command line every service shares: ``python -m tasklane_<service> [serve|migrate|...]``.

A service may add commands of its own (``commands={"rotate-secrets": fn}``): ``fn(settings)`` is a
coroutine function; its integer result is the exit status.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import sys
from collections.abc import Callable, Coroutine, Mapping
from pathlib import Path
from typing import Any

from tasklane_common.db.engine import Database
from tasklane_common.db.migrations import upgrade
from tasklane_common.settings import ServiceSettings


async def _migrate(settings: ServiceSettings, logical_schema: str, migrations: Path) -> None:
    db = Database(settings.database, logical_schema=logical_schema)
    try:
        await upgrade(db, migrations, settings=settings)
    finally:
        await db.dispose()


def main(
    settings_cls: type[ServiceSettings],
    create_app: Callable[[Any], Any],
    *,
    logical_schema: str,
    migrations: Path,
    commands: Mapping[str, Callable[[Any], Coroutine[Any, Any, int | None]]] | None = None,
) -> None:
    extra = dict(commands or {})
    parser = argparse.ArgumentParser(prog=f"tasklane-{logical_schema}")
    parser.add_argument("command", choices=["serve", "migrate", *extra], nargs="?", default="serve")
    args = parser.parse_args()
    settings = settings_cls()
    if args.command == "migrate":
        asyncio.run(_migrate(settings, logical_schema, migrations))
        return
    if args.command in extra:
        sys.exit(asyncio.run(extra[args.command](settings)) or 0)
    import uvicorn

    app = create_app(settings)
    freeze_startup_heap()
    # Migrations run in the lifespan too unless disabled (Kubernetes runs them in an init step).
    uvicorn.run(
        app,
        host=settings.host,
        port=settings.port,
        log_config=None,
        access_log=False,
        timeout_graceful_shutdown=int(
            settings.shutdown_grace_s + 5
            if settings.http_shutdown_grace_s is None
            else settings.http_shutdown_grace_s
        ),
    )


def freeze_startup_heap() -> None:
    """Move what start-up made (modules, classes, the app) out of the collector's reach: a full
    collection walked all of it every few hundred requests, ~100 ms each time, the worst
    latency of the analytics API (docs/performance.md). What is frozen is only what lives for
    the process's lifetime anyway."""
    gc.collect()
    gc.freeze()
