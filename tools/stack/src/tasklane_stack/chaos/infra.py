"""The real things a fault does to the machine: kill and restart a service of the stack, close
its broker connections, restart RabbitMQ or PostgreSQL, and wait until each is back.

RabbitMQ and PostgreSQL are shared by everyone on the machine: their outages are kept to a few
seconds and always undone (``finally``), and each restore is checked before the run goes on."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

from tasklane_stack.processes import pid_of, start_one


class InfraError(RuntimeError):
    """A fault could not be injected or undone on this machine."""


def _run(*argv: str, timeout: float = 60.0) -> str:
    if shutil.which(argv[0]) is None:
        raise InfraError(f"{argv[0]} is not installed here")
    done = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, check=False)  # noqa: S603
    if done.returncode != 0:
        raise InfraError(f"{' '.join(argv)} failed ({done.returncode}): {done.stderr.strip()[-300:]}")
    return done.stdout


# ---- the stack's processes -------------------------------------------------------------------


def kill(name: str) -> int:
    """SIGKILL a service of the stack (no drain, no goodbye); its pid."""
    pid = pid_of(name)
    if pid is None:
        raise InfraError(f"{name} is not running (no live pid in .run/{name}.pid)")
    os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            # Reap it when this process started it (a restart by an earlier fault).
            if os.waitpid(pid, os.WNOHANG)[0] == pid:
                break
        except ChildProcessError:
            pass
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            break
        time.sleep(0.05)
    return pid


def restart(name: str) -> int:
    pid = start_one(name)
    if pid is None:
        raise InfraError(f"{name} did not become ready after its restart; see .run/{name}.log")
    return pid


# ---- sockets of a process ----------------------------------------------------------------------


def socket_inodes(pid: int) -> set[int]:
    inodes = set()
    fd_dir = Path(f"/proc/{pid}/fd")
    for fd in fd_dir.iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(int(target[8:-1]))
    return inodes


def local_ports(pid: int, remote_port: int) -> set[int]:
    """Local ports of the TCP connections of ``pid`` to ``remote_port`` (e.g. 5672, 5432)."""
    inodes = socket_inodes(pid)
    ports = set()
    for table in ("tcp", "tcp6"):
        try:
            lines = Path(f"/proc/{pid}/net/{table}").read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            local, remote, inode = fields[1], fields[2], int(fields[9])
            if inode in inodes and int(remote.rsplit(":", 1)[1], 16) == remote_port:
                ports.add(int(local.rsplit(":", 1)[1], 16))
    return ports


# ---- RabbitMQ --------------------------------------------------------------------------------


def close_broker_connections(pids: list[int], amqp_port: int = 5672) -> int:
    """Close (server side, as a broker failover or a network blip would) every AMQP connection of
    these processes, and only theirs: other people's connections on the shared broker stay.
    How many were closed."""
    ours = set()
    for pid in pids:
        ours |= local_ports(pid, amqp_port)
    closed = 0
    for line in _run("rabbitmqctl", "-q", "list_connections", "pid", "peer_port").splitlines():
        fields = line.split("\t")
        if len(fields) == 2 and fields[1].strip().isdigit() and int(fields[1]) in ours:
            _run("rabbitmqctl", "-q", "close_connection", fields[0], "make chaos: broker-close")
            closed += 1
    return closed


def tcp_up(port: int, host: str = "127.0.0.1") -> bool:
    try:
        with socket.create_connection((host, port), timeout=1.0):
            return True
    except OSError:
        return False


async def wait_until(check: str, probe: Callable[[], bool], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if probe():
            return
        await asyncio.sleep(0.3)
    raise InfraError(f"{check} not back within {timeout:.0f} s")


def broker_up() -> bool:
    try:
        _run("rabbitmqctl", "-q", "await_startup", timeout=5)
    except (InfraError, subprocess.TimeoutExpired):
        return False
    return tcp_up(5672)


async def broker_outage(down_s: float) -> None:
    """Stop the RabbitMQ application, wait ``down_s``, start it again, and wait until it
    accepts connections (the Erlang node stays up, so the outage is short and always undone)."""
    _run("rabbitmqctl", "-q", "stop_app")
    try:
        await asyncio.sleep(down_s)
    finally:
        _run("rabbitmqctl", "-q", "start_app", timeout=120)
        await wait_until("RabbitMQ", broker_up, 120)


# ---- PostgreSQL ------------------------------------------------------------------------------


def pg_cluster() -> tuple[str, str]:
    """(version, name) of the local cluster, from ``pg_lsclusters``."""
    for line in _run("pg_lsclusters", "--no-header").splitlines():
        fields = line.split()
        if len(fields) >= 3 and fields[2] == "5432":
            return fields[0], fields[1]
    raise InfraError("no PostgreSQL cluster on port 5432 in pg_lsclusters")


def pg_up() -> bool:
    try:
        _run("pg_isready", "-q", "-h", "127.0.0.1", "-p", "5432", timeout=5)
    except (InfraError, subprocess.TimeoutExpired):
        return False
    return True


async def pg_outage(down_s: float) -> None:
    """Stop PostgreSQL (fast: open connections are cut), wait ``down_s``, start it again and wait
    until ``pg_isready`` says so."""
    version, name = pg_cluster()
    ctl = ("pg_ctlcluster", "--skip-systemctl-redirect", version, name)
    _run(*ctl, "stop")  # fast mode: open connections are cut
    try:
        await asyncio.sleep(down_s)
    finally:
        _run(*ctl, "start", timeout=120)
        await wait_until("PostgreSQL", pg_up, 120)
