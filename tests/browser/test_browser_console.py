"""The operations console in a real browser, on a real analytics (RabbitMQ and PostgreSQL):
sign-in, the figures pages with real data, the live view moving without a reload, what an
analyst may not do, and no request to any other origin. The operations pages (workers, health of
the system, dead letters of every service, numbers, audit) are in test_browser_operations.py, on
a whole stack.

``TASKLANE_CONSOLE_SCREENSHOTS=<dir>`` also saves a PNG of each page there (docs/console/).
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from browser_helpers import (
    KEYS,
    Recorded,
    T,
    auth_settings,
    checked_context,
    offline_context,
    serving,
    shoot,
    sign_in,
)
from browser_helpers import eventually as helpers_eventually
from playwright.async_api import Browser, BrowserContext, Page, expect
from pydantic import SecretStr
from sqlalchemy import func, select

from tasklane_analytics.app import create_app
from tasklane_analytics.eventlog.tables import events
from tasklane_analytics.settings import AnalyticsSettings
from tasklane_common.auth import new_key
from tasklane_common.messaging import Envelope, new_envelope
from tasklane_common.messaging.contracts.gateway import MessageReceived
from tasklane_common.messaging.contracts.sender import MessageFailed, MessageSent
from tasklane_common.messaging.topology import ANALYTICS_EVENTS
from tasklane_common.runtime import ServiceRuntime
from tasklane_common.settings import Role
from tasklane_common.testing import cleanup_run, new_run_id, real_settings


@dataclass
class Console:
    origin: str
    runtime: ServiceRuntime


@pytest.fixture(scope="module")
async def console() -> AsyncIterator[Console]:
    rid = new_run_id()
    auth = auth_settings()
    settings = real_settings(
        AnalyticsSettings, rid, "analytics", auth=auth, pseudonym_key=SecretStr("console-pseudonym-key")
    )
    app = create_app(settings)
    try:
        async with serving(app, lifespan=True) as origin:
            yield Console(origin, app.state.runtime)
    finally:
        await cleanup_run(rid)


@pytest.fixture
async def browsing(browser: Browser, console: Console) -> AsyncIterator[tuple[BrowserContext, Recorded]]:
    async with checked_context(browser, console.origin) as opened:
        yield opened


async def eventually(check: Callable[[], Awaitable[T | None]], *, tries: int = 200) -> T:
    return await helpers_eventually(check, tries=tries, every_s=0.05)


def turn(i: int, *, failed: bool = False) -> list[Envelope]:
    at = datetime.now(UTC) - timedelta(seconds=40 - i)
    received = new_envelope(
        MessageReceived(
            wamid=f"w{i}-{new_key()[:8]}",
            phone_number_id="pn",
            user_id="u",
            message_type="text",
            text="secret words",
            sent_at=at,
            received_at=at,
        ),
        producer="gateway",
        occurred_at=at,
    )
    common = {"reply_id": f"r{i}", "wamid": f"o{i}", "phone_number_id": "pn", "to": "15550001111"}
    reply_at = at + timedelta(milliseconds=400)
    outcome = (
        MessageFailed(**common, at=reply_at, reason="undeliverable", error_code=131026)
        if failed
        else MessageSent(**common, at=reply_at)
    )
    return [
        received,
        new_envelope(outcome, producer="sender", correlation_id=received.id, occurred_at=reply_at),
    ]


async def recorded(runtime: ServiceRuntime, event_id: str) -> bool:
    """Whether analytics has the event in its log."""
    async with runtime.db.read() as session:
        query = select(func.count()).where(events.c.event_id == event_id)
        return int((await session.execute(query)).scalar_one()) > 0


async def test_a_bad_key_is_refused_and_a_good_one_signs_in_and_out(
    browsing: tuple[BrowserContext, Recorded],
) -> None:
    context, _ = browsing
    page = await context.new_page()
    await page.goto("/console/overview")
    await expect(page).to_have_url(re.compile(r"/console/sign-in$"))
    await shoot(page, "sign-in")
    await page.fill("#key", "tl_" + "x" * 43)
    await page.click("button[type=submit]")
    await expect(page.get_by_role("alert")).to_contain_text("not one this console knows")
    await expect(page.get_by_test_id("role")).to_have_count(0)

    await sign_in(page, Role.OPERATOR)
    await expect(page).to_have_url(re.compile(r"/console/overview$"))
    [cookie] = [c for c in await context.cookies() if c["name"] == "tl_console"]
    assert cookie["httpOnly"]
    assert cookie["sameSite"] == "Strict"
    assert KEYS[Role.OPERATOR] not in cookie["value"]
    # Scripts cannot read it either.
    assert "tl_console" not in await page.evaluate("document.cookie")

    await page.click("text=Sign out")
    await expect(page).to_have_url(re.compile(r"/console/sign-in$"))
    await page.goto("/console/overview")
    await expect(page).to_have_url(re.compile(r"/console/sign-in$"))


async def test_every_page_renders_with_the_stack_s_data(
    browsing: tuple[BrowserContext, Recorded], console: Console
) -> None:
    events = turn(1) + turn(2) + turn(3, failed=True)
    await console.runtime.publish(events)
    await eventually(lambda: recorded(console.runtime, events[-1].id))
    context, _ = browsing
    page = await context.new_page()
    await sign_in(page, Role.ADMIN)

    response = await page.goto("/console/overview")
    assert response is not None
    assert "script-src 'self'" in response.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    api = await page.request.get(
        "/api/v1/analytics/summary", headers={"Authorization": f"Bearer {KEYS[Role.ADMIN]}"}
    )
    summary = await api.json()
    assert summary["messages_received"] >= 3
    await expect(page.get_by_test_id("messages_received")).to_have_text(str(summary["messages_received"]))
    await expect(page.get_by_test_id("messages_failed")).to_have_text(str(summary["messages_failed"]))
    await expect(page.get_by_test_id("unique_users")).to_have_text(str(summary["unique_users"]))
    await expect(page.get_by_test_id("failed-by-code")).to_contain_text("131026")
    # The chart drew (uPlot's canvas) from the same figures the API gives.
    chart = page.get_by_test_id("hourly-chart")
    await expect(chart.locator("canvas")).to_have_count(1)
    data: dict[str, Any] = await chart.evaluate("el => JSON.parse(el.dataset.chart)")
    assert sum(data["series"]["received"]) == summary["messages_received"]
    assert sum(data["series"]["failed"]) == summary["messages_failed"]
    await shoot(page, "overview")

    await page.click("nav >> text=Health")
    await expect(page.get_by_test_id("health-analytics").get_by_test_id("status")).to_have_text("ok")
    await expect(page.get_by_text(ANALYTICS_EVENTS.name, exact=False).first).to_be_visible()
    await shoot(page, "health")

    await page.click("nav >> text=Live")
    await expect(page.locator(f"[data-event-id='{events[0].id}']")).to_be_visible()
    await expect(page.get_by_test_id("live-counts")).to_contain_text("message.received")
    # No message text anywhere on the page.
    assert "secret words" not in await page.content()
    await shoot(page, "live")

    await page.click("nav >> text=Per number")
    row = page.get_by_test_id("number-pn")
    await expect(row.get_by_test_id("messages_failed")).to_have_text(str(summary["messages_failed"]))
    await shoot(page, "per-number")

    # From the count of a failure code down to the failed messages behind it.
    await page.click("nav >> text=Failures")
    code = page.get_by_test_id("code-131026")
    await expect(code).to_contain_text(str(summary["failed_by_error_code"]["131026"]))
    await code.get_by_role("link").click()
    failed = page.get_by_test_id("failed-message")
    await expect(failed).to_have_count(summary["failed_by_error_code"]["131026"])
    await expect(failed.first).to_contain_text("undeliverable")
    await shoot(page, "failures")

    await page.click("nav >> text=Dead letters")
    await expect(page.get_by_test_id("dead-letters")).to_be_visible()


async def test_an_event_published_now_shows_up_live_without_a_reload(
    browsing: tuple[BrowserContext, Recorded], console: Console
) -> None:
    context, _ = browsing
    page = await context.new_page()
    await sign_in(page, Role.ANALYST)
    await page.goto("/console/live")
    await expect(page.get_by_test_id("as-of")).to_be_visible()
    await page.evaluate("window.stillTheSamePage = true")
    fresh = turn(29)
    await console.runtime.publish(fresh)
    await expect(page.locator(f"[data-event-id='{fresh[0].id}']")).to_be_visible(timeout=15_000)
    assert await page.evaluate("window.stillTheSamePage === true")


async def _csrf_of(page: Page) -> str:
    headers: dict[str, str] = await page.evaluate("JSON.parse(document.body.getAttribute('hx-headers'))")
    return headers["X-CSRF-Token"]


async def test_an_analyst_sees_no_operator_controls_and_forged_posts_are_refused(
    browser: Browser, console: Console
) -> None:
    async with offline_context(browser, console.origin) as (context, seen):
        page = await context.new_page()
        await sign_in(page, Role.ANALYST)
        nav = page.get_by_role("navigation", name="Pages")
        await expect(nav).to_contain_text("Overview")
        await expect(nav.get_by_text("Dead letters")).to_have_count(1)
        for path in ("/console/overview", "/console/live", "/console/health", "/console/dead-letters"):
            await page.goto(path)
            await expect(page.get_by_role("button", name="Replay")).to_have_count(0)
        # The analyst's own valid session and token do not make a replay theirs to do.
        token = await _csrf_of(page)
        as_analyst = await page.request.post(
            "/console/dead-letters/analytics/1/replay", headers={"X-CSRF-Token": token}
        )
        assert as_analyst.status == 403
        assert seen.elsewhere == []
        assert seen.errors == []

    async with offline_context(browser, console.origin) as (context, seen):
        page = await context.new_page()
        await sign_in(page, Role.OPERATOR)
        await page.goto("/console/dead-letters")
        token = await _csrf_of(page)
        url = "/console/dead-letters/analytics/999999/replay"
        no_token = await page.request.post(url)
        wrong_token = await page.request.post(url, headers={"X-CSRF-Token": "x" + token[1:]})
        elsewhere = await page.request.post(
            url, headers={"X-CSRF-Token": token, "Origin": "https://evil.example"}
        )
        allowed = await page.request.post(url, headers={"X-CSRF-Token": token})
        assert (no_token.status, wrong_token.status, elsewhere.status) == (403, 403, 403)
        assert allowed.status == 404  # past every check: there is just no such dead letter
        assert seen.elsewhere == []
