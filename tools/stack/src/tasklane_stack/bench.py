"""``make bench``: signed webhooks through a running stack (``make run``), end to end.

Each message comes from its own user, so its reply is recognisable at the simulator: latency is
the time from the start of the webhook POST to the simulator accepting the reply's Graph API call
(same wall clock, same machine). A message whose reply never arrives counts as lost.
"""

from __future__ import annotations

import asyncio
import os
import platform
import statistics
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from tasklane_simulator import payloads
from tasklane_stack.processes import DEV_APP_SECRET, PROCS, RUN_DIR, port_of

REPLY_TIMEOUT_S = 180.0


def _percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


def _machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{os.cpu_count()} cores, {cpu}, Python {platform.python_version()}"


def _cpu_seconds() -> dict[str, float]:
    """CPU time (user + system) of each ``make run`` process so far, from /proc."""
    ticks = os.sysconf("SC_CLK_TCK")
    out: dict[str, float] = {}
    for proc in PROCS:
        try:
            pid = (RUN_DIR / f"{proc.name}.pid").read_text().strip()
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            out[proc.name] = (int(fields[11]) + int(fields[12])) / ticks
        except (OSError, ValueError, IndexError):
            continue
    return out


async def _post_all(
    bodies: list[tuple[str, bytes]], concurrency: int, secret: str, url: str, rate: float | None
) -> tuple[dict[str, float], dict[int, int], float]:
    """POST every body; with ``rate`` (messages/s) the i-th POST starts no earlier than i/rate s
    after the first (an open-loop load that does not saturate the stack), else as fast as
    ``concurrency`` connections allow."""
    started: dict[str, float] = {}
    statuses: dict[int, int] = {}
    queue: asyncio.Queue[tuple[int, str, bytes]] = asyncio.Queue()
    for i, (wa_id, body) in enumerate(bodies):
        queue.put_nowait((i, wa_id, body))
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(limits=limits, timeout=30.0) as client:

        async def worker() -> None:
            while not queue.empty():
                i, wa_id, body = queue.get_nowait()
                if rate:
                    await asyncio.sleep(max(0.0, t0 + i / rate - time.perf_counter()))
                started[wa_id] = time.time()
                try:
                    response = await client.post(
                        url,
                        content=body,
                        headers={
                            "Content-Type": "application/json",
                            "X-Hub-Signature-256": payloads.sign(body, secret),
                        },
                    )
                    code = response.status_code
                except httpx.HTTPError:
                    code = 0
                statuses[code] = statuses.get(code, 0) + 1

        t0 = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - t0
    return started, statuses, elapsed


async def _collect_replies(sim: str, wanted: set[str]) -> dict[str, float]:
    seen: dict[str, float] = {}
    deadline = time.monotonic() + REPLY_TIMEOUT_S
    async with httpx.AsyncClient(timeout=30.0) as client:
        while time.monotonic() < deadline and len(seen) < len(wanted):
            messages: list[dict[str, Any]] = (await client.get(f"{sim}/__sim/messages")).json()
            for m in messages:
                to = m.get("to")
                if to in wanted and to not in seen:
                    seen[to] = datetime.fromisoformat(m["received_at"]).timestamp()
            if len(seen) < len(wanted):
                await asyncio.sleep(0.5)
    return seen


