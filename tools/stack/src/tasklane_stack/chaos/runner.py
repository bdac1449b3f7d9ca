"""One fault run: the load, the fault a third of the way in, then the count from outside."""

from __future__ import annotations

import asyncio
import json
import os
import random
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import httpx

from tasklane_stack.chaos import counting, load
from tasklane_stack.chaos.faults import Context, Fault
from tasklane_stack.processes import DEV_ADMIN_KEY, DEV_APP_SECRET, RUN_DIR, port_of

DETAILS_DIR = RUN_DIR / "chaos"


@dataclass(frozen=True)
class Options:
    messages: int = 1000
    rate: float = 20.0  # offered messages/s: the stream must still be flowing when the fault hits
    fault_at: float = 1 / 3  # share of the messages posted before the fault starts
    down_s: float = 3.0
    storm_s: float = 30.0
    reply_timeout_s: float = 600.0  # after the load and the fault end, at most this for replies
    settle_s: float = 15.0  # after the last expected reply, watch this long for late duplicates


@dataclass(frozen=True)
class Result:
    fault: Fault
    counts: counting.Counts
    note: str
    fault_s: float  # how long the fault lasted
    given_up: int  # webhook deliveries the load gave up on (never answered 200)
    no_answer: dict[str, int]  # exception -> attempts that got no answer


def _urls() -> tuple[str, str, str]:
    return (
        f"http://127.0.0.1:{port_of('gateway')}",
        f"http://127.0.0.1:{port_of('agent')}",
        f"http://127.0.0.1:{port_of('simulator')}",
    )


async def check_stack() -> str | None:
    """Why the stack cannot be used (None: it is up and ready)."""
    gateway, agent, sim = _urls()
    try:
        async with httpx.AsyncClient(timeout=5.0) as client:
            for url in (f"{gateway}/health/ready", f"{agent}/health/ready", f"{sim}/__sim/faults"):
                (await client.get(url)).raise_for_status()
    except httpx.HTTPError as exc:
        return f"the stack is not running or not ready ({exc}); start it with `make run`"
    return None


async def _wait_replies(sim: str, users: list[str], deadline: float, settle_s: float) -> list[dict[str, Any]]:
    """The simulator's sends once every user has a reply (then ``settle_s`` more, for late
    duplicates) or at the deadline."""
    async with httpx.AsyncClient(base_url=sim, timeout=30.0) as client:
        while True:
            sent: list[dict[str, Any]] = (await client.get("/__sim/messages")).json()
            missing = sum(1 for c in counting.replies_per_user(users, sent).values() if c == 0)
            if missing == 0 or time.monotonic() > deadline:
                break
            await asyncio.sleep(1.0)
        await asyncio.sleep(settle_s)
        result: list[dict[str, Any]] = (await client.get("/__sim/messages")).json()
        return result


async def _task_titles(agent: str, token: str) -> list[str]:
    titles: list[str] = []
    headers = {"Authorization": f"Bearer {os.environ.get('TASKLANE_CHAOS_API_KEY', DEV_ADMIN_KEY)}"}
    async with httpx.AsyncClient(base_url=agent, headers=headers, timeout=30.0) as client:
        offset = 0
        while True:
            params: dict[str, str | int] = {"q": token, "status": "all", "limit": 200, "offset": offset}
            page = (await client.get("/api/v1/tasks", params=params)).raise_for_status().json()
            titles += [str(item["title"]) for item in page["items"]]
            offset += len(page["items"])
            if not page["items"] or offset >= int(page["total"]):
                return titles


async def run_fault(fault: Fault, options: Options) -> Result:
    gateway, agent, sim = _urls()
    async with httpx.AsyncClient(base_url=sim, timeout=10.0) as client:
        (await client.delete("/__sim/faults")).raise_for_status()
        (await client.delete("/__sim/requests")).raise_for_status()
    run = random.randrange(10_000)
    token = f"k{run:04d}"
    messages = load.build_messages(token, run, options.messages)
    users = [m.wa_id for m in messages]
    trigger = asyncio.Event()
    threshold = max(1, round(options.messages * options.fault_at))

    def posted(count: int) -> None:
        if count >= threshold:
            trigger.set()

    load_task = asyncio.create_task(
        load.run_load(
            messages,
            url=f"{gateway}/api/webhooks/whatsapp",
            secret=os.environ.get("WHATSAPP_APP_SECRET", DEV_APP_SECRET),
            rate=options.rate,
            copies=fault.copies,
            on_posted=posted,
        )
    )
    await trigger.wait()
    started = time.time()
    print(f"  {fault.name}: injecting after {threshold} messages")
    note = await fault.inject(Context(sim_url=sim, down_s=options.down_s, storm_s=options.storm_s))
    fault_end = time.time()
    print(f"  {fault.name}: {note}; waiting for the load and the replies")
    log = await load_task
    deadline = time.monotonic() + options.reply_timeout_s
    sent = await _wait_replies(sim, users, deadline, options.settle_s)
    async with httpx.AsyncClient(base_url=sim, timeout=30.0) as client:
        deliveries: list[dict[str, Any]] = (await client.get("/__sim/webhooks")).json()
    titles = await _task_titles(agent, token)
    counts = counting.count(
        users=users,
        sent=sent,
        titles=titles,
        token=token,
        fault_end=fault_end,
        webhook_statuses=log.answers,
        deliveries=deliveries,
        last_post=max(log.first_post.values(), default=None),
    )
    result = Result(fault, counts, note, fault_end - started, len(set(log.given_up)), dict(log.errors))
    _save(result, token, started, fault_end)
    return result


def _save(result: Result, token: str, started: float, ended: float) -> Path:
    """The ids behind the counts, for whoever has to explain a loss or a duplicate."""
    DETAILS_DIR.mkdir(parents=True, exist_ok=True)
    path = DETAILS_DIR / f"{result.fault.name}.json"
    body = {
        "fault": result.fault.name,
        "token": token,
        "note": result.note,
        "fault_start": started,
        "fault_end": ended,
        "given_up": result.given_up,
        "no_answer": result.no_answer,
        "counts": asdict(result.counts),
    }
    path.write_text(json.dumps(body, indent=2, default=str))
    return path
