"""Issue 15, acceptance 1: after a scripted run of known traffic, every rollup equals the figure
this test computes itself from what it sent.

The traffic: three numbers, seven users, 300 conversation turns over the day summer time ends in
Madrid (25 hours long), with failures of three error codes (some refused by the Graph API, some
after acceptance), template and free-form sends, replies the assistant did not understand, a
second reply to some turns, pricing repeated on every status, reminders, and tasks. Everything
goes through the real RabbitMQ into analytics on the real PostgreSQL, in shuffled order (a reply
before its message, a status before its send), a quarter of it twice, and the delivery and read
statuses of a third of the messages only at the very end (late, but for the hour Meta stamped).
"""

from __future__ import annotations

import asyncio
import math
import random
from collections import Counter, defaultdict
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from pydantic import SecretStr

from tasklane_analytics.app import create_app
from tasklane_analytics.rollups import histogram
from tasklane_analytics.settings import AnalyticsSettings
from tasklane_common.auth import hash_key, new_key
from tasklane_common.messaging import Envelope, deterministic_id, new_envelope
from tasklane_common.messaging.contracts.agent import AgentReplied, ReplyRequested, TaskCompleted, TaskCreated
from tasklane_common.messaging.contracts.gateway import MessageReceived, StatusReceived
from tasklane_common.messaging.contracts.sender import (
    MessageDelivered,
    MessageFailed,
    MessageRead,
    MessageSent,
)
from tasklane_common.settings import ApiKey, AuthSettings, Role
from tasklane_common.testing import cleanup_run, new_run_id, real_settings, running

KEY = new_key()
MADRID = ZoneInfo("Europe/Madrid")
# 2026-10-25: clocks go back from 03:00 CEST to 02:00 CET, a 25-hour day.
START = datetime(2026, 10, 24, 20, 0, tzinfo=UTC)
SPAN_S = 31 * 3600
NUMBERS = ("106540000001", "106540000002", "106540000003")
USERS = tuple(f"55119000000{i}" for i in range(7))
TURNS = 300
CODES = (131026, 131047, 130472)
CATEGORIES = ("service", "utility", "marketing")
HOUR = timedelta(hours=1)


def _hour(at: datetime) -> datetime:
    return at.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


