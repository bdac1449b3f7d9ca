"""A consumer killed with SIGKILL in the middle of its work loses nothing and does nothing twice.

The agent runs as a real process (``python -m tasklane_agent serve``) on the real RabbitMQ and
PostgreSQL. A burst of messages is queued, the process is killed while deliveries are in flight
(prefetch 100: some committed and not yet acked, some not yet committed), and a new process takes
over. Every message must end as exactly one task and one reply.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import aio_pika
import orjson
import pytest
from pydantic import SecretStr
from sqlalchemy import func, select

from tasklane_agent.storage.tables import tasks
from tasklane_common.db import Database
from tasklane_common.messaging import connect_broker, deterministic_id, new_envelope
from tasklane_common.messaging.contracts.gateway import MessageReceived
from tasklane_common.settings import BrokerSettings, DatabaseSettings
from tasklane_common.testing import amqp_url, cleanup_run, database_url, new_run_id

MESSAGES = 300


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _spawn_agent(run_id: str) -> subprocess.Popen[bytes]:
    env = dict(os.environ)
    env.update(
        {
            "TASKLANE_AMQP_URL": amqp_url(),
            "TASKLANE_DATABASE_URL": database_url(),
            "TASKLANE_AGENT_BROKER__NAMESPACE": f"{run_id}.",
            "TASKLANE_AGENT_DATABASE__SCHEMA_NAME": f"{run_id}_agent",
            "TASKLANE_AGENT_PORT": str(_free_port()),
            "TASKLANE_AGENT_LOGGING__LEVEL": "ERROR",
            "TASKLANE_AGENT_OUTBOX_POLL_INTERVAL_S": "0.2",
        }
    )
    return subprocess.Popen(
        [sys.executable, "-m", "tasklane_agent", "serve"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


@pytest.fixture
async def run_ids() -> AsyncIterator[str]:
    rid = new_run_id()
    yield rid
    await cleanup_run(rid)


async def test_agent_killed_mid_batch_loses_nothing_and_repeats_nothing(run_ids: str) -> None:
    run_id = run_ids
    db = Database(
        DatabaseSettings(url=SecretStr(database_url()), schema_name=f"{run_id}_agent"), logical_schema="agent"
    )
    broker = connect_broker(BrokerSettings(url=SecretStr(amqp_url()), namespace=f"{run_id}."))
    await broker.start()
    agent = _spawn_agent(run_id)
    try:

        async def task_count() -> int:
            try:
                async with db.read() as session:
                    return int((await session.execute(select(func.count()).select_from(tasks))).scalar_one())
            except Exception:  # schema not migrated yet
                return -1

        # Wait for the first process to be up (its migrations create the schema).
        for _ in range(200):
            if await task_count() >= 0:
                break
            await asyncio.sleep(0.1)

        now = datetime.now(UTC)
        envelopes = []
        for i in range(MESSAGES):
            wamid = f"wamid.crash-{run_id}-{i}"
            event = MessageReceived(
                wamid=wamid,
                phone_number_id="106540352242922",
                user_id=f"user-{i}",
                wa_id=f"1666{i:07d}",
                message_type="text",
                text=f"Create a task to file report number {i} by Friday",
                sent_at=now,
                received_at=now,
            )
            envelopes.append(
                new_envelope(event, producer="gateway", event_id=deterministic_id("message.received", wamid))
            )
        from tasklane_common.messaging import OutgoingMessage

        await broker.publish(
            [OutgoingMessage(routing_key=e.type, body=e.to_bytes(), message_id=e.id) for e in envelopes]
        )

        for _ in range(600):
            if await task_count() >= MESSAGES // 10:
                break
            await asyncio.sleep(0.02)
        agent.send_signal(signal.SIGKILL)
        agent.wait(timeout=10)
        killed_at = await task_count()
        assert killed_at < MESSAGES, "the kill came too late to prove anything"

        agent = _spawn_agent(run_id)
        for _ in range(600):
            if await task_count() == MESSAGES:
                break
            await asyncio.sleep(0.1)
        await asyncio.sleep(1.0)  # anything processed twice would show up now
        assert await task_count() == MESSAGES

        # Every reply was requested exactly once (distinct ids; the relay may republish a row
        # after a crash between publish and delete, which the sender's inbox absorbs).
        replies: dict[str, int] = {}
        connection = await aio_pika.connect(amqp_url())
        async with connection:
            channel = await connection.channel()
            queue = await channel.get_queue(f"{run_id}.sender.replies", ensure=False)
            for _ in range(200):
                while (message := await queue.get(no_ack=True, fail=False)) is not None:
                    reply_id = orjson.loads(message.body)["payload"]["reply_id"]
                    replies[reply_id] = replies.get(reply_id, 0) + 1
                if len(replies) >= MESSAGES:
                    break
                await asyncio.sleep(0.1)
        assert len(replies) == MESSAGES
    finally:
        if agent.poll() is None:
            agent.send_signal(signal.SIGTERM)
            agent.wait(timeout=20)
        await broker.close()
        await db.dispose()
