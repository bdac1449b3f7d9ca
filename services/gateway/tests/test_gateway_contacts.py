"""Phone-to-user mappings on the real RabbitMQ and PostgreSQL: senders known only by a business-
scoped id, registration of unknown senders, the admin mappings API and what two gateway replicas
sharing the database see after a change (each caches lookups in memory)."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from gateway_admin_harness import auth
from gateway_contacts_harness import (
    PHONE_NUMBER_ID,
    Events,
    PinnedClock,
    changed_number,
    contacts_settings,
    gateway_with_clock,
    message,
    webhook,
)
from gateway_harness import APP_SECRET, Gateway, watching

from tasklane_common.messaging import deterministic_id
from tasklane_common.settings import Role

# A number registered in the integrations with the mapped access policy (the default number is not
# registered there, so the gateway setting, on by default, applies to it).
CLOSED = "200000000000777"
MAPPINGS = "/api/v1/gateway/mappings"


def new_wa_id() -> str:
    return "55119" + "".join(secrets.choice("0123456789") for _ in range(8))


@pytest.fixture(scope="module")
def clock() -> PinnedClock:
    return PinnedClock()


@pytest.fixture(scope="module")
async def pair(module_run_id: str, clock: PinnedClock) -> AsyncIterator[tuple[Gateway, Gateway]]:
    """Two replicas on one database and broker namespace."""
    settings = contacts_settings(module_run_id)
    async with gateway_with_clock(settings, clock) as a, gateway_with_clock(settings, clock) as b:
        app = {"app_id": "contacts", "name": "Contacts", "app_secret": APP_SECRET}
        assert (
            await a.client.post("/api/v1/gateway/apps", json=app, headers=auth(Role.ADMIN))
        ).status_code == 201
        number = {"phone_number_id": CLOSED, "app_id": "contacts", "access_policy": "mapped"}
        response = await a.client.post("/api/v1/gateway/numbers", json=number, headers=auth(Role.ADMIN))
        assert response.status_code == 201
        yield a, b


@pytest.fixture(scope="module")
async def module_events(pair: tuple[Gateway, Gateway], module_run_id: str) -> AsyncIterator[Events]:
    async with watching(f"{module_run_id}.") as watcher:
        yield Events(watcher)


@pytest.fixture
async def events(module_events: Events) -> Events:
    await module_events.drain()
    return module_events


async def post(gateway: Gateway, *messages: dict[str, Any], phone_number_id: str = PHONE_NUMBER_ID) -> None:
    response = await gateway.post(webhook(*messages, phone_number_id=phone_number_id))
    assert response.status_code == 200, response.text


def by_wamid(payloads: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {p["wamid"]: p for p in payloads}


async def test_a_sender_known_only_by_a_business_scoped_id_is_one_user_throughout(
    pair: tuple[Gateway, Gateway], events: Events
) -> None:
    a, b = pair
    bsuid, wa_id = f"US.{secrets.randbelow(10**18)}", new_wa_id()
    first, second = message(bsuid=bsuid, username="ana.s"), message(bsuid=bsuid)
    # Meta later shows the phone number with the id, then the number alone.
    both, number_only = message(bsuid=bsuid, wa_id=wa_id), message(wa_id=wa_id)

    await post(a, first)
    await post(b, second)
    await post(a, both)
    await post(b, number_only)

    got = by_wamid(await events.of("message.received", 4))
    assert got[first["id"]]["wa_id"] is None
    assert got[first["id"]]["bsuid"] == bsuid
    assert got[first["id"]]["username"] == "ana.s"
    assert len({p["user_id"] for p in got.values()}) == 1
    [mapping] = (await a.client.get(MAPPINGS, params={"bsuid": bsuid}, headers=auth(Role.OPERATOR))).json()[
        "items"
    ]
    assert (mapping["user_id"], mapping["wa_id"], mapping["username"]) == (
        got[first["id"]]["user_id"],
        wa_id,
        "ana.s",
    )
    assert mapping["source"] == "auto"


async def test_an_unknown_sender_gets_one_registration_reply_per_24_hours(
    pair: tuple[Gateway, Gateway], events: Events, clock: PinnedClock
) -> None:
    a, b = pair
    wa_id = new_wa_id()
    sent = [message(wa_id=wa_id, name="Bea") for _ in range(4)]

    await post(a, sent[0], phone_number_id=CLOSED)
    await post(b, sent[1], phone_number_id=CLOSED)
    clock.advance(hours=23)
    await post(a, sent[2], phone_number_id=CLOSED)
    clock.advance(hours=1, seconds=1)
    await post(b, sent[3], phone_number_id=CLOSED)

    unregistered = by_wamid(await events.of("user.unregistered", 4))
    assert [unregistered[m["id"]]["prompted"] for m in sent] == [True, False, False, True]
    assert {p["wa_id"] for p in unregistered.values()} == {wa_id}
    assert {p["phone_number_id"] for p in unregistered.values()} == {CLOSED}
    # Not processed: nothing reached the agent.
    assert await events.of("message.received", 0, where=lambda p: p["wa_id"] == wa_id) == []
    # The reply of the 4th message comes after the 1st's (one outbox): none came in between.
    replies = await events.of("reply.requested", 2, where=lambda p: p["to"] == wa_id)
    assert [r["in_reply_to"] for r in replies] == [sent[0]["id"], sent[3]["id"]]
    assert replies[0]["content"]["body"] == a.settings.registration_reply_text
    assert replies[0]["phone_number_id"] == CLOSED

    listed = await a.client.get(
        "/api/v1/gateway/unregistered", params={"phone_number_id": CLOSED}, headers=auth(Role.OPERATOR)
    )
    [contact] = [c for c in listed.json()["items"] if c["sender"] == wa_id]
    assert contact["message_count"] == 4
    assert contact["profile_name"] == "Bea"
    assert contact["last_prompted_at"] == clock.at.isoformat()


async def test_a_mapping_change_through_one_replica_holds_at_the_next_webhook_of_the_other(
    pair: tuple[Gateway, Gateway], events: Events
) -> None:
    a, b = pair
    wa_id, other = new_wa_id(), new_wa_id()
    await post(a, message(wa_id=wa_id), phone_number_id=CLOSED)
    assert len(await events.of("user.unregistered", 1)) == 1

    created = await b.client.post(
        MAPPINGS,
        json={"phone_number_id": CLOSED, "wa_id": f"+{wa_id[:2]} {wa_id[2:4]} {wa_id[4:]}"},
        headers=auth(Role.ADMIN),
    )
    assert created.status_code == 201, created.text
    user_id = created.json()["user_id"]
    assert created.json()["wa_id"] == wa_id
    assert created.json()["source"] == "admin"
    mapped = [message(wa_id=wa_id) for _ in range(2)]
    await post(a, mapped[0], phone_number_id=CLOSED)
    await post(a, mapped[1], phone_number_id=CLOSED)  # served from a's cache
    got = await events.of("message.received", 2)
    assert {p["user_id"] for p in got} == {user_id}
    health = (await a.client.get("/api/v1/gateway/health", headers=auth(Role.ANALYST))).json()
    assert health["checks"]["cache"]["contacts"]["hits"] >= 1
    listed = await b.client.get(
        "/api/v1/gateway/unregistered", params={"phone_number_id": CLOSED}, headers=auth(Role.OPERATOR)
    )
    assert wa_id not in {c["sender"] for c in listed.json()["items"]}

    patched = await b.client.patch(f"{MAPPINGS}/{user_id}", json={"wa_id": other}, headers=auth(Role.ADMIN))
    assert patched.status_code == 200, patched.text
    old_number, new_number = message(wa_id=wa_id), message(wa_id=other)
    await post(a, old_number, new_number, phone_number_id=CLOSED)
    assert [p["wamid"] for p in await events.of("user.unregistered", 2)][1] == old_number["id"]
    [moved] = await events.of("message.received", 1, where=lambda p: p["wamid"] == new_number["id"])
    assert moved["user_id"] == user_id

    assert (await b.client.delete(f"{MAPPINGS}/{user_id}", headers=auth(Role.ADMIN))).status_code == 204
    gone = message(wa_id=other)
    await post(a, gone, phone_number_id=CLOSED)
    assert (await events.of("user.unregistered", 3))[-1]["wamid"] == gone["id"]
    assert (await a.client.get(f"{MAPPINGS}/{user_id}", headers=auth(Role.OPERATOR))).status_code == 404

    audit = await a.client.get(
        "/api/v1/gateway/audit",
        params={"target_type": "mapping", "target_id": user_id},
        headers=auth(Role.OPERATOR),
    )
    entries = audit.json()["items"]
    assert [(e["action"], e["outcome"], e["actor"]) for e in reversed(entries)] == [
        ("mapping.create", "ok", "admin-bot"),
        ("mapping.update", "ok", "admin-bot"),
        ("mapping.delete", "ok", "admin-bot"),
    ]
    assert wa_id not in str(entries)  # numbers are masked in the audit log too


async def test_user_changed_number_moves_the_mapping_to_the_new_number(
    pair: tuple[Gateway, Gateway], events: Events
) -> None:
    a, b = pair
    old, new = new_wa_id(), new_wa_id()
    await post(a, message(wa_id=old))
    [first] = await events.of("message.received", 1)
    # Derived from the sender, so a retried webhook (commit failed after publishing) keeps the id.
    assert first["user_id"] == deterministic_id("user", PHONE_NUMBER_ID, old)

    await post(b, changed_number(old, new))
    [changed] = await events.of("user.number_changed", 1)
    assert changed == {
        "user_id": first["user_id"],
        "phone_number_id": PHONE_NUMBER_ID,
        "old_wa_id": old,
        "new_wa_id": new,
    }
    from_new, from_old = message(wa_id=new), message(wa_id=old)
    await post(a, from_new)
    await post(a, from_old)  # a had cached the old number: the change must reach it anyway

    got = by_wamid(await events.of("message.received", 4))
    assert got[from_new["id"]]["user_id"] == first["user_id"]
    # A newcomer, registered anew: its derived id is the moved user's, so it gets a random one.
    assert got[from_old["id"]]["user_id"] != first["user_id"]
    mapping = (await a.client.get(f"{MAPPINGS}/{first['user_id']}", headers=auth(Role.OPERATOR))).json()
    assert mapping["wa_id"] == new


async def test_the_mappings_api_refuses_bad_input_and_pages(pair: tuple[Gateway, Gateway]) -> None:
    a, _b = pair
    number = "300000000000001"
    admin, operator = auth(Role.ADMIN), auth(Role.OPERATOR)
    wa_ids = sorted(new_wa_id() for _ in range(3))
    for wa_id in wa_ids:
        response = await a.client.post(
            MAPPINGS, json={"phone_number_id": number, "wa_id": wa_id}, headers=admin
        )
        assert response.status_code == 201

    refused = {
        "not a number": {"phone_number_id": number, "wa_id": "call me"},
        "no identity": {"phone_number_id": number, "username": "ana"},
        "bad bsuid": {"phone_number_id": number, "bsuid": "not an id"},
        "unknown field": {"phone_number_id": number, "wa_id": new_wa_id(), "role": "admin"},
    }
    for case, body in refused.items():
        assert (await a.client.post(MAPPINGS, json=body, headers=admin)).status_code == 422, case
    duplicate = await a.client.post(
        MAPPINGS, json={"phone_number_id": number, "wa_id": wa_ids[0]}, headers=admin
    )
    assert duplicate.status_code == 409
    as_operator = await a.client.post(
        MAPPINGS, json={"phone_number_id": number, "wa_id": new_wa_id()}, headers=operator
    )
    assert as_operator.status_code == 403
    # User ids are UUIDs: another shape is bad input, an unknown UUID is not found.
    assert (await a.client.get(f"{MAPPINGS}/no-such-user", headers=operator)).status_code == 422
    assert (await a.client.get(f"{MAPPINGS}/{uuid.uuid4()}", headers=operator)).status_code == 404

    first = (
        await a.client.get(MAPPINGS, params={"phone_number_id": number, "wa_id": wa_ids[0]}, headers=operator)
    ).json()
    user_id = first["items"][0]["user_id"]
    assert (await a.client.patch(f"{MAPPINGS}/{user_id}", json={}, headers=admin)).status_code == 400
    cleared = await a.client.patch(f"{MAPPINGS}/{user_id}", json={"wa_id": None}, headers=admin)
    assert cleared.status_code == 400
    taken = await a.client.patch(f"{MAPPINGS}/{user_id}", json={"wa_id": wa_ids[1]}, headers=admin)
    assert taken.status_code == 409
    assert (await a.client.delete(f"{MAPPINGS}/{uuid.uuid4()}", headers=admin)).status_code == 404

    pages = [
        (
            await a.client.get(
                MAPPINGS, params={"phone_number_id": number, "limit": 2, "offset": offset}, headers=operator
            )
        ).json()
        for offset in (0, 2)
    ]
    assert [p["total"] for p in pages] == [3, 3]
    assert sorted(m["wa_id"] for p in pages for m in p["items"]) == wa_ids
    assert (await a.client.get(MAPPINGS, params={"limit": 0}, headers=operator)).status_code == 422
    assert (await a.client.get(MAPPINGS, headers=auth(Role.ANALYST))).status_code == 403


async def test_admin_reads_refuse_out_of_range_pages_and_nul_bytes_with_422(
    pair: tuple[Gateway, Gateway],
) -> None:
    """The probe's 500s (an offset past int64, a NUL in a filter) and 503 (a NUL in another): bad
    input is a 422 that names the parameter, never a server error or a fake outage."""
    a, _b = pair
    operator = auth(Role.OPERATOR)
    cases = {
        "offset past int64": (MAPPINGS, {"offset": str(2**63)}),
        "huge offset": ("/api/v1/gateway/unregistered", {"offset": str(2**70)}),
        "NUL in phone_number_id": (MAPPINGS, {"phone_number_id": "1\x00"}),
        "NUL in username": (MAPPINGS, {"username": "ana\x00"}),
        "NUL in bsuid": (MAPPINGS, {"bsuid": "US.1\x00"}),
        "NUL in source": (MAPPINGS, {"source": "\x00"}),
        "NUL in unregistered filter": ("/api/v1/gateway/unregistered", {"phone_number_id": "\x00"}),
        "NUL in numbers filter": ("/api/v1/gateway/numbers", {"app_id": "a\x00"}),
        "NUL in dead-letter queue": ("/api/v1/gateway/dead-letters", {"queue": "\x00"}),
    }
    for case, (path, params) in cases.items():
        response = await a.client.get(path, params=params, headers=operator)
        assert response.status_code == 422, (case, response.status_code, response.text)


async def test_errors_are_problem_details_as_the_openapi_documents(pair: tuple[Gateway, Gateway]) -> None:
    """A 422 body matches the documented schema: RFC 9457 problem details, ``detail`` a sentence
    and ``errors`` one entry per field (the probe saw ``detail`` a string where the spec said list)."""
    a, _b = pair
    refused = await a.client.get(MAPPINGS, params={"offset": "-1"}, headers=auth(Role.OPERATOR))
    assert refused.status_code == 422
    assert refused.headers["content-type"].startswith("application/problem+json")
    body = refused.json()
    assert (body["status"], body["title"], body["instance"]) == (422, "Unprocessable Entity", MAPPINGS)
    assert isinstance(body["detail"], str)
    assert [e["loc"] for e in body["errors"]] == [["query", "offset"]]
    unknown = await a.client.get(f"{MAPPINGS}/{uuid.uuid4()}", headers=auth(Role.OPERATOR))
    assert unknown.headers["content-type"].startswith("application/problem+json")
    assert unknown.json()["status"] == 404

    spec = (await a.client.get("/openapi.json")).json()
    documented = spec["paths"][MAPPINGS]["get"]["responses"]
    for status in ("401", "403", "422"):
        assert documented[status]["content"] == {
            "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}
        }, status
