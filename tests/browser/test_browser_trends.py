"""The trends and outcomes pages in a real browser, on a real analytics (RabbitMQ, PostgreSQL):
an analyst picks a figure, Madrid's zone and the days around the night summer time ends there,
and the chart plots exactly the series API's answer for that query, labelled in Madrid's time;
the CSV link downloads the API's own CSV; the outcomes page shows the summary API's figures.

``TASKLANE_CONSOLE_SCREENSHOTS=<dir>`` also saves a PNG of each page there (docs/console/).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest
from browser_helpers import KEYS, Recorded, auth_settings, checked_context, serving, shoot, sign_in
from playwright.async_api import Browser, BrowserContext, Page, expect
from pydantic import SecretStr

from tasklane_analytics.app import create_app
from tasklane_analytics.settings import AnalyticsSettings
from tasklane_common.messaging import Envelope, new_envelope
from tasklane_common.messaging.contracts.agent import AgentReplied, ReplyRequested, TaskCompleted, TaskCreated
from tasklane_common.messaging.contracts.gateway import MessageReceived
from tasklane_common.messaging.contracts.sender import MessageFailed, MessageSent
from tasklane_common.runtime import ServiceRuntime
from tasklane_common.settings import Role
from tasklane_common.testing import cleanup_run, new_run_id, real_settings

NUMBERS = ("106540000031", "106540000032")
# 2026-10-25 in Madrid: 03:00 CEST becomes 02:00 CET, a day of 25 hours.
DST_FROM = datetime(2026, 10, 23, 6, 0, tzinfo=UTC)
DST_MESSAGES = 40  # one every two hours, to 2026-10-26 12:00 UTC
HOUR = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)


@dataclass
class Console:
    origin: str
    runtime: ServiceRuntime


def _traffic() -> list[Envelope]:
    out: list[Envelope] = []
    for i in range(DST_MESSAGES):
        at = DST_FROM + timedelta(hours=2 * i, minutes=5)
        number = NUMBERS[i % 2]
        received = MessageReceived(
            wamid=f"bw{i}", phone_number_id=number, user_id=f"u{i % 3}", message_type="text",
            text="secret words", sent_at=at, received_at=at,
        )  # fmt: skip
        first = new_envelope(received, producer="gateway", occurred_at=at)
        common: dict[str, Any] = {"reply_id": f"br{i}", "phone_number_id": number, "to": f"u{i % 3}"}
        reply_at = at + timedelta(seconds=1)
        outcome = (
            MessageFailed(**common, at=reply_at, error_code=131026, reason="undeliverable")
            if i % 4 == 3
            else MessageSent(**common, wamid=f"bo{i}", at=reply_at)
        )
        out += [
            first,
            new_envelope(outcome, producer="sender", correlation_id=first.id, occurred_at=reply_at),
        ]
    # The assistant's outcomes: 4 tasks (2 done), 4 turns (1 not understood) and a reminder in
    # one hour three hours ago; 1 task the day before.
    for at, tasks in (
        (HOUR - timedelta(hours=3, minutes=-30), 4),
        (HOUR - timedelta(hours=27, minutes=-30), 1),
    ):
        for j in range(tasks):
            task = f"bt{at:%d%H}-{j}"
            out.append(
                new_envelope(
                    TaskCreated(task_id=task, user_id="u1", title="t"), producer="agent", occurred_at=at
                )
            )
            if j % 2:
                done = TaskCompleted(task_id=task, user_id="u1")
                out.append(new_envelope(done, producer="agent", occurred_at=at))
            replied = AgentReplied(
                user_id="u1", in_reply_to=f"in-{task}", intent="unknown" if j == 0 else "create_task",
                engine="rules", processing_ms=2.0, phone_number_id=NUMBERS[0], understood=j != 0,
            )  # fmt: skip
            out.append(new_envelope(replied, producer="agent", occurred_at=at))
    reminder = ReplyRequested(
        reply_id="brem", phone_number_id=NUMBERS[0], to="u1", user_id="u1", reminder="due"
    )
    out.append(new_envelope(reminder, producer="agent", occurred_at=HOUR - timedelta(hours=3, minutes=-30)))
    return out


@pytest.fixture(scope="module")
async def console() -> AsyncIterator[Console]:
    rid = new_run_id()
    settings = real_settings(
        AnalyticsSettings,
        rid,
        "analytics",
        auth=auth_settings(),
        pseudonym_key=SecretStr("trends-pseudonym-key"),
    )
    app = create_app(settings)
    try:
        async with serving(app, lifespan=True) as origin:
            runtime: ServiceRuntime = app.state.runtime
            events = _traffic()
            await runtime.publish(events)
            consumer = runtime.consumers[0]
            for _ in range(400):
                if consumer.handled + consumer.duplicates >= len(events):
                    break
                await asyncio.sleep(0.05)
            else:
                raise AssertionError("analytics did not take the events")
            yield Console(origin, runtime)
    finally:
        await cleanup_run(rid)


@pytest.fixture
async def browsing(browser: Browser, console: Console) -> AsyncIterator[tuple[BrowserContext, Recorded]]:
    async with checked_context(browser, console.origin) as opened:
        yield opened


async def _api(page: Page, route: str, params: list[tuple[str, str]]) -> Any:
    response = await page.request.get(
        f"/api/v1/analytics/{route}?{urlencode(params)}",
        headers={"Authorization": f"Bearer {KEYS[Role.ANALYST]}"},
    )
    assert response.ok, await response.text()
    return response


async def _query_of(page: Page) -> list[tuple[str, str]]:
    href = await page.get_by_test_id("csv").get_attribute("href")
    assert href is not None
    return parse_qsl(urlsplit(href).query)


async def test_the_trends_chart_plots_the_series_api_s_madrid_days_across_the_dst_change(
    browsing: tuple[BrowserContext, Recorded],
) -> None:
    context, _ = browsing
    page = await context.new_page()
    await sign_in(page, Role.ANALYST)
    await page.get_by_role("navigation", name="Pages").get_by_text("Trends").click()
    await expect(page.get_by_test_id("trend-chart").locator("canvas")).to_have_count(1)

    form = page.get_by_test_id("trends-form")
    await form.get_by_test_id("metric").select_option("received")
    await form.get_by_test_id("granularity").select_option("day")
    await form.get_by_test_id("zone").fill("Europe/Madrid")
    await form.get_by_test_id("from").fill("2026-10-23")
    await form.get_by_test_id("to").fill("2026-10-26")
    # Picking days turned the preset to "the dates given".
    await expect(form.get_by_test_id("period")).to_have_value("")
    await form.get_by_test_id("group-by").check()
    await form.get_by_role("button", name="Show").click()
    await expect(page.get_by_test_id("span")).to_contain_text(
        "2026-10-23 00:00 \N{EN DASH} 2026-10-27 00:00 Europe/Madrid"
    )

    asked = await _query_of(page)
    assert dict(asked)["zone"] == "Europe/Madrid"
    series = await (await _api(page, "series", asked)).json()
    chart = page.get_by_test_id("trend-chart")
    await expect(chart.locator("canvas")).to_have_count(1)
    # What uPlot plots: x (the buckets' starts) then one line per number.
    plotted: list[list[float | None]] = await chart.evaluate("el => el.uplot.data.map(s => Array.from(s))")
    points = series["lines"][0]["points"]
    assert plotted[0] == [datetime.fromisoformat(p["start"]).timestamp() for p in points]
    assert plotted[1:] == [[p["value"] for p in line["points"]] for line in series["lines"]]
    assert [line["phone_number_id"] for line in series["lines"]] == list(NUMBERS)
    [dst] = [p for p in points if p["start"] == "2026-10-25T00:00:00+02:00"]
    assert dst["end"] == "2026-10-26T00:00:00+01:00"
    assert sum(v or 0 for line in plotted[1:] for v in line) == DST_MESSAGES

    # The chart's time axis is Madrid's: the cursor on that day's bucket reads its local midnight.
    await chart.evaluate(
        "(el, t) => el.uplot.setCursor({left: el.uplot.valToPos(t, 'x'), top: 10})",
        datetime.fromisoformat(dst["start"]).timestamp(),
    )
    await expect(chart.locator(".u-legend .u-series").first).to_contain_text("2026-10-25 12:00am")
    await shoot(page, "trends")

    async with page.expect_download() as started:
        await page.get_by_test_id("csv").click()
    download = await started.value
    path = await download.path()
    from_api = await _api(page, "series", [*asked, ("format", "csv")])
    with open(path, "rb") as saved:  # noqa: ASYNC230 (a small local file)
        assert saved.read() == await from_api.body()
    assert download.suggested_filename == "received-day.csv"


async def test_the_outcomes_page_shows_the_summary_api_s_outcomes(
    browsing: tuple[BrowserContext, Recorded],
) -> None:
    context, _ = browsing
    page = await context.new_page()
    await sign_in(page, Role.ANALYST)
    await page.get_by_role("navigation", name="Pages").get_by_text("Outcomes").click()
    form = page.get_by_test_id("outcomes-form")
    await form.get_by_test_id("zone").fill("America/Sao_Paulo")
    await form.get_by_test_id("period").select_option("24h")
    await form.get_by_role("button", name="Show").click()
    span = page.get_by_test_id("span")
    await expect(span).to_contain_text("America/Sao_Paulo")
    window = [("from", await span.get_attribute("data-from")), ("to", await span.get_attribute("data-to"))]
    summary = await (await _api(page, "summary", [(k, v or "") for k, v in window])).json()
    assert (summary["tasks_created"], summary["turns"], summary["reminders_sent"]) == (4, 4, 1)
    for key in ("tasks_created", "tasks_completed", "tasks_overdue", "reminders_sent", "turns", "fallbacks"):
        await expect(page.get_by_test_id(key)).to_have_text(str(summary[key]))
    await expect(page.get_by_test_id("fallback_rate")).to_have_text("25.0 %")
    await expect(page.get_by_test_id("delta-tasks_created")).to_have_text("+3 (+300 %)")
    for testid in ("outcomes-chart", "fallback-chart"):
        await expect(page.get_by_test_id(testid).locator("canvas")).to_have_count(1)
    plotted: list[list[float | None]] = await page.get_by_test_id("outcomes-chart").evaluate(
        "el => el.uplot.data.map(s => Array.from(s))"
    )
    # Drawn in the page's order: tasks created first.
    assert sum(v or 0 for v in plotted[1]) == summary["tasks_created"]
    await shoot(page, "outcomes")

    # The zone chosen here is the overview's too.
    await page.get_by_role("navigation", name="Pages").get_by_text("Overview").click()
    await expect(page.get_by_test_id("span")).to_contain_text("America/Sao_Paulo")