async def run_bench(messages: int, concurrency: int, output: Path, rate: float | None = None) -> int:
    secret = os.environ.get("WHATSAPP_APP_SECRET", DEV_APP_SECRET)
    gateway = f"http://127.0.0.1:{port_of('gateway')}/api/webhooks/whatsapp"
    sim = f"http://127.0.0.1:{port_of('simulator')}"
    try:
        async with httpx.AsyncClient(timeout=5.0) as client:
            (await client.delete(f"{sim}/__sim/requests")).raise_for_status()
            (await client.get(f"http://127.0.0.1:{port_of('gateway')}/health/ready")).raise_for_status()
    except httpx.HTTPError as exc:
        print(f"The stack is not running or not ready ({exc}); start it with `make run`.")
        return 1
    run = uuid.uuid4().int % 10_000
    bodies = []
    for i in range(messages):
        wa_id = f"1999{run:04d}{i:06d}"
        payload = payloads.text_message_webhook(
            from_=wa_id, text=f"Create a task to check bench item {i} by Friday", name=f"Bench {i}"
        )
        bodies.append((wa_id, payloads.encode(payload)))

    pace = f"at {rate:g}/s" if rate else "as fast as possible"
    cpu_before = _cpu_seconds()
    print(f"posting {messages} signed webhooks to {gateway} with concurrency {concurrency}, {pace}...")
    started, statuses, elapsed = await _post_all(bodies, concurrency, secret, gateway, rate)
    accepted = statuses.get(200, 0)
    print(f"accepted {accepted}/{messages} in {elapsed:.2f} s; waiting for the replies...")
    replies = await _collect_replies(sim, set(started))
    latencies = [(replies[w] - started[w]) * 1000 for w in replies]
    await asyncio.sleep(2.0)  # let status webhooks and analytics finish before reading CPU time
    cpu_after = _cpu_seconds()
    cpu_ms = {k: (cpu_after[k] - cpu_before.get(k, 0.0)) * 1000 / messages for k in cpu_after}
    lost = messages - len(replies)
    # Pipeline throughput: replies delivered per second, from the first POST to the last reply.
    span = (max(replies.values()) - min(started.values())) if replies else 0.0
    completed_per_s = len(replies) / span if span > 0 else 0.0
    row = {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "messages": messages,
        "concurrency": concurrency,
        "rate": f"{rate:g}/s" if rate else "max",
        "accepted_per_s": accepted / elapsed if elapsed else 0.0,
        "completed_per_s": completed_per_s,
        "non_200": {k: v for k, v in statuses.items() if k != 200},
        "p50": _percentile(latencies, 50),
        "p95": _percentile(latencies, 95),
        "p99": _percentile(latencies, 99),
        "mean": statistics.fmean(latencies) if latencies else float("nan"),
        "lost": lost,
        "cpu_ms": cpu_ms,
    }
    _report(row, output)
    return 0 if lost == 0 and accepted == messages else 2


def _with_row(text: str, table_header: str, row: str) -> str:
    """``text`` with ``row`` appended to the last table that has ``table_header`` (a new table at
    the end when the columns changed), so prose after a table stays after it."""
    start = text.rfind(table_header)
    if start < 0:
        return text.rstrip("\n") + "\n\n" + table_header + row + "\n"
    lines = text[start:].split("\n")
    end = start
    for candidate in lines:
        if not candidate.startswith("|"):
            break
        end += len(candidate) + 1
    return text[:end] + row + "\n" + text[end:]


def _cpu(cpu_ms: dict[str, float]) -> str:
    return ", ".join(f"{name} {ms:.1f}" for name, ms in cpu_ms.items()) or "-"


def _report(row: dict[str, Any], output: Path) -> None:
    line = (
        f"| {row['date']} | {row['messages']} | {row['concurrency']} | {row['rate']} "
        f"| {row['accepted_per_s']:.0f} | {row['completed_per_s']:.1f} "
        f"| {row['p50']:.0f} | {row['p95']:.0f} | {row['p99']:.0f} | {row['lost']} "
        f"| {row['non_200'] or '-'} | {_cpu(row['cpu_ms'])} | {_machine()} |"
    )
    print(
        f"accepted/s {row['accepted_per_s']:.0f}; replied/s {row['completed_per_s']:.1f}; "
        f"end-to-end latency ms p50 {row['p50']:.0f} "
        f"p95 {row['p95']:.0f} p99 {row['p99']:.0f}; lost {row['lost']}\n"
        f"CPU ms per message (whole conversation turn incl. 3 status webhooks): {_cpu(row['cpu_ms'])}"
    )
    table_header = (
        "| date | messages | concurrency | offered rate | accepted/s | replied/s | p50 ms | p95 ms "
        "| p99 ms | lost | non-200 | CPU ms per message | machine |\n"
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|\n"
    )
    output.parent.mkdir(parents=True, exist_ok=True)
    text = output.read_text() if output.exists() else "# Performance\n"
    output.write_text(_with_row(text, table_header, line))
    print(f"appended to {output}")
