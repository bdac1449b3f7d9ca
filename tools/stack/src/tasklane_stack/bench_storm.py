"""``python -m tasklane_stack bench-storm``: how fast the sender recovers after a Graph API storm.

Against a running stack (``make run``): ``reply.requested`` events to distinct users are published
onto the broker at a steady rate while the simulator plays a storm (by default 30 s of 30 % HTTP
5xx, 5 % timeouts and 3-second bursts of 130429 every 10 s, as the held-out fault run of issue 14
did). Then the faults are cleared and the bench waits until every reply was accepted by the
simulator or ended ``failed`` at the sender.

Recovery is the time from the end of the storm to the last accepted reply (the simulator's clock
and this process's are the same monotonic clock of one machine). It includes sending the backlog
left at the end of the storm, so the bench also reports that backlog, the first reply accepted
after the storm (how soon sending resumed) and the rate the backlog then went at; and replies
accepted, failed, never accepted, and the p50/p99 of publish-to-accept latency.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from tasklane_common.messaging import deterministic_id, new_envelope
from tasklane_common.messaging.broker import OutgoingMessage, connect_broker
from tasklane_common.messaging.contracts.agent import ReplyRequested
from tasklane_common.settings import BrokerSettings
from tasklane_simulator.payloads import DEFAULT_PHONE_NUMBER_ID
from tasklane_stack.bench import _machine, _percentile, _with_row
from tasklane_stack.processes import DEV_ADMIN_KEY, port_of

WAIT_S = 900.0
# With no reply accepted for this long, the ones left are looked up at the sender (failed ones
# end the wait).
STALL_S = 15.0


def _url(name: str, path: str) -> str:
    return f"http://127.0.0.1:{port_of(name)}{path}"


def _envelope(reply_id: str, to: str) -> OutgoingMessage:
    event = ReplyRequested(
        reply_id=reply_id,
        phone_number_id=DEFAULT_PHONE_NUMBER_ID,
        to=to,
        user_id=f"storm-{to}",
        content={"body": "Storm bench: 3 tasks due this week", "preview_url": False},
    )
    envelope = new_envelope(event, producer="bench", event_id=deterministic_id("reply", reply_id))
    return OutgoingMessage(
        routing_key=envelope.type,
        body=envelope.to_bytes(),
        message_id=envelope.id,
        correlation_id=envelope.correlation_id,
    )


async def _storm(client: httpx.AsyncClient, seconds: float, burst_every_s: float, burst_s: float) -> None:
    faults = {"rates": {"5xx": 0.3, "timeout": 0.05}, "timeout_s": 12.0}
    (await client.post(_url("simulator", "/__sim/faults"), json=faults)).raise_for_status()
    start = time.monotonic()
    while (elapsed := time.monotonic() - start) < seconds:
        length = min(burst_s, seconds - elapsed)
        storm = {"storm": {"kind": "130429", "seconds": length}}
        (await client.post(_url("simulator", "/__sim/faults"), json=storm)).raise_for_status()
        await asyncio.sleep(min(burst_every_s, seconds - elapsed))
    (await client.delete(_url("simulator", "/__sim/faults"))).raise_for_status()


async def _publish(replies: list[tuple[str, str]], seconds: float, published: dict[str, float]) -> None:
    broker = connect_broker(BrokerSettings())
    await broker.start()
    try:
        per_tick = max(1, round(len(replies) / (seconds * 10)))
        for start in range(0, len(replies), per_tick):
            chunk = replies[start : start + per_tick]
            now = time.monotonic()
            await broker.publish([_envelope(r, to) for r, to in chunk], timeout=30.0)
            for reply_id, _ in chunk:
                published[reply_id] = now
            await asyncio.sleep(max(0.0, now + 0.1 - time.monotonic()))
    finally:
        await broker.close()


async def _failed_at_sender(client: httpx.AsyncClient, reply_ids: set[str]) -> set[str]:
    headers = {"Authorization": f"Bearer {DEV_ADMIN_KEY}"}
    failed = set()
    for reply_id in reply_ids:
        response = await client.get(_url("sender", f"/api/v1/sender/messages/{reply_id}"), headers=headers)
        if response.status_code == 200 and response.json().get("status") == "failed":
            failed.add(reply_id)
    return failed


async def run_storm_bench(messages: int, storm_s: float, output: Path | None) -> int:
    async with httpx.AsyncClient(timeout=30.0) as client:
        try:
            for name in ("gateway", "sender", "simulator"):
                (await client.get(_url(name, "/health/live"))).raise_for_status()
        except httpx.HTTPError as exc:
            print(f"The stack is not running ({exc}); start it with `make run`.")
            return 1
        (await client.delete(_url("simulator", "/__sim/requests"))).raise_for_status()
        (await client.delete(_url("simulator", "/__sim/faults"))).raise_for_status()
        run = f"{uuid.uuid4().int % 10_000:04d}"
        replies = [(f"storm-{run}-{i}", f"1777{run}{i:06d}") for i in range(messages)]
        published: dict[str, float] = {}
        print(f"storm bench: {messages} replies over a {storm_s:.0f} s storm...")
        await asyncio.gather(_storm(client, storm_s, 10.0, 3.0), _publish(replies, storm_s, published))
        storm_end = time.monotonic()
        wanted = {r for r, _ in replies}
        accepted: dict[str, float] = {}
        failed: set[str] = set()
        last_progress = time.monotonic()
        while time.monotonic() - storm_end < WAIT_S:
            attempts: list[dict[str, Any]] = (await client.get(_url("simulator", "/__sim/attempts"))).json()
            before = len(accepted)
            for a in attempts:
                ref = a.get("biz_opaque_callback_data")
                if a.get("outcome") == "accepted" and ref in wanted:
                    accepted.setdefault(ref, float(a["monotonic"]))
            if len(accepted) > before:
                last_progress = time.monotonic()
            left = wanted - set(accepted)
            if not left:
                break
            if time.monotonic() - last_progress > STALL_S:
                failed = await _failed_at_sender(client, left)
                if failed == left:
                    break
                last_progress = time.monotonic()
            await asyncio.sleep(1.0)
    after = sorted(t - storm_end for t in accepted.values() if t >= storm_end)
    latency = [accepted[r] - published[r] for r in accepted]
    drain_s = after[-1] - after[0] if len(after) > 1 else 0.0
    row = {
        "messages": messages,
        "storm_s": storm_s,
        "accepted": len(accepted),
        "failed": len(failed),
        "missing": messages - len(accepted) - len(failed),
        "recovery_s": after[-1] if after else float("nan"),
        "backlog": len(after),
        "first_after_s": after[0] if after else float("nan"),
        "drain_rate": (len(after) - 1) / drain_s if drain_s > 0 else float("nan"),
        "p50_s": _percentile(latency, 50),
        "p99_s": _percentile(latency, 99),
    }
    _report(row, output)
    return 0 if row["missing"] == 0 else 2


def _report(row: dict[str, Any], output: Path | None) -> None:
    print(
        f"storm {row['storm_s']:.0f} s: {row['accepted']}/{row['messages']} accepted, "
        f"{row['failed']} failed, "
        f"{row['missing']} never accepted; last reply {row['recovery_s']:.1f} s after the storm ended "
        f"(backlog {row['backlog']}, first reply after {row['first_after_s']:.1f} s, then "
        f"{row['drain_rate']:.0f} msg/s); "
        f"publish-to-accept p50 {row['p50_s']:.1f} s, p99 {row['p99_s']:.1f} s"
    )
    if output is None:
        return
    date = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    line = (
        f"| {date} | {row['storm_s']:.0f} | {row['messages']} | {row['accepted']} | {row['failed']} "
        f"| {row['missing']} | {row['backlog']} | {row['first_after_s']:.1f} | {row['drain_rate']:.0f} "
        f"| {row['recovery_s']:.1f} | {row['p50_s']:.1f} | {row['p99_s']:.1f} "
        f"| {_machine()} |"
    )
    header = (
        "| date | storm s | messages | accepted | failed | never accepted | backlog at storm end "
        "| first reply after s | backlog msg/s | storm end → last reply s | p50 s | p99 s | machine |\n"
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|\n"
    )
    text = output.read_text() if output.exists() else "# Performance\n"
    output.write_text(_with_row(text, header, line))
