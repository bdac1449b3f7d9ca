"""Operating the system from analytics (issue 15, acceptance 2 and 3), on the real RabbitMQ and
PostgreSQL: the four services in this process, plus a second agent replica as its own process.

* Pausing the agent's queue during traffic: webhooks are still answered 200, nothing is replied,
  the depth grows in the workers view; a replica started meanwhile stays paused; resuming
  answers every message exactly once.
* A poison message shows in the dead letters of every service with its reason; once its cause is
  fixed a replay processes it once, and replaying it again is refused and multiplies nothing.
* An analyst may look but not pause or replay.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select, text

from tasklane_agent.storage.tables import tasks
from tasklane_common.auth import hash_key, new_key
from tasklane_common.settings import (
    ApiKey,
    AuthSettings,
    Role,
    TelemetrySettings,
)
from tasklane_common.testing import amqp_url, cleanup_run, database_url, new_run_id, real_stack
from tasklane_stack.embedded import EmbeddedStack, embedded_stack, in_process_stack

OPERATOR_KEY = new_key()
ANALYST_KEY = new_key()
OPERATOR = {"Authorization": f"Bearer {OPERATOR_KEY}"}
ANALYST = {"Authorization": f"Bearer {ANALYST_KEY}"}
WORKERS = "/api/v1/analytics/workers"
LETTERS = "/api/v1/analytics/system/dead-letters"
INTERVAL_S = 0.3


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _settings(run_id: str) -> Callable[[str], dict[str, Any]]:
    keys = [
        ApiKey(name="ops", role=Role.OPERATOR, sha256=hash_key(OPERATOR_KEY)),
        ApiKey(name="ana", role=Role.ANALYST, sha256=hash_key(ANALYST_KEY)),
    ]
    return real_stack(
        run_id,
        delivery_limit=2,
        telemetry=TelemetrySettings(enabled=False),
        control_interval_s=INTERVAL_S,
        auth=AuthSettings(api_keys=keys),
    )


def _spawn_agent(run_id: str) -> subprocess.Popen[bytes]:
    env = dict(os.environ)
    env.update(
        {
            "TASKLANE_AMQP_URL": amqp_url(),
            "TASKLANE_DATABASE_URL": database_url(),
            "TASKLANE_AGENT_BROKER__NAMESPACE": f"{run_id}.",
            "TASKLANE_AGENT_BROKER__DELIVERY_LIMIT": "2",
            "TASKLANE_AGENT_DATABASE__SCHEMA_NAME": f"{run_id}_agent",
            "TASKLANE_AGENT_PORT": str(_free_port()),
            "TASKLANE_AGENT_LOGGING__LEVEL": "ERROR",
            "TASKLANE_AGENT_TELEMETRY__ENABLED": "false",
            "TASKLANE_AGENT_OUTBOX_POLL_INTERVAL_S": "0.2",
            "TASKLANE_AGENT_CONTROL_INTERVAL_S": str(INTERVAL_S),
        }
    )
    return subprocess.Popen(
        [sys.executable, "-m", "tasklane_agent", "serve"], env=env, stdout=subprocess.DEVNULL
    )


@pytest.fixture
async def stack() -> AsyncIterator[tuple[EmbeddedStack, str]]:
    run_id = new_run_id()
    try:
        async with in_process_stack(_settings(run_id)) as s:
            yield s, run_id
    finally:
        await cleanup_run(run_id)


async def _eventually(check: Callable[[], Awaitable[Any]], timeout: float = 30.0) -> Any:
    deadline = asyncio.get_running_loop().time() + timeout
    last: Any = None
    while True:
        last = await check()
        if last:
            return last
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"not reached in time (last: {last!r})")
        await asyncio.sleep(0.1)


def _client(stack: EmbeddedStack) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=stack.apps["analytics"])
    return httpx.AsyncClient(transport=transport, base_url="http://analytics")


async def _worker(client: httpx.AsyncClient, queue: str) -> dict[str, Any]:
    response = await client.get(WORKERS, headers=ANALYST)
    assert response.status_code == 200, response.text
    return next(w for w in response.json()["items"] if w["queue"] == queue)


async def _tasks(stack: EmbeddedStack) -> int:
    async with stack.apps["agent"].state.runtime.db.read() as session:
        return int((await session.execute(select(func.count()).select_from(tasks))).scalar_one())


async def test_pausing_the_agent_holds_its_work_across_replicas_and_resuming_answers_each_once(
    stack: tuple[EmbeddedStack, str],
) -> None:
    s, run_id = stack
    users = [f"551198877{i:04d}" for i in range(12)]
    async with _client(s) as client:
        await _eventually(lambda: _replicas(client, 1))

        refused = await client.post(
            WORKERS, json={"service": "agent", "queue": "agent.inbound", "action": "pause"}, headers=ANALYST
        )
        assert refused.status_code == 403
        paused = await client.post(
            "/api/workers/whatsapp",
            json={"service": "agent", "queue": "agent.inbound", "action": "pause"},
            headers=OPERATOR,
        )
        assert paused.status_code == 202, paused.text
        await _eventually(lambda: _paused(client, consuming=0))

        for user in users:
            answered = await s.simulator.inject_text(user, "Create a task to call the bank tomorrow")
            assert answered.status_code == 200
        depth = await _eventually(lambda: _depth_at_least(client, len(users)))
        assert depth >= len(users)
        assert all(s.simulator.sent_messages(to=u) == [] for u in users)

        # A replica started while paused stays paused: its consumer is registered, not started.
        replica = _spawn_agent(run_id)
        try:
            # A fresh process imports, migrates and connects first: slow on a loaded machine.
            await _eventually(lambda: _replicas(client, 2), timeout=180)
            worker = await _worker(client, "agent.inbound")
            assert worker["paused"] is True
            assert worker["consuming"] == 0
            assert worker["depth"] >= len(users)
            assert all(s.simulator.sent_messages(to=u) == [] for u in users)

            resumed = await client.post(
                WORKERS,
                json={"service": "agent", "queue": "agent.inbound", "action": "resume"},
                headers=OPERATOR,
            )
            assert resumed.status_code == 202, resumed.text
            assert sorted(resumed.json()["replicas"]) == sorted(r["replica"] for r in worker["per_replica"])

            for user in users:
                await s.simulator.wait_for_message(user, count=1, timeout=30)
            await _eventually(lambda: _settled(client))
            # Quiet again: anything handled twice would have produced a second task or reply now.
            assert await _tasks(s) == len(users)
            assert all(len(s.simulator.sent_messages(to=u)) == 1 for u in users)
            assert (await _worker(client, "agent.inbound"))["consuming"] == 2
        finally:
            replica.terminate()
            replica.wait(timeout=20)

        trail = (await client.get("/api/v1/analytics/audit", params={"limit": 50}, headers=ANALYST)).json()
        actions = [(e["service"], e["action"], e["outcome"]) for e in trail["items"]]
        assert ("analytics", "command.pause", "sent") in actions
        assert ("analytics", "command.resume", "sent") in actions
        # The agent records the state change once, whichever replica applied it first.
        assert actions.count(("agent", "queue.pause", "ok")) == 1
        assert actions.count(("agent", "queue.resume", "ok")) == 1
        forbidden = [e for e in trail["items"] if e["outcome"] == "forbidden"]
        assert forbidden
        assert forbidden[0]["actor"] == "ana"


async def _replicas(client: httpx.AsyncClient, n: int) -> bool:
    return (await _worker(client, "agent.inbound"))["replicas"] == n


async def _paused(client: httpx.AsyncClient, *, consuming: int) -> bool:
    worker = await _worker(client, "agent.inbound")
    return bool(worker["paused"] and worker["consuming"] == consuming)


async def _depth_at_least(client: httpx.AsyncClient, n: int) -> int | None:
    depth = (await _worker(client, "agent.inbound"))["depth"]
    return depth if depth is not None and depth >= n else None


async def _settled(client: httpx.AsyncClient) -> bool:
    items = (await client.get(WORKERS, headers=ANALYST)).json()["items"]
    return all(w["depth"] == 0 and w["in_flight"] == 0 for w in items)


POISON_TRIGGER = """
CREATE FUNCTION "{schema}".refuse_poison() RETURNS trigger AS $$
BEGIN
  IF NEW.title LIKE '%poison%' THEN RAISE EXCEPTION 'refusing a poison title'; END IF;
  RETURN NEW;
