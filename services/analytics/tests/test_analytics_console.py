"""The console over plain HTTP, in the embedded mode's setting (in-memory broker, SQLite): the
pages render there too, carry their security headers, and refuse actions without the session's
CSRF token. The browser tests (tests/browser) cover the same on RabbitMQ and PostgreSQL."""

from __future__ import annotations

import asyncio
import re
import time
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from pydantic import SecretStr

from tasklane_analytics.app import create_app
from tasklane_analytics.console.session import Session, SessionSigner
from tasklane_analytics.settings import AnalyticsSettings
from tasklane_common.auth import hash_key, new_key
from tasklane_common.messaging import Envelope, new_envelope
from tasklane_common.messaging.contracts.gateway import MessageReceived
from tasklane_common.messaging.contracts.sender import MessageSent
from tasklane_common.messaging.memory import InMemoryBroker
from tasklane_common.settings import ApiKey, AuthSettings, Role
from tasklane_common.testing import memory_settings, running

KEYS = {role: new_key() for role in Role}
AUTH = AuthSettings(api_keys=[ApiKey(name=r, role=r, sha256=hash_key(k)) for r, k in KEYS.items()])


@pytest.fixture
async def app(tmp_path: Path) -> AsyncIterator[FastAPI]:
    name = f"console-{uuid.uuid4().hex[:8]}"
    settings = memory_settings(
        AnalyticsSettings,
        name,
        str(tmp_path / "a.db"),
        auth=AUTH,
        pseudonym_key=SecretStr("console-test-key-16"),
    )
    app = create_app(settings)
    try:
        async with running(app):
            now = datetime.now(UTC)
            await app.state.runtime.publish([_received("w1", now)])
            yield app
    finally:
        InMemoryBroker.forget(name)


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://analytics") as c:
        yield c


def _received(wamid: str, at: datetime, *, correlation_id: str | None = None) -> Envelope:
    received = MessageReceived(
        wamid=wamid,
        phone_number_id="p",
        user_id="u",
        message_type="text",
        text="hi",
        sent_at=at,
        received_at=at,
    )
    return new_envelope(received, producer="gateway", occurred_at=at, correlation_id=correlation_id)


def _csrf(html: str) -> str:
    match = re.search(r'name="csrf" value="([^"]+)"', html)
    assert match, "no CSRF field on the page"
    return match.group(1)


async def _sign_in(client: httpx.AsyncClient, role: Role) -> str:
    form = await client.get("/console/sign-in")
    response = await client.post("/console/sign-in", data={"key": KEYS[role], "csrf": _csrf(form.text)})
    assert response.status_code == 303
    page = await client.get("/console/overview")
    assert page.status_code == 200
    return _csrf(page.text)


async def test_pages_render_on_sqlite_with_their_security_headers(client: httpx.AsyncClient) -> None:
    assert (await client.get("/console/overview")).headers["location"] == "/console/sign-in"
    await _sign_in(client, Role.OPERATOR)
    for path in (
        "/console/overview",
        "/console/live",
        "/console/live/feed",
        "/console/health",
        "/console/workers",
        "/console/workers/table",
        "/console/dead-letters",
        "/console/dead-letters?service=agent&q=x&waiting=1",
        "/console/dead-letters?service=&q=&waiting=&offset=0",
        "/console/numbers",
        "/console/numbers/table",
        "/console/alerts",
        "/console/alerts/table",
        "/console/audit",
        "/console/audit?service=analytics&since=2026-01-01T00:00",
        "/console/audit?service=&actor=&since=",
        "/console/per-number",
        "/console/failures",
        "/console/failures?code=131026",
        "/console/overview?period=30d&zone=Asia/Kolkata",
        "/console/trends",
        "/console/trends?metric=unique_users&granularity=week&zone=Europe/Madrid&period=90d&group_by=number",
        "/console/trends/csv?metric=received&granularity=day&zone=Europe/Madrid",
        "/console/outcomes",
        "/console/outcomes?period=12m&zone=America/New_York",
    ):
        response = await client.get(path)
        assert response.status_code == 200, path
        assert "script-src 'self'" in response.headers["content-security-policy"]
        assert response.headers["x-frame-options"] == "DENY"
        assert response.headers["cache-control"] == "no-store"
    feed = await client.get("/console/live/feed")
    assert "message.received" in feed.text
    assert ">hi<" not in feed.text


async def test_alerts_are_evaluated_and_shown_on_sqlite_too(app: FastAPI, client: httpx.AsyncClient) -> None:
    # The embedded mode's database has no row locks: one process, one evaluator.
    await app.state.alerts.round()
    await app.state.alerts.round()
    await _sign_in(client, Role.ANALYST)
    page = await client.get("/console/alerts")
    assert page.status_code == 200
    # Only analytics runs: the agent's queue has no consumer (the rule's hold is 10 minutes).
    assert 'data-testid="alert-TasklaneQueueWithoutConsumers" data-state="pending"' in page.text
    assert "queue=agent.inbound" in page.text


