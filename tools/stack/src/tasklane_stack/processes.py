"""``make run`` / ``make stop``: every service and the simulator as its own local process, on the
real RabbitMQ and PostgreSQL (``TASKLANE_AMQP_URL`` / ``TASKLANE_DATABASE_URL``)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from tasklane_common.auth import hash_key

RUN_DIR = Path(".run")
DEV_APP_SECRET = "dev-app-secret"
DEV_VERIFY_TOKEN = "dev-verify-token"
DEV_ACCESS_TOKEN = "dev-access-token"
# The local stack's admin API key and secrets key: development credentials that protect nothing
# real (a deployment sets its own; see docs/deploy.md).
DEV_ADMIN_KEY = "tl_dev_admin_key_for_the_local_stack_only"
DEV_SECRETS_KEY = "ZGV2LXNlY3JldHMta2V5LWxvY2FsLXN0YWNrLW9ubHk="
DEV_PSEUDONYM_KEY = "dev-pseudonym-key-for-the-local-stack-only"
PSEUDONYM_KEY_ENV = "TASKLANE_ANALYTICS_PSEUDONYM_KEY"


@dataclass(frozen=True)
class Proc:
    name: str
    module: str
    env_prefix: str
    default_port: int

    @property
    def port(self) -> int:
        return int(os.environ.get(f"{self.env_prefix}PORT", self.default_port))


PROCS = (
    Proc("analytics", "tasklane_analytics", "TASKLANE_ANALYTICS_", 8004),
    Proc("agent", "tasklane_agent", "TASKLANE_AGENT_", 8002),
    Proc("sender", "tasklane_sender", "TASKLANE_SENDER_", 8003),
    Proc("gateway", "tasklane_gateway", "TASKLANE_GATEWAY_", 8001),
    Proc("simulator", "tasklane_simulator", "TASKLANE_SIM_", 8005),
)


def port_of(name: str) -> int:
    return next(p.port for p in PROCS if p.name == name)


def _environment() -> dict[str, str]:
    env = dict(os.environ)
    gateway, simulator = port_of("gateway"), port_of("simulator")
    env.setdefault("WHATSAPP_APP_SECRET", DEV_APP_SECRET)
    env.setdefault("WHATSAPP_VERIFY_TOKEN", DEV_VERIFY_TOKEN)
    env.setdefault("WHATSAPP_ACCESS_TOKEN", DEV_ACCESS_TOKEN)
    env.setdefault("TASKLANE_SENDER_GRAPH_BASE_URL", f"http://127.0.0.1:{simulator}")
    # Test connection (the gateway's one Graph API call) goes to the simulator too, not to Meta.
    env.setdefault("TASKLANE_GATEWAY_GRAPH_BASE_URL", f"http://127.0.0.1:{simulator}")
    env.setdefault("TASKLANE_SIM_ACCESS_TOKEN", env["WHATSAPP_ACCESS_TOKEN"])
    env.setdefault("TASKLANE_SIM_APP_SECRET", env["WHATSAPP_APP_SECRET"])
    env.setdefault("TASKLANE_SIM_WEBHOOK_URL", f"http://127.0.0.1:{gateway}/api/webhooks/whatsapp")
    env.setdefault("TASKLANE_SECRETS_KEY", DEV_SECRETS_KEY)
    env.setdefault(PSEUDONYM_KEY_ENV, DEV_PSEUDONYM_KEY)
    env.setdefault(
        "TASKLANE_API_KEYS",
        json.dumps([{"name": "dev-admin", "role": "admin", "sha256": hash_key(DEV_ADMIN_KEY)}]),
    )
    for proc in PROCS:
        env.setdefault(f"{proc.env_prefix}PORT", str(proc.port))
    return env


def _pid_file(name: str) -> Path:
    return RUN_DIR / f"{name}.pid"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
        return True
    except OSError:
        return False


def _wait_ready(proc: Proc, timeout: float = 60.0) -> bool:
    path = "/__sim/requests" if proc.name == "simulator" else "/health/ready"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{proc.port}{path}", timeout=1.0).status_code == 200:
                return True
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    return False


def start_all() -> int:
    RUN_DIR.mkdir(exist_ok=True)
    env = _environment()
    for proc in PROCS:
        pid_file = _pid_file(proc.name)
        if pid_file.exists() and _alive(int(pid_file.read_text())):
            print(f"{proc.name:<10} already running (pid {pid_file.read_text().strip()})")
            continue
        pid = start_one(proc.name, env)
        if pid is None:
            print(f"{proc.name} did not become ready; see {RUN_DIR / (proc.name + '.log')}")
            stop_all()
            return 1
        print(f"{proc.name:<10} http://127.0.0.1:{proc.port}  (pid {pid}, log {RUN_DIR}/{proc.name}.log)")
    return 0


def start_one(name: str, env: dict[str, str] | None = None, timeout: float = 60.0) -> int | None:
    """Start one process of the stack (again, e.g. after ``make chaos`` killed it), appending to
    its log; its pid once it answers ready, None if it did not within ``timeout``."""
    proc = next(p for p in PROCS if p.name == name)
    RUN_DIR.mkdir(exist_ok=True)
    log = (RUN_DIR / f"{proc.name}.log").open("ab")
    child = subprocess.Popen(  # noqa: S603 - our own interpreter and module
        [sys.executable, "-m", proc.module, "serve"],
        env=env if env is not None else _environment(),
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    log.close()
    _pid_file(proc.name).write_text(str(child.pid))
    return child.pid if _wait_ready(proc, timeout) else None


def pid_of(name: str) -> int | None:
    """The pid of a running process of the stack, from its pid file."""
    try:
        pid = int(_pid_file(name).read_text())
    except (OSError, ValueError):
        return None
    return pid if _alive(pid) else None


def stop_all() -> int:
    for proc in reversed(PROCS):
        pid_file = _pid_file(proc.name)
        if not pid_file.exists():
            continue
        pid = int(pid_file.read_text())
        if _alive(pid):
            os.kill(pid, signal.SIGTERM)
            deadline = time.monotonic() + 20
            while _alive(pid) and time.monotonic() < deadline:
                time.sleep(0.1)
            if _alive(pid):
                os.kill(pid, signal.SIGKILL)
            print(f"{proc.name:<10} stopped")
        pid_file.unlink()
    return 0
