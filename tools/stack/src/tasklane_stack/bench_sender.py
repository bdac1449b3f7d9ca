"""``make bench`` (sender part): how close the sender keeps to a phone number's throughput limit.

Against a running stack (``make run``), for each limit: the number's ``throughput_per_s`` is set
through the gateway's admin API (the way an operator would; it reaches the sender as a
``NumberConfigured`` event), the simulator is told to enforce the same limit as Meta would, and
``reply.requested`` events to distinct users are published straight onto the broker, as the
agent would publish them. The rate is read from the simulator's timestamps of the sends it
accepted, so it is what Meta would have seen. The simulator's status webhooks are switched off
meanwhile: this measures the sender, the status path is measured by the webhook benchmark.
"""

from __future__ import annotations

import asyncio
import os
import time
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from tasklane_common.messaging import deterministic_id, new_envelope
from tasklane_common.messaging.broker import OutgoingMessage, connect_broker
from tasklane_common.messaging.contracts.agent import ReplyRequested
from tasklane_common.settings import BrokerSettings
from tasklane_simulator.payloads import DEFAULT_PHONE_NUMBER_ID
from tasklane_stack.bench import _cpu_seconds, _machine, _with_row
from tasklane_stack.processes import DEV_ACCESS_TOKEN, DEV_ADMIN_KEY, port_of

WAIT_S = 300.0
PUBLISH_CHUNK = 500


def _url(name: str, path: str) -> str:
    return f"http://127.0.0.1:{port_of(name)}{path}"


async def _configure_number(client: httpx.AsyncClient, limit: int) -> None:
    """The bench number under the zero-config app, with ``limit`` as its throughput."""
    headers = {"Authorization": f"Bearer {os.environ.get('TASKLANE_BENCH_ADMIN_KEY', DEV_ADMIN_KEY)}"}
    body: dict[str, Any] = {
        "phone_number_id": DEFAULT_PHONE_NUMBER_ID,
        "app_id": "default",
        "access_token": os.environ.get("WHATSAPP_ACCESS_TOKEN", DEV_ACCESS_TOKEN),
        "throughput_per_s": limit,
    }
    response = await client.post(_url("gateway", "/api/v1/gateway/numbers"), json=body, headers=headers)
    if response.status_code == 409:
        patch = {k: v for k, v in body.items() if k not in ("phone_number_id",)}
        response = await client.patch(
            _url("gateway", f"/api/v1/gateway/numbers/{DEFAULT_PHONE_NUMBER_ID}"), json=patch, headers=headers
        )
    response.raise_for_status()


async def _publish(reply_ids: Sequence[str], run: str) -> None:
    broker = connect_broker(BrokerSettings())
    await broker.start()
    try:
        for start in range(0, len(reply_ids), PUBLISH_CHUNK):
            batch = []
            for i, reply_id in enumerate(reply_ids[start : start + PUBLISH_CHUNK], start):
                to = f"1888{run}{i:06d}"
                event = ReplyRequested(
                    reply_id=reply_id,
                    phone_number_id=DEFAULT_PHONE_NUMBER_ID,
                    to=to,
                    user_id=f"bench-{to}",
                    content={"body": f"Bench reply {i}: 3 tasks due this week", "preview_url": False},
                )
                envelope = new_envelope(event, producer="bench", event_id=deterministic_id("reply", reply_id))
                batch.append(
                    OutgoingMessage(
                        routing_key=envelope.type,
                        body=envelope.to_bytes(),
                        message_id=envelope.id,
                        correlation_id=envelope.correlation_id,
                    )
                )
            await broker.publish(batch, timeout=30.0)
    finally:
        await broker.close()


async def _accepted(client: httpx.AsyncClient, wanted: set[str]) -> list[dict[str, Any]]:
    deadline = time.monotonic() + WAIT_S
    found: dict[str, dict[str, Any]] = {}
    while time.monotonic() < deadline:
        attempts: list[dict[str, Any]] = (await client.get(_url("simulator", "/__sim/attempts"))).json()
        for a in attempts:
            ref = a.get("biz_opaque_callback_data")
            if a.get("outcome") == "accepted" and ref in wanted:
                found.setdefault(ref, a)
        if len(found) >= len(wanted):
            break
        await asyncio.sleep(1.0)
    return sorted(found.values(), key=lambda a: a["monotonic"])