class Script:
    """The traffic, and the figures it must produce, computed here from what is sent."""

    def __init__(self, seed: int = 15) -> None:
        rng = random.Random(seed)
        self.early: list[Envelope] = []
        self.late: list[Envelope] = []
        # (metric, hour, number, dim) -> value; dims as analytics names them.
        self.expected: Counter[tuple[str, datetime, str, str]] = Counter()
        self.users: dict[tuple[datetime, str], set[str]] = defaultdict(set)  # (hour, number) -> users
        self.responses: list[tuple[datetime, str, int]] = []  # (hour of the message in, number, ms)
        for i in range(TURNS):
            self._turn(rng, i)
        for i in range(12):
            self._task(rng, i)

    def count(self, metric: str, at: datetime, number: str, dim: str = "", n: int = 1) -> None:
        self.expected[(metric, _hour(at), number, dim)] += n

    def _turn(self, rng: random.Random, i: int) -> None:
        number, user = rng.choice(NUMBERS), rng.choice(USERS)
        at = START + timedelta(seconds=rng.uniform(0, SPAN_S))
        wamid = f"wamid.in.{i}"
        received = new_envelope(
            MessageReceived(
                wamid=wamid, phone_number_id=number, user_id=user, wa_id=user, message_type="text",
                text=f"secret words {i}", sent_at=at - timedelta(seconds=1), received_at=at,
            ),
            producer="gateway", event_id=deterministic_id("message.received", wamid), occurred_at=at,
        )  # fmt: skip
        turn = received.id
        self.early.append(received)
        self.count("received", at, number)
        self.users[(_hour(at), number)].add(user)
        understood = rng.random() < 0.8
        replied = AgentReplied(
            user_id=user, in_reply_to=wamid, intent="create_task" if understood else "unknown",
            engine="rules", processing_ms=3.0, phone_number_id=number, understood=understood,
        )  # fmt: skip
        self.early.append(
            new_envelope(
                replied, producer="agent", correlation_id=turn, occurred_at=at + timedelta(milliseconds=50)
            )
        )
        self.count("turns", at, number)
        if not understood:
            self.count("fallbacks", at, number)
        # The response time, skewed like real ones: mostly seconds, a tail of minutes.
        response_ms = int(rng.lognormvariate(math.log(2500), 0.9))
        sent_at = at + timedelta(milliseconds=response_ms)
        fate = rng.random()
        if fate < 0.05:
            return  # no reply at all
        template = rng.random() < 0.2
        kind = "template" if template else "text"
        reply = f"r{i}"
        common: dict[str, Any] = {"reply_id": reply, "phone_number_id": number, "to": user, "kind": kind}
        if fate < 0.12:  # refused by the Graph API: never sent
            code = rng.choice(CODES)
            self.early.append(
                self._out(MessageFailed(**common, at=sent_at, error_code=code, reason="refused"), turn, reply)
            )
            self.count("failed", sent_at, number, str(code))
            self.count("failed_unsent", sent_at, number)
            return
        out_wamid = f"wamid.out.{i}"
        self.early.append(self._out(MessageSent(**common, wamid=out_wamid, at=sent_at), turn, reply))
        self.count("sent", sent_at, number, "template" if template else "free_form")
        self.responses.append((_hour(at), number, response_ms))
        if rng.random() < 0.1:  # a second reply, later: the first one is the response time
            later = sent_at + timedelta(seconds=rng.uniform(1, 30))
            extra = dict(common, reply_id=f"{reply}b")
            self.early.append(
                self._out(MessageSent(**extra, wamid=f"{out_wamid}b", at=later), turn, f"{reply}b")
            )
            self.count("sent", later, number, "template" if template else "free_form")
        category = rng.choice(CATEGORIES)
        status_times = [sent_at + timedelta(seconds=1)]
        late = rng.random() < 0.33
        if fate < 0.2:  # delivered to nobody: failed after acceptance
            code = rng.choice(CODES)
            failed_at = sent_at + timedelta(seconds=rng.uniform(1, 600))
            (self.late if late else self.early).append(
                self._out(
                    MessageFailed(**common, wamid=out_wamid, at=failed_at, error_code=code, reason="x"),
                    turn,
                    reply,
                )
            )
            self.count("failed", failed_at, number, str(code))
        else:
            delivered_at = sent_at + timedelta(seconds=rng.uniform(0.5, 900))
            status_times.append(delivered_at)
            (self.late if late else self.early).append(
                self._out(MessageDelivered(**common, wamid=out_wamid, at=delivered_at), turn, reply)
            )
            self.count("delivered", delivered_at, number)
            if rng.random() < 0.6:
                read_at = delivered_at + timedelta(seconds=rng.uniform(1, 3600))
                status_times.append(read_at)
                (self.late if late else self.early).append(
                    self._out(MessageRead(**common, wamid=out_wamid, at=read_at), turn, reply)
                )
                self.count("read", read_at, number)
        for n, status_at in enumerate(status_times):
            reported = StatusReceived(
                wamid=out_wamid, status=("sent", "delivered", "read")[n], phone_number_id=number,
                recipient_id=user, status_at=status_at, pricing={"category": category, "billable": True},
            )  # fmt: skip
            status = new_envelope(reported, producer="gateway", correlation_id=turn, occurred_at=status_at)
            (self.late if late and n else self.early).append(status)
        self.count("pricing", min(status_times), number, category)
        if rng.random() < 0.1:
            requested = ReplyRequested(
                reply_id=f"rem{i}", phone_number_id=number, to=user, user_id=user, reminder="due"
            )
            reminder = new_envelope(requested, producer="agent", occurred_at=at)
            self.early.append(reminder)
            self.count("reminders_sent", at, number)

    def _out(self, event: Any, turn: str, reply: str) -> Envelope:
        return new_envelope(
            event,
            producer="sender",
            correlation_id=turn,
            event_id=deterministic_id("sender", reply, event.event_type),
            occurred_at=event.at,
        )

    def _task(self, rng: random.Random, i: int) -> None:
        at = START + timedelta(seconds=rng.uniform(0, SPAN_S))
        due = at + timedelta(hours=rng.uniform(1, 6))
        self.early.append(
            new_envelope(
                TaskCreated(task_id=f"t{i}", user_id=USERS[i % 7], title=f"private title {i}", due_at=due,
                            due_has_time=True),
                producer="agent", occurred_at=at,
            )
        )  # fmt: skip
        self.count("tasks_created", at, "")
        if i % 3 == 0:  # done in time
            done = due - timedelta(minutes=30)
        elif i % 3 == 1:  # done late: overdue
            done = due + timedelta(hours=2)
            self.count("tasks_overdue", due, "")
        else:  # still open, its deadline long passed: overdue once the sweep sees it
            self.count("tasks_overdue", due, "")
            return
        self.early.append(
            new_envelope(
                TaskCompleted(task_id=f"t{i}", user_id=USERS[i % 7]), producer="agent", occurred_at=done
            )
        )
        self.count("tasks_completed", done, "")


