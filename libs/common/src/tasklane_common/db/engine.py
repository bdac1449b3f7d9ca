"""The async engine and unit of work of one service."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from tasklane_common.settings import DatabaseSettings


class Database:
    """Owns the engine of one service; ``transaction()`` is the only way code writes.

    The framework (consumers, HTTP dependencies, workers) opens the transaction and commits it;
    domain code receives the session and never commits.
    """

    def __init__(self, settings: DatabaseSettings, *, logical_schema: str) -> None:
        self.logical_schema = logical_schema
        url = make_url(settings.url.get_secret_value())
        self.is_sqlite = url.get_backend_name() == "sqlite"
        self.schema: str | None = None if self.is_sqlite else (settings.schema_name or logical_schema)
        # hide_parameters: SQL errors end up in logs, and their parameters are users' messages.
        kwargs: dict[str, Any] = {
            "echo": settings.echo,
            "pool_pre_ping": not self.is_sqlite,
            "hide_parameters": True,
        }
        if self.is_sqlite:
            if url.database and url.database != ":memory:":
                Path(url.database).parent.mkdir(parents=True, exist_ok=True)
            kwargs["connect_args"] = {"timeout": 30}
        else:
            kwargs["pool_size"] = settings.pool_size
            kwargs["max_overflow"] = settings.pool_size
            # Waiting for a pooled connection is queueing under load, not a failure: be patient.
            kwargs["pool_timeout"] = 30.0
            # Without these a silent network partition hangs every call for ~15 minutes.
            kwargs["connect_args"] = {
                "timeout": settings.connect_timeout_s,
                "command_timeout": settings.statement_timeout_s,
                "server_settings": {
                    "statement_timeout": str(int(settings.statement_timeout_s * 1000)),
                    "idle_in_transaction_session_timeout": str(int(settings.statement_timeout_s * 2000)),
                },
            }
        engine = create_async_engine(url, **kwargs)
        self.engine: AsyncEngine = engine.execution_options(
            schema_translate_map={logical_schema: self.schema}
        )
        if self.is_sqlite:
            event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        self._sessions = async_sessionmaker(self.engine, expire_on_commit=False)
        # SQLite allows one writer; serialising writes here avoids "database is locked" storms.
        self._write_lock = asyncio.Lock() if self.is_sqlite else None

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        if self._write_lock is not None:
            async with self._write_lock, self._sessions() as session, session.begin():
                yield session
        else:
            async with self._sessions() as session, session.begin():
                yield session

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncSession]:
        async with self._sessions() as session:
            yield session

    async def ping(self, timeout: float = 5.0) -> None:
        async with asyncio.timeout(timeout), self.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))

    async def reachable(self, timeout: float = 5.0) -> bool:
        try:
            await self.ping(timeout)
            return True
        except Exception:
            return False

    async def wait_reachable(self, deadline: float) -> bool:
        """Wait (loop time ``deadline`` at most) until the database answers again."""
        loop = asyncio.get_running_loop()
        delay = 0.5
        while loop.time() < deadline:
            if await self.reachable():
                return True
            await asyncio.sleep(min(delay, max(0.0, deadline - loop.time())))
            delay = min(delay * 2, 10.0)
        return False

    def instrument(self, *, service: str) -> None:
        """SQL statement spans (see ``tasklane_common.tracing.database``)."""
        from tasklane_common.tracing.database import instrument_engine

        system = "sqlite" if self.is_sqlite else "postgresql"
        instrument_engine(self.engine.sync_engine, system=system, namespace=self.schema, service=service)

    async def dispose(self) -> None:
        await self.engine.dispose()


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()