END $$ LANGUAGE plpgsql;
CREATE TRIGGER refuse_poison BEFORE INSERT ON "{schema}".tasks
  FOR EACH ROW EXECUTE FUNCTION "{schema}".refuse_poison();
"""


async def test_a_poison_message_is_shown_with_its_reason_and_replayed_once_when_fixed(
    stack: tuple[EmbeddedStack, str],
) -> None:
    s, run_id = stack
    schema = f"{run_id}_agent"
    agent_db = s.apps["agent"].state.runtime.db
    async with agent_db.engine.begin() as conn:
        for statement in POISON_TRIGGER.format(schema=schema).split(";\nCREATE TRIGGER"):
            sql = statement if statement.startswith("\nCREATE FUNCTION") else "CREATE TRIGGER" + statement
            await conn.execute(text(sql))

    user = "5511977770001"
    async with _client(s) as client:
        answered = await s.simulator.inject_text(user, "Create a task to remove the poison ivy tomorrow")
        assert answered.status_code == 200

        letter = await _eventually(lambda: _letter(client, "agent"), timeout=60)
        assert letter["queue"] == "agent.inbound"
        assert letter["event_type"] == "message.received"
        # Why it died: the consumer gave up on it, with the error it kept hitting.
        assert letter["reason"].startswith("gave up after")
        assert "refusing a poison title" in letter["reason"]
        assert letter["replayable"] is True
        detail = (await client.get(f"{LETTERS}/agent/{letter['letter_id']}", headers=ANALYST)).json()
        assert "refusing a poison title" in detail["headers"]["x-tasklane-reason"]
        assert detail["body_at"] == f"/api/v1/agent/dead-letters/{letter['letter_id']}"
        searched = (await client.get(LETTERS, params={"q": "poison title"}, headers=ANALYST)).json()
        assert [i["letter_id"] for i in searched["items"]] == [letter["letter_id"]]
        assert s.simulator.sent_messages(to=user) == []

        body = {"service": "agent", "ids": [letter["letter_id"]]}
        assert (await client.post(f"{LETTERS}/replay", json=body, headers=ANALYST)).status_code == 403
        dry = await client.post(f"{LETTERS}/replay", json={**body, "dry_run": True}, headers=OPERATOR)
        assert dry.status_code == 200, dry.text
        assert [w["letter_id"] for w in dry.json()["would_replay"]] == [letter["letter_id"]]
        assert await _tasks(s) == 0  # a dry run replays nothing

        # The cause is fixed; the replay is processed once.
        async with agent_db.engine.begin() as conn:
            await conn.execute(text(f'DROP TRIGGER refuse_poison ON "{schema}".tasks'))
        replay = await client.post(f"{LETTERS}/replay", json=body, headers=OPERATOR)
        assert replay.status_code == 200, replay.text
        assert replay.json()["matched"] == 1
        await s.simulator.wait_for_message(user, count=1, timeout=30)
        replayed = await _eventually(lambda: _replayed(client, letter["letter_id"]))
        assert replayed["replay_count"] == 1

        again = await client.post(f"{LETTERS}/replay", json=body, headers=OPERATOR)
        assert again.status_code == 409
        # Every agent replica got the one replay command; the record was replayed once.
        await s.chat("What are my tasks?", from_=user)
        assert await _tasks(s) == 1
        assert len(s.simulator.sent_messages(to=user)) == 2

        trail = (
            await client.get("/api/v1/analytics/audit", params={"service": "agent"}, headers=ANALYST)
        ).json()
        assert [e["action"] for e in trail["items"]].count("dead_letter.replay") == 1


async def _letter(client: httpx.AsyncClient, service: str) -> dict[str, Any] | None:
    page = (await client.get(LETTERS, params={"service": service}, headers=ANALYST)).json()
    return page["items"][0] if page["items"] else None


async def _replayed(client: httpx.AsyncClient, letter_id: int) -> dict[str, Any] | None:
    found = (await client.get(f"{LETTERS}/agent/{letter_id}", headers=ANALYST)).json()
    return found if found.get("replayed_at") else None


async def test_an_operator_pauses_a_number_its_replies_wait_and_resuming_sends_them(
    stack: tuple[EmbeddedStack, str],
) -> None:
    s, _ = stack
    user = "5511966660001"
    assert len(await s.chat("Create a task to water the plants tomorrow", from_=user)) == 1
    number = s.simulator.sent_messages(to=user)[0]["phone_number_id"]
    async with _client(s) as client:
        known = await _eventually(lambda: _number(client, number))
        assert known["paused"] is False
        assert known["breaker"] == "closed"

        url = f"/api/v1/analytics/system/numbers/{number}"
        assert (await client.post(f"{url}/pause", headers=ANALYST)).status_code == 403
        paused = await client.post(f"{url}/pause", headers=OPERATOR)
        assert paused.status_code == 202, paused.text
        await _eventually(lambda: _number(client, number, paused=True))

        answered = await s.simulator.inject_text(user, "What are my tasks?")
        assert answered.status_code == 200
        # The reply waits (with the read receipt of the message, if the sender keeps one).
        waiting = await _eventually(lambda: _number(client, number, pending_at_least=1))
        assert waiting["paused"] is True
        assert len(s.simulator.sent_messages(to=user)) == 1

        assert (await client.post(f"{url}/resume", headers=OPERATOR)).status_code == 202
        await s.simulator.wait_for_message(user, count=2, timeout=30)
        await _eventually(lambda: _number(client, number, paused=False, pending=0))

        async def audited() -> list[str] | None:
            page = await client.get("/api/v1/analytics/audit", params={"service": "sender"}, headers=ANALYST)
            actions = [e["action"] for e in page.json()["items"]]
            return actions if "number.resume" in actions else None

        actions = await _eventually(audited)
        assert actions.count("number.pause") == 1


async def _number(
    client: httpx.AsyncClient,
    number: str,
    *,
    paused: bool | None = None,
    pending: int | None = None,
    pending_at_least: int | None = None,
) -> dict[str, Any] | None:
    view = (await client.get("/api/v1/analytics/system/numbers", headers=ANALYST)).json()
    found = next((n for n in view["numbers"] if n["phone_number_id"] == number), None)
    if found is None or (paused is not None and found["paused"] is not paused):
        return None
    if pending is not None and found.get("pending") != pending:
        return None
    if pending_at_least is not None and int(found.get("pending") or 0) < pending_at_least:
        return None
    return found


async def test_the_embedded_mode_pauses_and_resumes_the_agent_too(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The demo configures no keys and a 5 s heartbeat; the environment gives it this test's.
    keys = _settings("embedded")("analytics")["auth"].api_keys
    monkeypatch.setenv("TASKLANE_API_KEYS", json.dumps([k.model_dump(mode="json") for k in keys]))
    for service in ("GATEWAY", "AGENT", "SENDER", "ANALYTICS"):
        monkeypatch.setenv(f"TASKLANE_{service}_CONTROL_INTERVAL_S", str(INTERVAL_S))
    async with embedded_stack(tmp_path) as s:
        user = "5511955550001"
        async with _client(s) as client:
            await _eventually(lambda: _replicas(client, 1))
            body = {"service": "agent", "queue": "agent.inbound", "action": "pause"}
            assert (await client.post(WORKERS, json=body, headers=OPERATOR)).status_code == 202
            await _eventually(lambda: _paused(client, consuming=0))
            assert (await s.simulator.inject_text(user, "Create a task to buy bread")).status_code == 200
            await _eventually(lambda: _depth_at_least(client, 1))
            assert s.simulator.sent_messages(to=user) == []
            resumed = await client.post(WORKERS, json={**body, "action": "resume"}, headers=OPERATOR)
            assert resumed.status_code == 202
            await s.simulator.wait_for_message(user, count=1, timeout=30)
            await _eventually(lambda: _settled(client))
            assert len(s.simulator.sent_messages(to=user)) == 1