@pytest.fixture(scope="module")
async def analytics() -> AsyncIterator[tuple[httpx.AsyncClient, Any]]:
    rid = new_run_id()
    auth = AuthSettings(api_keys=[ApiKey(name="op", role=Role.OPERATOR, sha256=hash_key(KEY))])
    settings = real_settings(
        AnalyticsSettings, rid, "analytics", auth=auth, pseudonym_key=SecretStr("acceptance-pseudonym-key")
    )
    app = create_app(settings)
    try:
        async with running(app):
            transport = httpx.ASGITransport(app=app)
            headers = {"Authorization": f"Bearer {KEY}"}
            async with httpx.AsyncClient(transport=transport, base_url="http://a", headers=headers) as client:
                yield client, app
    finally:
        await cleanup_run(rid)


@pytest.fixture(scope="module")
async def played(analytics: tuple[httpx.AsyncClient, Any]) -> Script:
    _, app = analytics
    script = Script()
    runtime = app.state.runtime
    rng = random.Random(7)
    first = script.early + rng.sample(script.early, len(script.early) // 4)
    rng.shuffle(first)
    last = script.late + rng.sample(script.late, len(script.late) // 4)
    rng.shuffle(last)
    for i in range(0, len(first), 100):
        await runtime.publish(first[i : i + 100])
    for i in range(0, len(last), 100):
        await runtime.publish(last[i : i + 100])
    unique = len({e.id for e in script.early + script.late})
    consumer = runtime.consumers[0]
    for _ in range(600):
        if consumer.handled >= unique and consumer.handled + consumer.duplicates >= len(first) + len(last):
            break
        await asyncio.sleep(0.05)
    assert consumer.handled == unique
    await app.state.overdue_sweep.sweep()
    return script


async def _series(client: httpx.AsyncClient, metric: str, **params: Any) -> dict[str, Any]:
    query = {
        "metric": metric,
        "from": START.isoformat(),
        "to": (START + timedelta(seconds=SPAN_S + 7200)).isoformat(),
    }
    query.update(params)
    response = await client.get("/api/v1/analytics/series", params=query)
    assert response.status_code == 200, response.text
    return dict(response.json())


COUNTERS = {
    "received": ("received", None),
    "delivered": ("delivered", None),
    "read": ("read", None),
    "failed": ("failed", None),
    "sent": ("sent", None),
    "sent_template": ("sent", "template"),
    "sent_free_form": ("sent", "free_form"),
    "turns": ("turns", None),
    "fallbacks": ("fallbacks", None),
    "reminders_sent": ("reminders_sent", None),
    "tasks_created": ("tasks_created", None),
    "tasks_completed": ("tasks_completed", None),
    "tasks_overdue": ("tasks_overdue", None),
}


def _expected(script: Script, counter: str, dim: str | None, hour: datetime, number: str | None) -> int:
    return sum(
        v
        for (m, h, n, d), v in script.expected.items()
        if m == counter and h == hour and (number is None or n == number) and (dim is None or d == dim)
    )


@pytest.mark.parametrize("metric", sorted(COUNTERS))
async def test_every_hourly_counter_per_number_equals_the_traffic_sent(
    analytics: tuple[httpx.AsyncClient, Any], played: Script, metric: str
) -> None:
    client, _ = analytics
    counter, dim = COUNTERS[metric]
    found = await _series(client, metric, granularity="hour", group_by="number")
    numbers = {line["phone_number_id"] for line in found["lines"]}
    assert set(NUMBERS) <= numbers | {""}
    checked = 0
    for line in found["lines"]:
        for point in line["points"]:
            hour = datetime.fromisoformat(point["start"]).astimezone(UTC)
            assert point["value"] == _expected(played, counter, dim, hour, line["phone_number_id"]), (
                metric,
                point,
            )
            checked += point["value"]
    assert checked == _expected_total(played, counter, dim) > 0


def _expected_total(script: Script, counter: str, dim: str | None) -> int:
    return sum(v for (m, _, _, d), v in script.expected.items() if m == counter and (dim is None or d == dim))


async def test_failures_by_error_code_and_pricing_categories_equal_the_traffic(
    analytics: tuple[httpx.AsyncClient, Any], played: Script
) -> None:
    client, _ = analytics
    window = {"from": START.isoformat(), "to": (START + timedelta(seconds=SPAN_S + 7200)).isoformat()}
    summary = (await client.get("/api/v1/analytics/summary", params=window)).json()
    codes: Counter[str] = Counter()
    categories: Counter[str] = Counter()
    for (m, _, _, d), v in played.expected.items():
        if m == "failed":
            codes[d] += v
        if m == "pricing":
            categories[d] += v
    assert summary["failed_by_error_code"] == dict(codes)
    assert summary["pricing_categories"] == dict(categories)
    sent, failed = _expected_total(played, "sent", None), _expected_total(played, "failed", None)
    unsent = _expected_total(played, "failed_unsent", None)
    assert summary["error_rate"] == round(failed / (sent + unsent), 6)
    turns, fallbacks = _expected_total(played, "turns", None), _expected_total(played, "fallbacks", None)
    assert summary["fallback_rate"] == round(fallbacks / turns, 6)


def _local_day(hour: datetime) -> str:
    return hour.astimezone(MADRID).date().isoformat()


async def test_unique_users_are_exact_per_madrid_day_across_the_dst_change(
    analytics: tuple[httpx.AsyncClient, Any], played: Script
) -> None:
    client, _ = analytics
    for group in ({"group_by": "number"}, {}):
        found = await _series(client, "unique_users", granularity="day", zone="Europe/Madrid", **group)
        for line in found["lines"]:
            for point in line["points"]:
                day = point["start"][:10]
                users = set().union(
                    *[
                        u
                        for (h, n), u in played.users.items()
                        if _local_day(h) == day
                        and (line["phone_number_id"] is None or n == line["phone_number_id"])
                    ]
                )
                assert point["value"] == len(users), (day, line["phone_number_id"])
    # The day summer time ends is one bucket of 25 hours, from local midnight to local midnight.
    days = (await _series(client, "received", granularity="day", zone="Europe/Madrid"))["lines"][0]["points"]
    dst = next(p for p in days if p["start"].startswith("2026-10-25"))
    start, end = datetime.fromisoformat(dst["start"]), datetime.fromisoformat(dst["end"])
    assert (start.utcoffset(), end.utcoffset()) == (timedelta(hours=2), timedelta(hours=1))
    assert end - start == timedelta(hours=25)
    assert dst["value"] == sum(
        v for (m, h, _, _), v in played.expected.items() if m == "received" and _local_day(h) == "2026-10-25"
    )


def _true_percentile(values: list[int], q: float) -> int:
    ordered = sorted(values)
    return ordered[max(1, math.ceil(q * len(ordered))) - 1]


async def test_response_times_average_exactly_and_percentiles_fall_in_their_bucket(
    analytics: tuple[httpx.AsyncClient, Any], played: Script
) -> None:
    client, _ = analytics
    found = await _series(
        client, "response_avg_ms", granularity="day", zone="Europe/Madrid", group_by="number"
    )
    for line in found["lines"]:
        for point in line["points"]:
            times = [
                ms
                for h, n, ms in played.responses
                if _local_day(h) == point["start"][:10] and n == line["phone_number_id"]
            ]
            expected = round(sum(times) / len(times), 1) if times else None
            assert point["value"] == expected
    for q, metric in ((0.5, "response_p50_ms"), (0.9, "response_p90_ms"), (0.99, "response_p99_ms")):
        days = (await _series(client, metric, granularity="day", zone="Europe/Madrid"))["lines"][0]["points"]
        for point in days:
            times = [ms for h, _, ms in played.responses if _local_day(h) == point["start"][:10]]
            if not times:
                assert point["value"] is None
                continue
            low, high = histogram.bounds_of(histogram.bucket_of(_true_percentile(times, q)))
            assert low <= point["value"] <= high, (metric, point, low, high)


async def test_recomputing_from_the_raw_log_changes_nothing_and_twice_neither(
    analytics: tuple[httpx.AsyncClient, Any], played: Script
) -> None:
    client, _ = analytics
    before = {
        m: await _series(client, m, granularity="hour", group_by="number")
        for m in ("received", "delivered", "unique_users", "response_p90_ms", "failed")
    }
    # Recompute needs the hours to be inside the raw log's retention: these are, relative to now?
    span = {"from": START.isoformat(), "to": (START + timedelta(seconds=SPAN_S + 7200)).isoformat()}
    response = await client.post("/api/v1/analytics/recompute", json=span)
    if datetime.now(UTC) - START > timedelta(days=30):
        assert response.status_code == 422  # older than the raw log keeps: refused, not erased
        return
    assert response.status_code == 200, response.text
    assert (await client.post("/api/v1/analytics/recompute", json=span)).status_code == 200
    after = {m: await _series(client, m, granularity="hour", group_by="number") for m in before}
    assert after == before
