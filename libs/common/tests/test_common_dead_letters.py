"""Dead letters, as an operator meets them: a poison message is captured with its reason, listed
over HTTP, replayed into its own queue once the cause is fixed, and handled exactly once.

A tiny "notes" service is assembled from the common parts, on RabbitMQ + PostgreSQL and on the
in-process transport + SQLite. Its handler fails for the phone number ids listed in ``broken``
(permanently or transiently) until the test "fixes" them.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from pydantic import SecretStr
from pydantic_settings import SettingsConfigDict
from sqlalchemy import Column, String, Table, func, select, text

from tasklane_common.auth import hash_key, new_key
from tasklane_common.db import service_metadata
from tasklane_common.dead_letters_api import dead_letters_router
from tasklane_common.errors import PermanentError
from tasklane_common.messaging import (
    HandlerContext,
    OutgoingMessage,
    dead_letters_table,
    inbox_table,
    new_envelope,
    outbox_table,
)
from tasklane_common.messaging.broker import Delivery
from tasklane_common.messaging.contracts.gateway import UserUnregistered
from tasklane_common.messaging.deadletters import reason_of
from tasklane_common.messaging.memory import InMemoryBroker
from tasklane_common.messaging.topology import (
    AGENT_INBOUND,
    ANALYTICS_EVENTS,
    SENDER_INBOUND,
    dead_letter_queue,
)
from tasklane_common.runtime import ServiceRuntime
from tasklane_common.settings import (
    ApiKey,
    AuthSettings,
    BrokerSettings,
    DatabaseSettings,
    Role,
    ServiceSettings,
)
from tasklane_common.testing import amqp_url, cleanup_run, database_url, new_run_id, running

KEYS = {role: new_key() for role in Role}
AUTH = AuthSettings(api_keys=[ApiKey(name=f"{r}-key", role=r, sha256=hash_key(k)) for r, k in KEYS.items()])
OPERATOR = {"Authorization": f"Bearer {KEYS[Role.OPERATOR]}"}
ANALYST = {"Authorization": f"Bearer {KEYS[Role.ANALYST]}"}
URL = "/api/v1/notes/dead-letters"


class NotesSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="TASKLANE_NOTES_TEST_", env_nested_delimiter="__")


@dataclass
class Notes:
    runtime: ServiceRuntime
    client: httpx.AsyncClient
    notes: Table
    # phone_number_id -> "permanent" | "transient": the handler fails for these.
    broken: dict[str, str]
    handled: list[str] = field(default_factory=list)
    # What two other queues bound to message.received received, by event id.
    taps: dict[str, list[str]] = field(default_factory=lambda: {"sender": [], "analytics": []})


async def eventually(check: Callable[[], Awaitable[Any]], timeout: float = 15.0) -> Any:
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        result = await check()
        if result:
            return result
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"condition not met in {timeout}s (last: {result!r})")
        await asyncio.sleep(0.05)


@pytest.fixture(params=["rabbitmq+postgresql", "memory+sqlite"])
async def notes(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Notes]:
    rid = new_run_id()
    if request.param == "memory+sqlite":
        broker = BrokerSettings(url=SecretStr(f"memory://{rid}"), delivery_limit=1)
        database = DatabaseSettings(
            url=SecretStr(f"sqlite+aiosqlite:///{tmp_path / 'notes.db'}"), migrate_on_startup=False
        )
    else:
        broker = BrokerSettings(url=SecretStr(amqp_url()), namespace=f"{rid}.", delivery_limit=1)
        database = DatabaseSettings(
            url=SecretStr(database_url()), schema_name=f"{rid}_notes", migrate_on_startup=False
        )
    settings = NotesSettings(broker=broker, database=database, auth=AUTH, shutdown_grace_s=3.0)
    metadata = service_metadata("notes")
    table = Table("notes", metadata, Column("event_id", String(64), primary_key=True))
    inbox_table(metadata)
    outbox_table(metadata)
    dead_letters_table(metadata)
    runtime = ServiceRuntime("notes", settings, metadata, migrations=tmp_path)
    async with runtime.db.engine.begin() as conn:
        if runtime.db.schema is not None:
            await conn.execute(text(f'CREATE SCHEMA "{runtime.db.schema}"'))
        await conn.run_sync(metadata.create_all)

    n = Notes(runtime, httpx.AsyncClient(), table, broken={})
    consumer = runtime.consumer(AGENT_INBOUND)

    @consumer.on(UserUnregistered)
    async def handle(ctx: HandlerContext, event: UserUnregistered) -> None:
        failure = n.broken.get(event.phone_number_id)
        if failure == "permanent":
            raise PermanentError("no integration for this phone number id yet")
        if failure == "transient":
            raise RuntimeError("the directory is down")
        await ctx.session.execute(table.insert().values(event_id=ctx.envelope.id))
        n.handled.append(ctx.envelope.id)

    def tap(into: str) -> Callable[[Delivery], Awaitable[None]]:
        async def on(delivery: Delivery) -> None:
            # analytics.events also takes the control plane's own events (dead_letter.changed).
            if not delivery.routing_key.startswith(("dead_letter.", "audit.")):
                n.taps[into].append(str(delivery.message_id))
            await delivery.ack()

        return on

    app = FastAPI(lifespan=runtime.lifespan)
    app.include_router(dead_letters_router(runtime))
    try:
        async with running(app):
            await runtime.broker.consume(SENDER_INBOUND, tap("sender"))
            await runtime.broker.consume(ANALYTICS_EVENTS, tap("analytics"))
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://notes") as client:
                n.client = client
                yield n
    finally:
        InMemoryBroker.forget(rid)
        await cleanup_run(rid)


def _message(phone_number_id: str, **headers: Any) -> OutgoingMessage:
    env = new_envelope(UserUnregistered(phone_number_id=phone_number_id, wa_id="5511999990000"), producer="t")
    # Routed like a message.received, so that three queues (agent, sender, analytics) take it.
    return OutgoingMessage(
        routing_key="message.received", body=env.to_bytes(), message_id=env.id, headers=headers
    )


async def _letters(n: Notes, **params: Any) -> list[dict[str, Any]]:
    response = await n.client.get(URL, params=params, headers=OPERATOR)
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


async def _handled_count(n: Notes) -> int:
    async with n.runtime.db.read() as s:
        return int((await s.execute(select(func.count()).select_from(n.notes))).scalar_one())


async def test_poison_messages_are_captured_listed_and_replayed_once_fixed(notes: Notes) -> None:
    n = notes
    n.broken.update({"p-perm": "permanent", "p-flaky": "transient"})
    perm, flaky = _message("p-perm"), _message("p-flaky")
    await n.runtime.broker.publish([perm, flaky])

    letters = await eventually(lambda: _at_least(_letters(n), 2))
    by_event = {item["event_id"]: item for item in letters}
    dead_perm, dead_flaky = by_event[perm.message_id], by_event[flaky.message_id]
    assert dead_perm["reason"] == "no integration for this phone number id yet"
    # One delivery and one redelivery (delivery_limit=1), then the consumer gave up.
    assert dead_flaky["reason"].startswith("gave up after 2 deliveries: RuntimeError: the directory is down")
    for item in (dead_perm, dead_flaky):
        assert item["queue"] == "agent.inbound"
        assert item["event_type"] == "user.unregistered"
        assert item["replayed_at"] is None
        assert item["replay_count"] == 0
        assert item["body_encoding"] == "json"
    assert dead_perm["body"]["payload"]["phone_number_id"] == "p-perm"

    detail = (await n.client.get(f"{URL}/{dead_perm['id']}", headers=OPERATOR)).json()
    assert detail["headers"]["x-tasklane-reason"] == dead_perm["reason"]
    assert (await n.client.get(f"{URL}/{2**40}", headers=OPERATOR)).status_code == 404
    assert (await n.client.get(f"{URL}/not-an-id", headers=OPERATOR)).status_code == 422
    assert (await n.client.get(URL, params={"queue": "nope"}, headers=OPERATOR)).status_code == 422

    # Fixed: the replay goes into agent.inbound only and is handled once, however often replayed.
    n.broken.clear()
    first = await n.client.post(f"{URL}/{dead_perm['id']}/replay", headers=OPERATOR)
    assert first.status_code == 200, first.text
    assert first.json()["replay_count"] == 1
    await eventually(lambda: _equals(_handled_count(n), 1))
    again = await n.client.post(f"{URL}/{dead_perm['id']}/replay", headers=OPERATOR)
    assert again.status_code == 409  # replayed, and its replay did not die again

    bulk = await n.client.post(f"{URL}/replay", json={"queue": "agent.inbound"}, headers=OPERATOR)
    assert bulk.status_code == 200, bulk.text
    assert [r["id"] for r in bulk.json()["replayed"]] == [dead_flaky["id"]]  # never-replayed ones only
    await eventually(lambda: _equals(_handled_count(n), 2))
    assert sorted(n.handled) == sorted([perm.message_id, flaky.message_id])
    assert (await n.client.post(f"{URL}/replay", headers=OPERATOR)).json()["matched"] == 0

    # The other subscribers of message.received got each event once: when it was published.
    await eventually(lambda: _true(all(len(seen) >= 2 for seen in n.taps.values())))
    for seen in n.taps.values():
        assert sorted(seen) == sorted([perm.message_id, flaky.message_id])

    assert await _letters(n, replayed="false") == []
    replayed = await _letters(n, replayed="true", limit=1)
    assert replayed[0]["id"] == dead_flaky["id"]
    assert replayed[0]["replayed_at"] is not None
    page = (await n.client.get(URL, params={"limit": 1}, headers=OPERATOR)).json()
    assert (page["total"], page["limit"], page["offset"]) == (2, 1, 0)
    older = await _letters(n, limit=1, offset=1)
    assert [older[0]["id"]] == [dead_perm["id"]]


async def test_a_poison_message_keeps_one_dead_letter_however_often_replayed(notes: Notes) -> None:
    n = notes
    n.broken["p-still"] = "permanent"
    msg = _message("p-still")
    await n.runtime.broker.publish([msg])
    [dead] = await eventually(lambda: _letters(n))
    assert (dead["replay_count"], dead["deaths"]) == (0, 1)
    for replay in (1, 2, 3):
        answer = await n.client.post(f"{URL}/{dead['id']}/replay", headers=OPERATOR)
        assert answer.status_code == 200, answer.text
        assert answer.json()["replay_count"] == replay
        # Its replay died again: the same record, replayable again, one more death.
        [item] = await eventually(lambda: _unreplayed(_letters(n)))
        assert [row["id"] for row in await _letters(n)] == [dead["id"]]
        assert (item["replay_count"], item["deaths"]) == (replay, replay + 1)
    # A replayed record whose replay has not died again is not replayed twice.
    n.broken.clear()
    assert (await n.client.post(f"{URL}/{dead['id']}/replay", headers=OPERATOR)).status_code == 200
    await eventually(lambda: _equals(_handled_count(n), 1))
    refused = await n.client.post(f"{URL}/{dead['id']}/replay", headers=OPERATOR)
    assert refused.status_code == 409, refused.text
    assert "already replayed" in refused.text
    [item] = await _letters(n)
    assert (item["replay_count"], item["deaths"], item["replayed_at"] is not None) == (4, 4, True)
    assert n.handled == [msg.message_id]


async def test_replay_all_replays_each_record_once_and_has_a_dry_run(notes: Notes) -> None:
    n = notes
    n.broken["p-loop"] = "permanent"
    await n.runtime.broker.publish([_message("p-loop"), _message("p-loop")])
    letters = await eventually(lambda: _at_least(_letters(n), 2))
    ids = sorted(item["id"] for item in letters)
    dry = await n.client.post(f"{URL}/replay", json={"dry_run": True}, headers=OPERATOR)
    assert dry.status_code == 200, dry.text
    assert (dry.json()["matched"], dry.json()["replayed"], dry.json()["dry_run"]) == (2, [], True)
    assert [item["id"] for item in dry.json()["would_replay"]] == ids
    assert all(item["replay_count"] == 0 for item in await _letters(n))
    bulk = await n.client.post(f"{URL}/replay", headers=OPERATOR)
    assert sorted(r["id"] for r in bulk.json()["replayed"]) == ids
    # Each died again into its own record: two rows, each replayed once.
    again = await eventually(lambda: _at_least(_unreplayed(_letters(n)), 2))
    assert sorted((item["id"], item["replay_count"], item["deaths"]) for item in again) == [
        (i, 1, 2) for i in ids
    ]


async def test_the_same_dead_letter_twice_is_stored_once(notes: Notes) -> None:
    n = notes
    letters = n.runtime.dead_letters
    assert letters is not None
    msg = _message("p-any", **{"x-tasklane-reason": "injected"})
    await n.runtime.broker.publish_to_queue(dead_letter_queue(AGENT_INBOUND.name), [msg, msg])
    await eventually(lambda: _true(letters.captured + letters.duplicates == 2))
    [item] = await _letters(n)
    assert (item["event_id"], item["reason"]) == (msg.message_id, "injected")
    # Pruned with the other short-lived rows once past dead_letter_retention_days (30).
    await n.runtime.pruner.prune(datetime.now(UTC) + timedelta(days=29))
    assert await letters.count() == 1
    await n.runtime.pruner.prune(datetime.now(UTC) + timedelta(days=31))
    assert await letters.count() == 0


@pytest.mark.parametrize(
    "key", [None, KEYS[Role.ANALYST], f"tl_{uuid.uuid4().hex}"], ids=["no-key", "analyst", "unknown-key"]
)
async def test_only_operators_may_see_or_replay_dead_letters(notes: Notes, key: str | None) -> None:
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    expected = 403 if key == KEYS[Role.ANALYST] else 401
    for method, path in [
        ("GET", URL),
        ("GET", f"{URL}/1"),
        ("POST", f"{URL}/1/replay"),
        ("POST", f"{URL}/replay"),
    ]:
        response = await notes.client.request(method, path, headers=headers)
        assert response.status_code == expected, (method, path)
    admin = await notes.client.get(URL, headers={"Authorization": f"Bearer {KEYS[Role.ADMIN]}"})
    assert admin.status_code == 200


def test_reasons_come_from_our_header_else_from_rabbitmqs_x_death() -> None:
    assert reason_of({"x-tasklane-reason": b"bad payload", "x-death": []}) == "bad payload"
    native = {
        "x-death": [{"reason": "delivery_limit", "queue": "t.agent.inbound", "count": 1}],
        "x-delivery-count": 10,
    }
    assert reason_of(native) == "delivery_limit: returned to t.agent.inbound after 10 redeliveries"
    assert reason_of({"x-death": [{"reason": "rejected", "queue": "q", "count": 2}]}) == (
        "rejected in q (x-death count 2)"
    )
    assert reason_of({}).startswith("unknown")


async def _at_least(items: Awaitable[list[dict[str, Any]]], n: int) -> list[dict[str, Any]] | None:
    found = await items
    return found if len(found) >= n else None


async def _unreplayed(items: Awaitable[list[dict[str, Any]]]) -> list[dict[str, Any]]:
    return [item for item in await items if item["replayed_at"] is None]


async def _equals(value: Awaitable[int], expected: int) -> bool:
    return await value == expected


async def _true(value: bool) -> bool:
    return value
