"""The console's operations pages in a real browser, on a whole stack (the four services in this
process on the real RabbitMQ and PostgreSQL, heartbeating every 0.3 s): workers, the system's
health, dead letters of every service, numbers and breakers (a number paused and resumed by
clicking), the audit trail. Pausing and resuming a queue by clicking shows in the workers view
and holds the agent's work; a dead letter is replayed from the all-services page by clicking
(after a dry run); an analyst sees none of the operators' buttons; no page asks anything of
another origin.

``TASKLANE_CONSOLE_SCREENSHOTS=<dir>`` also saves a PNG of each page there (docs/console/).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
from browser_helpers import Recorded, T, auth_settings, checked_context, serving, shoot, sign_in
from browser_helpers import eventually as helpers_eventually
from playwright.async_api import Browser, BrowserContext, Page, expect
from pydantic import SecretStr

from tasklane_analytics.alerts.settings import AlertSettings
from tasklane_common.auth import new_key
from tasklane_common.messaging import new_envelope
from tasklane_common.messaging.broker import OutgoingMessage
from tasklane_common.messaging.contracts.gateway import MessageReceived
from tasklane_common.messaging.topology import ANALYTICS_EVENTS, dead_letter_queue
from tasklane_common.settings import (
    Role,
    TelemetrySettings,
)
from tasklane_common.testing import cleanup_run, new_run_id, real_stack
from tasklane_stack.embedded import EmbeddedStack, in_process_stack

USER = "5511966660001"


@dataclass
class Stack:
    origin: str
    s: EmbeddedStack


def _settings(run_id: str) -> Callable[[str], dict[str, Any]]:
    return real_stack(
        run_id,
        delivery_limit=2,
        telemetry=TelemetrySettings(enabled=False),
        control_interval_s=0.3,
        auth=auth_settings(),
        per_service={
            "analytics": {
                "pseudonym_key": SecretStr("console-pseudonym-key"),
                # Alerts fire as soon as their condition holds (no rule's hold).
                "alerts": AlertSettings(interval_s=0.3, warmup_s=0.5, hold_s={"*": 0}),
            }
        },
    )


@pytest.fixture(scope="module")
async def stack() -> AsyncIterator[Stack]:
    run_id = new_run_id()
    try:
        async with AsyncExitStack() as opened:
            s = await opened.enter_async_context(in_process_stack(_settings(run_id)))
            # The stack already runs the apps' lifespans: serve analytics as it is.
            origin = await opened.enter_async_context(serving(s.apps["analytics"], lifespan=False))
            yield Stack(origin, s)
    finally:
        await cleanup_run(run_id)


@pytest.fixture
async def browsing(browser: Browser, stack: Stack) -> AsyncIterator[tuple[BrowserContext, Recorded]]:
    async with checked_context(browser, stack.origin) as opened:
        yield opened


async def eventually(check: Callable[[], Awaitable[T | None]], *, tries: int = 300) -> T:
    return await helpers_eventually(check, tries=tries, every_s=0.1)


def accept_next_dialog(page: Page) -> None:
    page.once("dialog", lambda dialog: asyncio.ensure_future(dialog.accept()))


async def test_the_operations_pages_render_with_the_stack_s_data(
    browsing: tuple[BrowserContext, Recorded], stack: Stack
) -> None:
    replies = await stack.s.chat("What are my tasks?", from_=USER)
    assert replies
    context, _ = browsing
    page = await context.new_page()
    await sign_in(page, Role.ADMIN)

    await page.click("nav >> text=Workers")
    agent = page.get_by_test_id("worker-agent.inbound")
    await expect(agent.get_by_test_id("replicas")).to_have_text("1/1")
    await expect(agent.get_by_test_id("state")).to_have_text("consuming")
    for queue in ("sender.replies", "sender.statuses", ANALYTICS_EVENTS.name):
        await expect(page.get_by_test_id(f"worker-{queue}").get_by_test_id("replicas")).to_have_text("1/1")
    await expect(agent.get_by_role("button", name="Pause")).to_be_visible()
    await shoot(page, "workers")

    await page.click("nav >> text=Health")
    for service in ("gateway", "agent", "sender", "analytics"):
        await expect(page.get_by_test_id(f"service-{service}").get_by_test_id("ready")).to_have_text("1")
    await expect(page.get_by_test_id("check-database")).to_have_text("up")
    await expect(page.get_by_test_id("check-queue")).to_contain_text("up")
    await shoot(page, "health")

    await page.click("nav >> text=Numbers")
    await expect(page.get_by_test_id("numbers")).to_be_visible()
    await shoot(page, "numbers")
    # The number that just replied, paused and resumed by clicking.
    number = page.locator("[data-testid^=number-]").filter(has=page.get_by_role("button", name="Pause"))
    await expect(number.get_by_test_id("state")).to_have_text("sending")
    accept_next_dialog(page)
    await number.get_by_role("button", name="Pause").click()
    await expect(page.get_by_test_id("number-result")).to_contain_text("sent to 1 sender replica")
    paused = page.locator("[data-testid^=number-]").filter(has=page.get_by_role("button", name="Resume"))
    await expect(paused.get_by_test_id("state")).to_have_text("paused", timeout=15_000)
    # The table has refreshed itself since: the operator can still read what the click did.
    await expect(page.get_by_test_id("number-result")).to_contain_text("sent to 1 sender replica")
    await paused.get_by_role("button", name="Resume").click()
    await expect(page.locator("[data-testid^=number-]").get_by_test_id("state")).to_have_text(
        "sending", timeout=15_000
    )

    await page.click("nav >> text=Per number")
    await expect(page.get_by_test_id("per-number").locator("tbody tr").first).to_contain_text("1")


async def test_an_operator_pauses_and_resumes_a_queue_by_clicking(
    browsing: tuple[BrowserContext, Recorded], stack: Stack
) -> None:
    context, _ = browsing
    page = await context.new_page()
    await sign_in(page, Role.OPERATOR)
    await page.goto("/console/workers")
    await page.evaluate("window.stillTheSamePage = true")
    agent = page.get_by_test_id("worker-agent.inbound")
    await expect(agent.get_by_test_id("state")).to_have_text("consuming")

    accept_next_dialog(page)
    await agent.get_by_role("button", name="Pause").click()
    await expect(page.get_by_test_id("worker-result")).to_contain_text("sent to 1 replica")
    await expect(agent.get_by_test_id("state")).to_have_text("paused", timeout=15_000)
    await expect(agent.get_by_test_id("replicas")).to_have_text("0/1")

    # Paused, the agent's work waits in its queue: the webhook is answered, nothing replied, and
    # the workers view shows the depth.
    user = "5511966660002"
    answered = await stack.s.simulator.inject_text(user, "What are my tasks?")
    assert answered.status_code == 200
    await expect(agent.get_by_test_id("depth")).to_have_text("1", timeout=15_000)
    assert stack.s.simulator.sent_messages(to=user) == []

    await agent.get_by_role("button", name="Resume").click()
    await expect(agent.get_by_test_id("state")).to_have_text("consuming", timeout=15_000)
    await stack.s.simulator.wait_for_message(user, count=1, timeout=30)
    await expect(agent.get_by_test_id("depth")).to_have_text("0", timeout=15_000)
    assert await page.evaluate("window.stillTheSamePage === true")
    assert len(stack.s.simulator.sent_messages(to=user)) == 1

    # Both clicks are in the audit trail, with who did them.
    await page.click("nav >> text=Audit")
    await page.fill("input[name=actor]", "operator-1")
    await page.click("text=Filter")
    trail = page.get_by_test_id("audit")
    await expect(trail).to_contain_text("command.pause")
    await expect(trail).to_contain_text("command.resume")
    await expect(trail).to_contain_text("agent.inbound")
    await shoot(page, "audit")


async def test_a_dead_letter_of_any_service_is_replayed_from_the_console_by_clicking(
    browsing: tuple[BrowserContext, Recorded], stack: Stack
) -> None:
    runtime = stack.s.apps["analytics"].state.runtime
    poison = new_envelope(
        MessageReceived(
            wamid=f"w-{new_key()[:8]}",
            phone_number_id="pn",
            user_id="u",
            message_type="text",
            text="secret words",
            sent_at=datetime.now(UTC),
            received_at=datetime.now(UTC),
        ),
        producer="gateway",
    )
    message = OutgoingMessage(
        routing_key=poison.type,
        body=poison.to_bytes(),
        message_id=poison.id,
        headers={"x-tasklane-reason": "injected by the test"},
    )
    await runtime.broker.publish_to_queue(dead_letter_queue(ANALYTICS_EVENTS.name), [message])

    context, _ = browsing
    page = await context.new_page()
    await sign_in(page, Role.OPERATOR)

    async def listed() -> str | None:
        await page.goto("/console/dead-letters?q=injected+by+the+test")
        rows = page.locator("[data-testid^=letter-analytics-]")
        return await rows.first.get_attribute("data-testid") if await rows.count() else None

    testid = await eventually(listed)
    row = page.get_by_test_id(testid)
    await expect(row).to_contain_text("injected by the test")
    await shoot(page, "dead-letters")

    # Inspect it: reason and headers (never the body).
    await row.get_by_role("link").click()
    await expect(page.get_by_test_id("reason")).to_contain_text("injected by the test")
    await expect(page.get_by_test_id("headers")).to_contain_text("x-tasklane-reason")
    assert "secret words" not in await page.content()
    await shoot(page, "dead-letter")
    await page.go_back()

    # A dry run names it and replays nothing.
    form = page.get_by_test_id("replay-all")
    await form.locator("select[name=service]").select_option("analytics")
    await form.get_by_role("button", name="Replay all").click()
    letter_id = testid.rsplit("-", 1)[1]
    await expect(page.get_by_test_id("result")).to_contain_text(f"would be replayed ({letter_id})")
    await page.reload()
    await expect(page.get_by_test_id(testid).get_by_test_id("replays")).to_have_text("0")

    row = page.get_by_test_id(testid)
    accept_next_dialog(page)
    await row.get_by_role("button", name="Replay").click()
    await expect(row.get_by_test_id("row-result")).to_contain_text("replay sent to analytics")

    async def replayed() -> bool:
        await page.reload()
        return await page.get_by_test_id(testid).get_by_test_id("replayed").count() == 1

    await eventually(replayed)
    await expect(page.get_by_test_id(testid).get_by_test_id("replays")).to_have_text("1")
    await expect(page.get_by_test_id(testid).get_by_role("button", name="Replay")).to_have_count(0)


async def test_an_analyst_sees_the_operations_pages_but_no_operator_button(
    browsing: tuple[BrowserContext, Recorded], stack: Stack
) -> None:
    context, _ = browsing
    page = await context.new_page()
    await sign_in(page, Role.ANALYST)
    for path, shown in (
        ("/console/workers", "worker-agent.inbound"),
        ("/console/dead-letters", "dead-letters"),
        ("/console/numbers", "numbers"),
        ("/console/audit", "audit"),
        ("/console/health", "services"),
        ("/console/alerts", "firing-count"),
    ):
        await page.goto(path)
        await expect(page.get_by_test_id(shown)).to_be_visible()
        for name in ("Pause", "Resume", "Replay", "Replay all", "Delete"):
            await expect(page.get_by_role("button", name=name, exact=True)).to_have_count(0)
    # And the server refuses them anyway.
    token: str = (await page.evaluate("JSON.parse(document.body.getAttribute('hx-headers'))"))["X-CSRF-Token"]
    refused = await page.request.post("/console/workers/agent.inbound/pause", headers={"X-CSRF-Token": token})
    assert refused.status == 403


async def test_the_alerts_page_shows_a_dead_letter_alert_as_it_fires(
    browsing: tuple[BrowserContext, Recorded], stack: Stack
) -> None:
    context, _ = browsing
    page = await context.new_page()
    await sign_in(page, Role.ANALYST)
    await page.click("nav >> text=Alerts")
    await expect(page.get_by_test_id("firing-count")).to_be_visible()

    # A message dies in analytics' own queue: the owner stores it, analytics' view learns of it
    # and the page, refreshing itself, shows the alert without a reload.
    runtime = stack.s.apps["analytics"].state.runtime
    dead = new_envelope(
        MessageReceived(
            wamid=f"w-{new_key()[:8]}",
            phone_number_id="pn",
            user_id="u",
            message_type="text",
            text="words",
            sent_at=datetime.now(UTC),
            received_at=datetime.now(UTC),
        ),
        producer="gateway",
    )
    message = OutgoingMessage(
        routing_key=dead.type,
        body=dead.to_bytes(),
        message_id=dead.id,
        headers={"x-tasklane-reason": "alerts page test"},
    )
    await runtime.broker.publish_to_queue(dead_letter_queue(ANALYTICS_EVENTS.name), [message])
    row = page.get_by_test_id("alerts-firing").get_by_test_id("alert-TasklaneDeadLettersGrowing")
    await expect(row).to_be_visible(timeout=30_000)
    await expect(row.get_by_test_id("severity")).to_have_text("warning")
    await expect(row.get_by_test_id("labels")).to_contain_text("queue=analytics.events")
    link = row.get_by_test_id("runbook")
    assert (await link.get_attribute("href") or "").endswith("docs/metrics.md#dead-letters")
    await expect(page.get_by_role("button")).to_have_count(1)  # sign out, nothing else
    await shoot(page, "alerts")
