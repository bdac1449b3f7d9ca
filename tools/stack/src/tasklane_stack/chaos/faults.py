"""The faults of ``make chaos``: each does something real to the running stack while the load
flows, undoes it, and says when it ended (the start of the recovery clock)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import httpx

from tasklane_stack.chaos import infra
from tasklane_stack.processes import pid_of

SERVICES = ("gateway", "agent", "sender", "analytics")


@dataclass(frozen=True)
class Context:
    sim_url: str  # the simulator, for Graph API faults
    down_s: float  # how long a killed service or a stopped server stays down
    storm_s: float  # how long a Graph API storm lasts


@dataclass(frozen=True)
class Fault:
    name: str
    what: str
    inject: Callable[[Context], Awaitable[str]]  # does it, undoes it; a note for the report
    copies: int = 1  # deliveries of each webhook (3: Meta delivering everything thrice)
    shared: bool = False  # touches a server other people on the machine use


def _kill(service: str) -> Callable[[Context], Awaitable[str]]:
    async def inject(ctx: Context) -> str:
        pid = infra.kill(service)
        await asyncio.sleep(ctx.down_s)
        started = time.monotonic()
        new_pid = await asyncio.to_thread(infra.restart, service)
        return f"pid {pid} killed, {new_pid} ready {time.monotonic() - started:.1f} s after its start"

    return inject


async def _broker_close(ctx: Context) -> str:
    pids = [pid for name in SERVICES if (pid := pid_of(name)) is not None]
    closed = 0
    for _ in range(3):  # three blips, a second apart: a reconnect must survive the next one
        closed += await asyncio.to_thread(infra.close_broker_connections, pids)
        await asyncio.sleep(1.0)
    return f"{closed} connections of the stack closed in 3 rounds"


async def _broker_restart(ctx: Context) -> str:
    started = time.monotonic()
    await infra.broker_outage(ctx.down_s)
    return f"RabbitMQ stop_app/start_app, down {time.monotonic() - started:.1f} s"


async def _pg_restart(ctx: Context) -> str:
    started = time.monotonic()
    await infra.pg_outage(ctx.down_s)
    return f"PostgreSQL stopped and started, down {time.monotonic() - started:.1f} s"


def _graph(body: dict[str, object], bursts: bool) -> Callable[[Context], Awaitable[str]]:
    async def inject(ctx: Context) -> str:
        async with httpx.AsyncClient(base_url=ctx.sim_url, timeout=10.0) as client:
            if body:
                (await client.post("/__sim/faults", json=body)).raise_for_status()
            try:
                end = time.monotonic() + ctx.storm_s
                while bursts and time.monotonic() < end:
                    # 3 s of 130429 (throughput reached) on every call, every 10 s.
                    storm = {"storm": {"kind": "130429", "seconds": min(3.0, end - time.monotonic())}}
                    (await client.post("/__sim/faults", json=storm)).raise_for_status()
                    await asyncio.sleep(min(10.0, max(0.0, end - time.monotonic())))
                await asyncio.sleep(max(0.0, end - time.monotonic()))
            finally:
                (await client.delete("/__sim/faults")).raise_for_status()
        return f"{ctx.storm_s:.0f} s: {body.get('rates') or {}}{' + 130429 bursts' if bursts else ''}"

    return inject


async def _nothing(ctx: Context) -> str:
    return "no fault: each webhook delivered three times"


FAULTS: tuple[Fault, ...] = (
    *(Fault(f"{s}-kill", f"SIGKILL of the {s} mid-stream, restarted", _kill(s)) for s in SERVICES),
    Fault("broker-close", "the stack's AMQP connections closed by the broker, 3 times", _broker_close),
    Fault("broker-restart", "RabbitMQ stop_app, start_app", _broker_restart, shared=True),
    Fault("pg-restart", "PostgreSQL stopped, started", _pg_restart, shared=True),
    Fault("graph-5xx", "Graph API answers 5xx to 50% of sends", _graph({"rates": {"5xx": 0.5}}, False)),
    Fault("graph-429", "Graph API 130429 bursts (3 s of every 10 s)", _graph({}, True)),
    Fault("graph-timeout", "Graph API hangs on 30% of sends", _graph({"rates": {"timeout": 0.3}}, False)),
    Fault(
        "graph-storm",
        "Graph API storm: 30% 5xx, 10% timeouts, 130429 bursts",
        _graph({"rates": {"5xx": 0.3, "timeout": 0.1}}, True),
    ),
    Fault("webhook-triple", "every message webhook delivered three times", _nothing, copies=3),
)


def select(names: str | None) -> list[Fault]:
    """The faults named (comma-separated; all of them when empty), in the suite's order."""
    if not names:
        return list(FAULTS)
    wanted = [n.strip() for n in names.split(",") if n.strip()]
    known = {f.name: f for f in FAULTS}
    unknown = [n for n in wanted if n not in known]
    if unknown:
        raise ValueError(f"unknown fault(s) {unknown}; known: {', '.join(known)}")
    return [f for f in FAULTS if f.name in wanted]
