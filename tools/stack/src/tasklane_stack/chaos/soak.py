"""``make chaos SOAK=<seconds> RATE=<msg/s>``: steady load for a set time, then an idle period,
sampling what every service holds; growth is reported per thousand messages (from the end of a
warm-up, so first-use caches and imports are not counted) and over the idle period."""

from __future__ import annotations

import asyncio
import os
import random
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from tasklane_stack.bench import _machine
from tasklane_stack.chaos import counting, load, observe, report
from tasklane_stack.chaos.faults import SERVICES
from tasklane_stack.chaos.runner import _task_titles, _urls, _wait_replies, check_stack
from tasklane_stack.processes import DEV_APP_SECRET, pid_of

SECTION = "chaos:soak"


@dataclass(frozen=True)
class SoakOptions:
    seconds: float
    rate: float
    idle_s: float
    interval_s: float = 5.0
    warmup: float = 0.1  # share of the load before the baseline sample


@dataclass(frozen=True)
class Growth:
    service: str
    rss_start_kb: int  # at the end of the warm-up
    rss_loaded_kb: int  # at the end of the load
    rss_idle_kb: int  # at the end of the idle period
    per_k_kb: float  # KB per 1,000 messages, warm-up end -> load end
    fds: tuple[int, int, int]  # same three moments
    db: tuple[int, int, int]


def growth(service: str, samples: list[observe.Sample], warm_at: int, loaded_at: int) -> Growth:
    """Growth of one service between three sample indexes: warm-up end, load end, last."""
    warm, loaded, last = samples[warm_at], samples[loaded_at], samples[-1]
    messages = max(1, loaded.messages - warm.messages)
    return Growth(
        service,
        warm.rss_kb,
        loaded.rss_kb,
        last.rss_kb,
        (loaded.rss_kb - warm.rss_kb) * 1000 / messages,
        (warm.fds, loaded.fds, last.fds),
        (warm.db_connections, loaded.db_connections, last.db_connections),
    )


SOAK_HEADER = (
    "| service | RSS after warm-up MB | RSS at load end MB | growth KB / 1,000 msgs "
    "| RSS change while idle MB | open fds (warm, end, idle) | db connections (warm, end, idle) |\n"
    "|---|---|---|---|---|---|---|\n"
)


def soak_row(g: Growth) -> str:
    idle = (g.rss_idle_kb - g.rss_loaded_kb) / 1024
    return (
        f"| {g.service} | {g.rss_start_kb / 1024:.1f} | {g.rss_loaded_kb / 1024:.1f} | {g.per_k_kb:+.0f} "
        f"| {idle:+.1f} | {', '.join(map(str, g.fds))} | {', '.join(map(str, g.db))} |"
    )


async def _sample_all(messages: int) -> dict[str, observe.Sample]:
    pids = {name: pid for name in SERVICES if (pid := pid_of(name)) is not None}
    db = await observe.db_connections(pids)
    now = time.monotonic()
    return {
        name: observe.Sample(now, messages, observe.rss_kb(pid), observe.open_fds(pid), db.get(name, 0))
        for name, pid in pids.items()
    }


async def run_soak(options: SoakOptions, output: Path) -> int:
    problem = await check_stack()
    if problem:
        print(problem)
        return 1
    gateway, agent, sim = _urls()
    started = datetime.now(UTC)
    run = random.randrange(10_000)
    token = f"s{run:04d}"
    total = max(1, round(options.seconds * options.rate))
    messages = load.build_messages(token, run, total)
    users = [m.wa_id for m in messages]
    posted = 0

    def progress(count: int) -> None:
        nonlocal posted
        posted = count

    print(f"soak: {total} messages at {options.rate:g}/s, then {options.idle_s:g} s idle")
    samples: dict[str, list[observe.Sample]] = {name: [] for name in SERVICES}
    load_task = asyncio.create_task(
        load.run_load(
            messages,
            url=f"{gateway}/api/webhooks/whatsapp",
            secret=os.environ.get("WHATSAPP_APP_SECRET", DEV_APP_SECRET),
            rate=options.rate,
            on_posted=progress,
        )
    )
    warm_at = loaded_at = 0
    while not load_task.done():
        for name, sample in (await _sample_all(posted)).items():
            samples[name].append(sample)
        if posted < total * options.warmup:
            warm_at = len(samples[SERVICES[0]]) - 1
        await asyncio.wait({load_task}, timeout=options.interval_s)
    log = load_task.result()
    for name, sample in (await _sample_all(posted)).items():
        samples[name].append(sample)
    loaded_at = len(samples[SERVICES[0]]) - 1
    print(f"soak: load done ({dict(log.answers)}); idle for {options.idle_s:g} s")
    idle_end = time.monotonic() + options.idle_s
    while time.monotonic() < idle_end:
        await asyncio.sleep(min(options.interval_s, max(0.0, idle_end - time.monotonic())))
        for name, sample in (await _sample_all(posted)).items():
            samples[name].append(sample)
    sent = await _wait_replies(sim, users, time.monotonic() + 60, 0.0)
    counts = counting.count(
        users=users,
        sent=sent,
        titles=await _task_titles(agent, token),
        token=token,
        fault_end=time.time(),
        webhook_statuses=log.answers,
        deliveries=[],
    )
    rows = [growth(name, s, warm_at, loaded_at) for name, s in samples.items() if s]
    table = SOAK_HEADER + "\n".join(soak_row(g) for g in rows) + "\n"
    summary = (
        f"{counts.n} messages: {counts.replied_once} replied once, {len(counts.lost)} lost, "
        f"{len(counts.duplicated)} duplicated, tasks lost/dup {len(counts.tasks_lost)}/"
        f"{len(counts.tasks_duplicated)}, webhook non-200 {report.non_200(counts.webhook_non_200)}"
    )
    print(table)
    print(summary)
    body = (
        f"Run of {started.strftime('%Y-%m-%d %H:%M UTC')} on {_machine()}, with\n\n"
        f"```\nmake chaos SOAK={options.seconds:g} RATE={options.rate:g} IDLE={options.idle_s:g}\n```\n\n"
        f"{options.seconds:g} s of load, then {options.idle_s:g} s idle, sampled every "
        f"{options.interval_s:g} s; growth is measured from the end of the first "
        f"{options.warmup:.0%} of the messages. {summary}.\n\n{table}"
    )
    report.write_section(output, SECTION, body)
    print(f"written to {output}")
    return 0 if counts.clean else 2
