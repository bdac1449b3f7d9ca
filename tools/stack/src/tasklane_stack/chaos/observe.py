"""What a service holds, read from outside: resident memory and open file descriptors from
/proc, database connections from pg_stat_activity (matched to the process by client port)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from tasklane_common.settings import DEFAULT_DATABASE_URL
from tasklane_stack.chaos.infra import local_ports


@dataclass(frozen=True)
class Sample:
    at: float  # monotonic seconds
    messages: int  # messages posted so far
    rss_kb: int
    fds: int
    db_connections: int


def rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def open_fds(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/fd"))


async def db_connections(pids: dict[str, int]) -> dict[str, int]:
    """Connections each process has open to PostgreSQL, as the server sees them."""
    engine = create_async_engine(
        os.environ.get("TASKLANE_DATABASE_URL", DEFAULT_DATABASE_URL), poolclass=NullPool
    )
    try:
        async with engine.connect() as connection:
            rows = await connection.execute(
                text(
                    "SELECT client_port FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
            )
            server_ports = {int(port) for (port,) in rows if port is not None}
    finally:
        await engine.dispose()
    return {name: len(local_ports(pid, 5432) & server_ports) for name, pid in pids.items()}