def _max_in_one_second(times: list[float]) -> int:
    best, left = 0, 0
    for right, t in enumerate(times):
        while t - times[left] >= 1.0:
            left += 1
        best = max(best, right - left + 1)
    return best


async def _one_limit(client: httpx.AsyncClient, limit: int, messages: int) -> dict[str, Any]:
    await _configure_number(client, limit)
    meta_limit = {"throughput_per_s": limit}
    (await client.post(_url("simulator", "/__sim/limits"), json=meta_limit)).raise_for_status()
    await asyncio.sleep(2.0)  # the NumberConfigured event reaches the sender; its cache expires
    (await client.delete(_url("simulator", "/__sim/requests"))).raise_for_status()
    run = f"{uuid.uuid4().int % 10_000:04d}"
    reply_ids = [f"bench-{run}-{i}" for i in range(messages)]
    cpu_before = _cpu_seconds()
    print(f"limit {limit} msg/s: publishing {messages} replies...")
    await _publish(reply_ids, run)
    accepted = await _accepted(client, set(reply_ids))
    cpu_after = _cpu_seconds()
    limits: dict[str, Any] = (await client.get(_url("simulator", "/__sim/limits"))).json()
    times = [float(a["monotonic"]) for a in accepted]
    span = times[-1] - times[0] if len(times) > 1 else 0.0
    rate = (len(times) - 1) / span if span > 0 else 0.0
    sender_cpu = cpu_after.get("sender", 0.0) - cpu_before.get("sender", 0.0)
    return {
        "limit": limit,
        "messages": messages,
        "accepted": len(accepted),
        "rate": rate,
        "deviation": (rate - limit) / limit * 100,
        "peak_1s": _max_in_one_second(times),
        "rejected_by_limit": sum(limits.get("rejections", {}).values()),
        "violations": len(limits.get("violations", [])),
        "sender_cpu_ms": sender_cpu * 1000 / max(len(accepted), 1),
    }


async def run_sender_bench(messages: int, limits: Sequence[int], output: Path) -> int:
    async with httpx.AsyncClient(timeout=30.0) as client:
        try:
            for name in ("gateway", "sender", "simulator"):
                (await client.get(_url(name, "/health/live"))).raise_for_status()
        except httpx.HTTPError as exc:
            print(f"The stack is not running ({exc}); start it with `make run`.")
            return 1
        (await client.post(_url("simulator", "/__sim/statuses"), json={"enabled": False})).raise_for_status()
        rows = []
        try:
            for limit in limits:
                count = max(messages, limit * 10)
                rows.append(await _one_limit(client, limit, count))
        finally:
            await client.post(_url("simulator", "/__sim/statuses"), json={"enabled": True})
            await client.post(_url("simulator", "/__sim/limits"), json={"throughput_per_s": 80})
            await _configure_number(client, 80)
    for row in rows:
        _report(row, output)
    return 0 if all(r["accepted"] == r["messages"] and r["violations"] == 0 for r in rows) else 2


def _report(row: dict[str, Any], output: Path) -> None:
    date = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    line = (
        f"| {date} | {row['limit']} | {row['messages']} | {row['accepted']} | {row['rate']:.1f} "
        f"| {row['deviation']:+.1f} % | {row['peak_1s']} | {row['rejected_by_limit']} | {row['violations']} "
        f"| {row['sender_cpu_ms']:.2f} | {_machine()} |"
    )
    print(
        f"limit {row['limit']}/s: {row['accepted']}/{row['messages']} accepted at {row['rate']:.1f} msg/s "
        f"({row['deviation']:+.1f} %), peak {row['peak_1s']} in 1 s, {row['rejected_by_limit']} refused "
        f"by Meta's limits, {row['violations']} violations, sender CPU {row['sender_cpu_ms']:.2f} ms/message"
    )
    header = (
        "| date | limit msg/s | messages | accepted | achieved msg/s | vs limit | peak in 1 s "
        "| refused by limit | violations | sender CPU ms/msg | machine |\n"
        "|---|---|---|---|---|---|---|---|---|---|---|\n"
    )
    text = output.read_text() if output.exists() else "# Performance\n"
    output.write_text(_with_row(text, header, line))