async def _feed_shows(client: httpx.AsyncClient, text: str) -> str:
    deadline = time.monotonic() + 10
    while text not in (feed := (await client.get("/console/live/feed")).text):
        assert time.monotonic() < deadline, f"the live feed never showed {text!r}"
        await asyncio.sleep(0.05)
    return feed


async def test_the_live_view_counts_turns_awaiting_a_reply_until_one_is_accepted(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    await _sign_in(client, Role.ANALYST)
    # The fixture's message waits; a second one arrives 40 s ago and is answered later.
    await _feed_shows(client, 'data-testid="in-flight">1<')
    then = datetime.now(UTC) - timedelta(seconds=40)
    await app.state.runtime.publish([_received("w2", then, correlation_id="turn-2")])
    feed = await _feed_shows(client, 'data-testid="in-flight">2<')
    assert re.search(r'data-testid="oldest-wait">(4\d|5\d) s<', feed), "the oldest wait is the 40 s one"
    sent = MessageSent(reply_id="r2", wamid="wamid.r2", phone_number_id="p", to="u", at=datetime.now(UTC))
    await app.state.runtime.publish([new_envelope(sent, producer="sender", correlation_id="turn-2")])
    feed = await _feed_shows(client, 'data-testid="in-flight">1<')
    # Each queue analytics consumes is listed with its depth, as the workers view has it.
    assert 'data-testid="queue-analytics.events"' in feed


async def test_sign_in_without_the_form_s_token_is_refused(client: httpx.AsyncClient) -> None:
    await client.get("/console/sign-in")
    response = await client.post("/console/sign-in", data={"key": KEYS[Role.ADMIN]})
    assert response.status_code == 403
    assert (await client.get("/console/overview")).status_code == 303  # still signed out


async def test_an_analyst_may_look_but_not_steer_even_with_a_valid_token(client: httpx.AsyncClient) -> None:
    token = await _sign_in(client, Role.ANALYST)
    for path in ("/console/dead-letters", "/console/workers", "/console/numbers"):
        page = await client.get(path)
        assert page.status_code == 200, path
        assert "hx-post" not in page.text, path
    headers = {"X-CSRF-Token": token}
    for action in (
        "/console/dead-letters/analytics/1/replay",
        "/console/dead-letters/analytics/1/delete",
        "/console/workers/agent.inbound/pause",
        "/console/numbers/pn/pause",
    ):
        assert (await client.post(action, headers=headers)).status_code == 403, action
    replay_all = await client.post("/console/dead-letters/replay", data={"service": "agent", "csrf": token})
    assert replay_all.status_code == 403


async def test_a_bad_filter_is_a_clear_4xx_page(client: httpx.AsyncClient) -> None:
    await _sign_in(client, Role.OPERATOR)
    for path in (
        "/console/dead-letters?service=nobody",
        "/console/failures?code=abc",
        "/console/dead-letters/nobody/1",
        "/console/workers/no.such.queue/pause",
    ):
        response = await client.get(path) if "pause" not in path else await client.post(path)
        assert 400 <= response.status_code < 500, path


async def test_a_tampered_or_foreign_session_cookie_is_no_session(client: httpx.AsyncClient) -> None:
    await _sign_in(client, Role.ANALYST)
    cookie = client.cookies["tl_console"]
    body, _, mac = cookie.partition(".")
    for forged in (body + "." + mac[::-1], body[:-2] + "." + mac, "garbage", body):
        client.cookies.set("tl_console", forged, path="/console")
        assert (await client.get("/console/overview")).status_code == 303, forged


async def test_a_poll_after_the_session_ended_sends_the_page_to_sign_in(client: httpx.AsyncClient) -> None:
    response = await client.get("/console/live/feed", headers={"HX-Request": "true"})
    assert response.status_code == 401
    assert response.headers["hx-redirect"] == "/console/sign-in"


def test_a_session_past_its_end_is_over() -> None:
    signer = SessionSigner(b"k" * 32, lifetime_s=60)
    session = signer.new("ab" * 32)
    assert signer.load(signer.dump(session)) == session
    ended = Session(csrf=session.csrf, expires_at=int(time.time()) - 1, key_sha256=session.key_sha256)
    assert signer.load(signer.dump(ended)) is None
    # Another secret (another deployment) signed it: not ours.
    assert SessionSigner(b"o" * 32, lifetime_s=60).load(signer.dump(session)) is None
