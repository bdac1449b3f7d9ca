"""``make bench-analytics``: the analytics store at size, in a database of its own.

Seeds (with COPY) ``--events`` raw events spread over the last 30 days and a year of hourly
rollups and user sets for 10 phone numbers, then measures:

* the 30-day time series through the HTTP API (in process, ASGI): p50 / p99 over a mix of
  metrics, granularities (hour; day in Europe/Madrid), one number or all, grouped by number;
* the rollup consumer's throughput: realistic conversation traffic (message in, agent reply,
  send, delivered, read, status webhooks with pricing) through the consumer's own transaction
  (inbox claim, scrubbed event log row, rollups), in batches of the consumer's size (500, as
  the broker hands them out), two batches in flight as the consumer runs them.

The database (``tasklane_bench_analytics`` on the server of ``TASKLANE_DATABASE_URL``) is
dropped and created again on every run (``--reuse`` keeps one seeded with as many events, and
migrates it); nothing else is touched.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import statistics
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg  # type: ignore[import-untyped]
import httpx
from pydantic import SecretStr

from tasklane_analytics.app import MIGRATIONS, create_app
from tasklane_analytics.eventlog.privacy import Pseudonymizer
from tasklane_analytics.handlers import recorder
from tasklane_analytics.rollups import histogram
from tasklane_analytics.settings import BATCH, AnalyticsSettings
from tasklane_analytics.tables import inbox
from tasklane_common.auth import hash_key, new_key
from tasklane_common.cli import freeze_startup_heap
from tasklane_common.db import Database
from tasklane_common.db.migrations import upgrade
from tasklane_common.messaging import Envelope, deterministic_id, new_envelope
from tasklane_common.messaging.batch import BatchContext
from tasklane_common.messaging.contracts.agent import AgentReplied
from tasklane_common.messaging.contracts.gateway import MessageReceived, StatusReceived
from tasklane_common.messaging.contracts.sender import MessageDelivered, MessageRead, MessageSent
from tasklane_common.messaging.inbox import claim_many
from tasklane_common.settings import (
    ApiKey,
    AuthSettings,
    BrokerSettings,
    DatabaseSettings,
    LoggingSettings,
    Role,
)
from tasklane_common.testing import database_url
from tasklane_stack.bench import _machine, _percentile, _with_row

DB_NAME = "tasklane_bench_analytics"
NUMBERS = [f"10654000{i:04d}" for i in range(10)]
KEY = b"bench-pseudonym-key-not-a-secret"
COUNTER_ROWS = (  # (metric, dims) seeded per hour and number
    ("received", [""]), ("sent", ["free_form", "template"]), ("delivered", [""]), ("read", [""]),
    ("failed", ["131026", "131047"]), ("failed_unsent", [""]), ("users", [""]), ("turns", [""]),
    ("fallbacks", [""]), ("response", [str(b) for b in range(2, 12)]), ("response_sum_ms", [""]),
    ("pricing", ["service", "utility"]), ("reminders_sent", [""]),
)  # fmt: skip
USERS_PER_HOUR = 12


def _url_for(name: str) -> tuple[str, str]:
    """(asyncpg DSN, SQLAlchemy URL) of database ``name`` on the configured server."""
    base = database_url().rsplit("/", 1)[0]
    return base.replace("postgresql+asyncpg", "postgresql") + f"/{name}", f"{base}/{name}"


async def _fresh_database() -> tuple[str, str]:
    admin_dsn, _ = _url_for("postgres")
    conn = await asyncpg.connect(admin_dsn)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{DB_NAME}"')
        await conn.execute(f'CREATE DATABASE "{DB_NAME}"')
    finally:
        await conn.close()
    return _url_for(DB_NAME)


def _settings(url: str) -> AnalyticsSettings:
    return AnalyticsSettings(
        broker=BrokerSettings(url=SecretStr(f"memory://bench-{uuid.uuid4().hex[:6]}")),
        database=DatabaseSettings(url=SecretStr(url), schema_name="analytics", pool_size=4),
        logging=LoggingSettings(level="WARNING"),
        pseudonym_key=SecretStr(KEY.decode()),
        overdue_sweep_interval_s=3600,
        auth=AuthSettings(api_keys=[ApiKey(name="bench", role=Role.ANALYST, sha256=hash_key(BENCH_KEY))]),
    )


BENCH_KEY = new_key()


async def _seed_events(conn: asyncpg.Connection, count: int, now: datetime) -> float:
    """``count`` raw events over the last 30 days, as the consumer writes them (scrubbed)."""
    started = time.perf_counter()
    span_ms = 30 * 24 * 3600 * 1000
    now_ms = int(now.timestamp() * 1000)
    types = (
        "message.received",
        "agent.replied",
        "message.sent",
        "message.delivered",
        "message.read",
        "status.received",
    )
    chunk = 200_000
    rng = random.Random(1)
    done = 0
    while done < count:
        n = min(chunk, count - done)
        records = []
        for i in range(done, done + n):
            at_ms = now_ms - rng.randrange(span_ms)
            number = NUMBERS[i % 10]
            payload = json.dumps(
                {"phone_number_id": number, "wamid": f"p_{i:032x}"[:34], "user_id": f"p_{i % 5000:032x}"}
            )
            at = datetime.fromtimestamp(at_ms / 1000, UTC)
            records.append(
                (f"e{i}", types[i % 6], 1, at, at_ms, at_ms, f"c{i // 6}", "bench", payload, at, None)
            )
        await conn.copy_records_to_table(
            "events",
            schema_name="analytics",
            records=records,
            columns=[
                "event_id", "type", "version", "occurred_at", "occurred_ms", "at_ms", "correlation_id",
                "producer", "payload", "recorded_at", "trace_id",
            ],
        )  # fmt: skip
        done += n
        print(f"  events: {done:,}/{count:,}", flush=True)
    return time.perf_counter() - started


async def _seed_rollups(conn: asyncpg.Connection, now: datetime) -> tuple[int, int, float]:
    """A year of hourly counters and user sets for every number."""
    started = time.perf_counter()
    rng = random.Random(2)
    first = now.replace(minute=0, second=0, microsecond=0) - timedelta(days=365)
    hours = [first + timedelta(hours=h) for h in range(365 * 24)]
    counters = 0
    users = 0
    # What the consumer keeps under "*" (all numbers): the sums, and the union of the user sets.
    all_counts: dict[tuple[str, datetime, str], int] = {}
    all_users: set[tuple[datetime, str]] = set()
    for number in [*NUMBERS, "*"]:
        rows = []
        user_rows = []
        if number == "*":
            rows = [(m, h, "*", d, v) for (m, h, d), v in all_counts.items()]
            user_rows = [(h, "*", u) for h, u in all_users]
        else:
            for hour in hours:
                for metric, dims in COUNTER_ROWS:
                    for dim in dims:
                        value = rng.randrange(1, 200)
                        rows.append((metric, hour, number, dim, value))
                        all_counts[(metric, hour, dim)] = all_counts.get((metric, hour, dim), 0) + value
                for u in rng.sample(range(2000), USERS_PER_HOUR):
                    user_rows.append((hour, number, f"p_{u:032x}"))
                    all_users.add((hour, f"p_{u:032x}"))
        await conn.copy_records_to_table(
            "rollups", schema_name="analytics", records=rows,
            columns=["metric", "hour", "phone_number_id", "dim", "value"],
        )  # fmt: skip
        await conn.copy_records_to_table(
            "hourly_users",
            schema_name="analytics",
            records=user_rows,
            columns=["hour", "phone_number_id", "user"],
        )
        counters += len(rows)
        users += len(user_rows)
        print(f"  rollups: {number} ({counters:,} counters, {users:,} user-hours)", flush=True)
    # As autovacuum leaves tables in steady state (visibility map set: index-only scans).
    for table in ("rollups", "hourly_users", "events"):
        await conn.execute(f"VACUUM ANALYZE analytics.{table}")
    return counters, users, time.perf_counter() - started


SHAPES: list[dict[str, Any]] = [
    {"metric": "received", "granularity": "day", "zone": "Europe/Madrid"},
    {"metric": "response_p90_ms", "granularity": "day", "zone": "Europe/Madrid"},
    {"metric": "delivered", "granularity": "hour"},
    {"metric": "error_rate", "granularity": "day", "zone": "America/Sao_Paulo", "group_by": "number"},
    {"metric": "sent", "granularity": "day", "zone": "UTC", "number": NUMBERS[3]},
    {"metric": "unique_users", "granularity": "day", "zone": "Europe/Madrid"},
]


async def _time_series(url: str, now: datetime, rounds: int) -> dict[str, list[float]]:
    app = create_app(_settings(url))
    freeze_startup_heap()  # as ``tasklane-analytics serve`` does
    out: dict[str, list[float]] = {}
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        headers = {"Authorization": f"Bearer {BENCH_KEY}"}
        async with httpx.AsyncClient(transport=transport, base_url="http://a", headers=headers) as client:
            window = {"from": (now - timedelta(days=30)).isoformat(), "to": now.isoformat()}
            for r in range(rounds + 3):
                for shape in SHAPES:
                    started = time.perf_counter()
                    response = await client.get("/api/v1/analytics/series", params={**shape, **window})
                    elapsed = (time.perf_counter() - started) * 1000
                    response.raise_for_status()
                    if r >= 3:  # the first rounds warm the caches
                        out.setdefault(_shape_name(shape), []).append(elapsed)
    return out


def _shape_name(shape: dict[str, Any]) -> str:
    extra = " by number" if shape.get("group_by") else (" one number" if shape.get("number") else "")
    return f"{shape['metric']} per {shape['granularity']}{extra}"


def _traffic(turns: int, now: datetime) -> list[Envelope]:
    rng = random.Random(3)
    out: list[Envelope] = []
    for i in range(turns):
        number, user = NUMBERS[i % 10], f"5511{rng.randrange(10**8):08d}"
        at = now - timedelta(seconds=rng.uniform(0, 3600 * 6))
        wamid = f"wamid.bench.{i}.{uuid.uuid4().hex[:6]}"
        rec = new_envelope(
            MessageReceived(wamid=wamid, phone_number_id=number, user_id=user, wa_id=user,
                            message_type="text", text="some words", sent_at=at, received_at=at),
            producer="gateway", event_id=deterministic_id("message.received", wamid), occurred_at=at,
        )  # fmt: skip
        sent_at = at + timedelta(milliseconds=rng.randrange(300, 9000))
        common = {
            "reply_id": f"r.{wamid}",
            "wamid": f"out.{wamid}",
            "phone_number_id": number,
            "to": user,
            "kind": "text",
        }
        out += [
            rec,
            new_envelope(AgentReplied(user_id=user, in_reply_to=wamid, intent="create_task", engine="rules",
                                      processing_ms=2.0, phone_number_id=number, understood=True),
                         producer="agent", correlation_id=rec.id),
            new_envelope(MessageSent(**common, at=sent_at), producer="sender", correlation_id=rec.id),
            new_envelope(MessageDelivered(**common, at=sent_at + timedelta(seconds=1)), producer="sender",
                         correlation_id=rec.id),
            new_envelope(MessageRead(**common, at=sent_at + timedelta(seconds=9)), producer="sender",
                         correlation_id=rec.id),
        ]  # fmt: skip
        for status in ("sent", "delivered"):
            out.append(
                new_envelope(
                    StatusReceived(wamid=f"out.{wamid}", status=status, phone_number_id=number,
                                   recipient_id=user, status_at=sent_at,
                                   pricing={"category": "service", "billable": False}),
                    producer="gateway", correlation_id=rec.id,
                )
            )  # fmt: skip
    rng.shuffle(out)
    return out


async def _consumer_throughput(url: str, events: list[Envelope], *, in_flight: int = 2) -> float:
    db = Database(_settings(url).database, logical_schema="analytics")
    handler = recorder(Pseudonymizer(KEY))
    batches = [events[i : i + BATCH] for i in range(0, len(events), BATCH)]
    queue: asyncio.Queue[list[Envelope]] = asyncio.Queue()
    for b in batches:
        queue.put_nowait(b)

    async def worker() -> None:
        while not queue.empty():
            batch = queue.get_nowait()
            async with db.transaction() as session:
                fresh = await claim_many(session, inbox, "analytics.events", [e.id for e in batch])
                await handler(BatchContext(session), [e for e in batch if e.id in fresh])

    try:
        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(in_flight)))
        return len(events) / (time.perf_counter() - started)
    finally:
        await db.dispose()


def _append(output: Path, header: str, row: str) -> None:
    text = output.read_text() if output.exists() else "# Performance\n"
    output.write_text(_with_row(text, header, row))
    print(f"appended to {output}")


def _stats(values: list[float]) -> tuple[float, float]:
    return statistics.median(values), _percentile(values, 99)


async def _seeded(dsn: str, events: int) -> tuple[datetime, int, int, float] | None:
    """What an earlier run seeded in the database (its time, counters, user-hours and seeding
    seconds), if it seeded ``events`` raw events."""
    try:
        conn = await asyncpg.connect(dsn)
    except asyncpg.InvalidCatalogNameError:
        return None
    try:
        row = await conn.fetchrow(
            "SELECT seeded_at, counters, user_hours, seconds FROM public.bench_seed WHERE events = $1", events
        )
    except asyncpg.UndefinedTableError:
        return None
    finally:
        await conn.close()
    return None if row is None else (row[0], row[1], row[2], row[3])


async def _migrate(url: str) -> None:
    settings = _settings(url)
    db = Database(settings.database, logical_schema="analytics")
    try:
        await upgrade(db, MIGRATIONS, settings=settings)
    finally:
        await db.dispose()


async def _seed(events: int, now: datetime) -> tuple[int, int, float]:
    dsn, url = await _fresh_database()
    print(f"database {DB_NAME}: migrating, then seeding {events:,} events and a year of rollups")
    await _migrate(url)
    conn = await asyncpg.connect(dsn)
    try:
        seed_events_s = await _seed_events(conn, events, now)
        counters, user_hours, seed_rollups_s = await _seed_rollups(conn, now)
        seconds = seed_events_s + seed_rollups_s
        await conn.execute(
            "CREATE TABLE public.bench_seed (events bigint, seeded_at timestamptz, counters bigint,"
            " user_hours bigint, seconds float8)"
        )
        await conn.execute("INSERT INTO public.bench_seed VALUES ($1, $2, $3, $4, $5)", events, now, counters,
                           user_hours, seconds)  # fmt: skip
    finally:
        await conn.close()
    print(f"seeded in {seed_events_s:.0f} s (events) + {seed_rollups_s:.0f} s (rollups)")
    return counters, user_hours, seconds


async def run_analytics_bench(
    events: int, rounds: int, traffic_turns: int, output: Path | None, *, reuse: bool = False
) -> int:
    dsn, url = _url_for(DB_NAME)
    earlier = await _seeded(dsn, events) if reuse else None
    if earlier is None:
        now = datetime.now(UTC).replace(microsecond=0)
        counters, user_hours, seeding_s = await _seed(events, now)
    else:
        # The series are read as of the seeding time: the same 30 days of data each run.
        now, counters, user_hours, seeding_s = earlier
        print(f"database {DB_NAME}: reusing the seed of {now:%Y-%m-%d %H:%M} UTC; migrating")
        await _migrate(url)
    series = await _time_series(url, now, rounds)
    every = [ms for values in series.values() for ms in values]
    p50, p99 = _stats(every)
    for name, values in series.items():
        a, b = _stats(values)
        print(f"  30-day series {name}: p50 {a:.1f} ms, p99 {b:.1f} ms")
    print(f"30-day time series over all shapes: p50 {p50:.1f} ms, p99 {p99:.1f} ms (target < 100 ms)")
    traffic = _traffic(traffic_turns, now)
    throughput = await _consumer_throughput(url, traffic)
    print(f"rollup consumer: {throughput:,.0f} events/s over {len(traffic):,} events (target >= 5,000)")
    load = os.getloadavg()[0]
    print(f"load average (1 min): {load:.1f}")
    row = (
        f"| {now.date()} | {events:,} | {counters:,} counters, {user_hours:,} user-hours "
        f"| {p50:.1f} | {p99:.1f} "
        f"| {throughput:,.0f} | {len(traffic):,} | {seeding_s:.0f} s | {_machine()}, load {load:.1f} |"
    )
    header = (
        "| date | raw events | a year of rollups (10 numbers) | 30-day series p50 ms | p99 ms "
        "| consumer events/s | consumer events | seeding | machine |\n"
        "|---|---|---|---|---|---|---|---|---|\n"
    )
    if output is not None:
        _append(output, header, row)
    ok = p99 < 100 and throughput >= 5000
    return 0 if ok else 2


assert histogram.BUCKETS > 11  # the seeded response buckets exist
