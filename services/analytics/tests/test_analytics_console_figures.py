"""The console's figures pages on a real analytics (RabbitMQ, PostgreSQL), over plain HTTP: the
trends chart and its CSV are the series API's answer for the same query (in Madrid, across the
night summer time ends), the outcomes and the overview over a chosen period are the summary API's
figures with their changes, the zone an analyst picks is kept from page to page, and a bad zone
or period is a clear 4xx page, never a 5xx."""

from __future__ import annotations

import asyncio
import html
import json
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest
from pydantic import SecretStr, ValidationError

from tasklane_analytics.app import create_app
from tasklane_analytics.console.settings import ConsoleSettings
from tasklane_analytics.settings import AnalyticsSettings
from tasklane_common.auth import hash_key, new_key
from tasklane_common.messaging import Envelope, new_envelope
from tasklane_common.messaging.contracts.agent import AgentReplied, ReplyRequested, TaskCompleted, TaskCreated
from tasklane_common.messaging.contracts.gateway import MessageReceived
from tasklane_common.messaging.contracts.sender import MessageFailed, MessageSent
from tasklane_common.settings import ApiKey, AuthSettings, Role
from tasklane_common.testing import cleanup_run, new_run_id, real_settings, running

KEYS = {role: new_key() for role in Role}
NUMBERS = ("106540000021", "106540000022")
# Summer time ends in Madrid on 2026-10-25 (03:00 CEST -> 02:00 CET): that day has 25 hours.
DST_START = datetime(2026, 10, 23, 12, 0, tzinfo=UTC)
DST_HOURS = 84  # to 2026-10-26 24:00 UTC, inside Madrid's 26th
# The outcomes: in one hour three hours ago, and in one hour the day before.
HOUR = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
RECENT, DAY_BEFORE = HOUR - timedelta(hours=3, minutes=-20), HOUR - timedelta(hours=27, minutes=-20)


@dataclass
class Analytics:
    app: Any
    client: httpx.AsyncClient  # signed in to the console as an analyst
    api: dict[str, str]  # the same analyst's bearer header, for the API


def _csrf(page: str) -> str:
    match = re.search(r'name="csrf" value="([^"]+)"', page)
    assert match, "no CSRF field on the page"
    return match.group(1)


def _traffic() -> list[Envelope]:
    """Messages every 3 hours over three and a half days around the DST change on two numbers (every fifth
    one failing), and the assistant's outcomes in the last day and in the day before it."""
    out: list[Envelope] = []
    for i in range(DST_HOURS // 3):
        at = DST_START + timedelta(hours=3 * i, minutes=10)
        number = NUMBERS[i % 2]
        received = new_envelope(
            MessageReceived(
                wamid=f"w{i}", phone_number_id=number, user_id=f"u{i % 5}", message_type="text",
                text="words", sent_at=at, received_at=at,
            ),
            producer="gateway", occurred_at=at,
        )  # fmt: skip
        out.append(received)
        common: dict[str, Any] = {"reply_id": f"r{i}", "phone_number_id": number, "to": f"u{i % 5}"}
        reply_at = at + timedelta(seconds=2)
        outcome = (
            MessageFailed(**common, at=reply_at, error_code=131026, reason="undeliverable")
            if i % 5 == 4
            else MessageSent(**common, wamid=f"o{i}", at=reply_at)
        )
        out.append(new_envelope(outcome, producer="sender", correlation_id=received.id, occurred_at=reply_at))
    for day, tasks in ((RECENT, 5), (DAY_BEFORE, 2)):
        for j in range(tasks):
            at = day - timedelta(minutes=j)
            task = f"t{day:%d%H}-{j}"
            created = TaskCreated(task_id=task, user_id="u1", title="x")
            out.append(new_envelope(created, producer="agent", occurred_at=at))
            if j % 2 == 0:
                completed = TaskCompleted(task_id=task, user_id="u1")
                out.append(new_envelope(completed, producer="agent", occurred_at=at))
            replied = AgentReplied(
                user_id="u1", in_reply_to=f"in-{task}", intent="create_task" if j else "unknown",
                engine="rules", processing_ms=2.0, phone_number_id=NUMBERS[0], understood=j != 0,
            )  # fmt: skip
            out.append(new_envelope(replied, producer="agent", occurred_at=at))
        reminder = ReplyRequested(
            reply_id=f"rem-{day:%d%H}", phone_number_id=NUMBERS[0], to="u1", user_id="u1", reminder="due"
        )
        out.append(new_envelope(reminder, producer="agent", occurred_at=day))
    return out


@pytest.fixture(scope="module")
async def analytics() -> AsyncIterator[Analytics]:
    rid = new_run_id()
    auth = AuthSettings(api_keys=[ApiKey(name=r, role=r, sha256=hash_key(k)) for r, k in KEYS.items()])
    settings = real_settings(
        AnalyticsSettings,
        rid,
        "analytics",
        auth=auth,
        pseudonym_key=SecretStr("y" * 20),
        # Until an analyst picks a zone, the pages show this one.
        console=ConsoleSettings(default_zone="Asia/Kolkata"),
    )
    app = create_app(settings)
    try:
        async with running(app):
            events = _traffic()
            await app.state.runtime.publish(events)
            consumer = app.state.runtime.consumers[0]
            for _ in range(400):
                if consumer.handled + consumer.duplicates >= len(events):
                    break
                await asyncio.sleep(0.05)
            else:
                raise AssertionError("the consumer did not take the events")
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://analytics") as client:
                form = await client.get("/console/sign-in")
                signed = await client.post(
                    "/console/sign-in", data={"key": KEYS[Role.ANALYST], "csrf": _csrf(form.text)}
                )
                assert signed.status_code == 303
                yield Analytics(app, client, {"Authorization": f"Bearer {KEYS[Role.ANALYST]}"})
    finally:
        await cleanup_run(rid)


def _attribute(page: str, testid: str, name: str) -> str:
    match = re.search(rf'<[^>]*data-testid="{testid}"[^>]*>', page)
    assert match, f"no {testid} on the page"
    value = re.search(rf"{name}='([^']*)'|{name}=\"([^\"]*)\"", match.group(0))
    assert value, f"{testid} has no {name}"
    return html.unescape(value.group(1) or value.group(2))


def _text(page: str, testid: str) -> str:
    match = re.search(rf'data-testid="{testid}"[^>]*>([^<]*)<', page)
    assert match, f"no {testid} on the page"
    return html.unescape(match.group(1)).strip()


def _href(page: str, testid: str) -> str:
    return _attribute(page, testid, "href")


async def _get(a: Analytics, path: str, **params: Any) -> str:
    response = await a.client.get(path, params=params)
    assert response.status_code == 200, response.text[:500]
    return response.text


async def _api(a: Analytics, route: str, params: list[tuple[str, str]]) -> httpx.Response:
    response = await a.client.get(f"/api/v1/analytics/{route}", params=params, headers=a.api)
    assert response.status_code == 200, response.text
    return response


async def test_the_trends_chart_and_csv_are_the_series_api_s_across_madrid_s_dst_change(
    analytics: Analytics,
) -> None:
    page = await _get(
        analytics,
        "/console/trends",
        metric="received",
        granularity="day",
        zone="Europe/Madrid",
        period="",
        **{"from": "2026-10-23", "to": "2026-10-26"},
        group_by="number",
    )
    csv_link = urlsplit(_href(page, "csv"))
    asked = parse_qsl(csv_link.query)
    # The page asks the API for exactly the days chosen, from Madrid's midnight to midnight.
    assert dict(asked) == {
        "metric": "received",
        "granularity": "day",
        "zone": "Europe/Madrid",
        "from": "2026-10-23T00:00:00+02:00",
        "to": "2026-10-27T00:00:00+01:00",
        "group_by": "number",
    }
    assert _text(page, "api-url") == f"GET /api/v1/analytics/series?{csv_link.query}"
    api = await analytics.client.get("/api/v1/analytics/series", params=asked, headers=analytics.api)
    assert api.status_code == 200
    series = api.json()
    chart = json.loads(_attribute(page, "trend-chart", "data-chart"))
    assert chart["zone"] == "Europe/Madrid"
    assert [line["phone_number_id"] for line in series["lines"]] == list(NUMBERS)
    points = series["lines"][0]["points"]
    assert chart["series"]["t"] == [int(datetime.fromisoformat(p["start"]).timestamp()) for p in points]
    assert chart["order"] == [f"l{i}" for i in range(len(series["lines"]))]
    for i, line in enumerate(series["lines"]):
        assert chart["labels"][f"l{i}"] == line["phone_number_id"]
        assert chart["series"][f"l{i}"] == [p["value"] for p in line["points"]]
    # Four Madrid days, the 25th of October 25 hours long, and every message in one of them.
    [dst] = [p for p in points if p["start"].startswith("2026-10-25")]
    assert (datetime.fromisoformat(dst["end"]) - datetime.fromisoformat(dst["start"])) == timedelta(hours=25)
    assert len(points) == 4
    assert sum(sum(chart["series"][f"l{i}"]) for i in range(2)) == DST_HOURS // 3

    downloaded = await analytics.client.get(_href(page, "csv"))
    from_api = await analytics.client.get(
        "/api/v1/analytics/series", params=[*asked, ("format", "csv")], headers=analytics.api
    )
    assert downloaded.status_code == from_api.status_code == 200
    assert downloaded.content == from_api.content
    assert downloaded.headers["content-type"] == from_api.headers["content-type"]
    assert downloaded.headers["content-disposition"] == from_api.headers["content-disposition"]
    assert downloaded.content.count(b"\n") == 1 + 2 * 4


async def test_a_number_filter_and_a_preset_ask_the_api_the_same(analytics: Analytics) -> None:
    page = await _get(
        analytics, "/console/trends", metric="error_rate", zone="America/New_York", period="12m",
        number=f" {NUMBERS[1]}, ", granularity="month",
    )  # fmt: skip
    asked = parse_qsl(urlsplit(_href(page, "csv")).query)
    assert ("number", NUMBERS[1]) in asked
    assert "group_by" not in dict(asked)
    series = (
        await analytics.client.get("/api/v1/analytics/series", params=asked, headers=analytics.api)
    ).json()
    chart = json.loads(_attribute(page, "trend-chart", "data-chart"))
    assert chart["series"]["l0"] == [p["value"] for p in series["lines"][0]["points"]]
    october = next(p for p in series["lines"][0]["points"] if p["start"].startswith("2026-10"))
    assert october["start"] == "2026-10-01T00:00:00-04:00"
    # Of the second number's 14 replies in those days, 2 failed (every fifth message).
    assert october["value"] == round(2 / 14, 6)
    downloaded = await analytics.client.get(_href(page, "csv"))
    from_api = await analytics.client.get(
        "/api/v1/analytics/series", params=[*asked, ("format", "csv")], headers=analytics.api
    )
    assert downloaded.content == from_api.content


async def test_outcomes_are_the_summary_api_s_figures_with_their_changes(analytics: Analytics) -> None:
    page = await _get(analytics, "/console/outcomes", period="24h", zone="UTC")
    window = {"from": _attribute(page, "span", "data-from"), "to": _attribute(page, "span", "data-to")}
    summary = (
        await analytics.client.get("/api/v1/analytics/summary", params=window, headers=analytics.api)
    ).json()
    assert summary["tasks_created"] == 5
    for key in ("tasks_created", "tasks_completed", "tasks_overdue", "reminders_sent", "turns", "fallbacks"):
        assert _text(page, key) == str(summary[key]), key
    assert _text(page, "fallback_rate") == f"{100 * summary['fallback_rate']:.1f} %"
    # The day before had 2 tasks: +3, +150 %.
    assert summary["delta"]["tasks_created"]["absolute"] == 3
    assert _text(page, "delta-tasks_created") == "+3 (+150 %)"
    counts = json.loads(_attribute(page, "outcomes-chart", "data-chart"))
    assert sum(counts["series"]["tasks_created"]) == summary["tasks_created"]
    assert sum(counts["series"]["turns"]) == summary["turns"]
    share = json.loads(_attribute(page, "fallback-chart", "data-chart"))
    assert [v for v in share["series"]["fallback_rate"] if v is not None] == [round(1 / 5, 6)]


async def test_the_overview_over_a_week_is_the_summary_of_that_week(analytics: Analytics) -> None:
    page = await _get(analytics, "/console/overview", period="7d", zone="Europe/Madrid")
    window = {"from": _attribute(page, "span", "data-from"), "to": _attribute(page, "span", "data-to")}
    assert datetime.fromisoformat(window["to"]) - datetime.fromisoformat(window["from"]) >= timedelta(days=7)
    summary = (
        await analytics.client.get("/api/v1/analytics/summary", params=window, headers=analytics.api)
    ).json()
    assert _text(page, "turns") == str(summary["turns"]) == "7"
    chart = json.loads(_attribute(page, "hourly-chart", "data-chart"))
    # Per Madrid day, the first and last cut to the week: the chart adds up to the tiles.
    assert sum(chart["series"]["received"]) == summary["messages_received"]
    assert chart["zone"] == "Europe/Madrid"


async def test_the_zone_picked_on_one_page_is_kept_for_the_others(analytics: Analytics) -> None:
    client = analytics.client
    page = await _get(analytics, "/console/trends", zone="America/New_York")
    assert "America/New_York" in _text(page, "span")
    assert "tl_zone" in client.cookies
    for path in ("/console/overview", "/console/per-number", "/console/failures?code=131026&period=30d"):
        shown = await _get(analytics, path)
        assert _attribute(shown, "zone", "value") == "America/New_York", path
    # A cookie naming no zone is no choice: the configured default shows.
    client.cookies.delete("tl_zone")
    client.cookies.set("tl_zone", "../../etc/passwd", path="/console")
    assert "Asia/Kolkata" in _text(await _get(analytics, "/console/overview"), "span")
    client.cookies.delete("tl_zone")
    assert "Asia/Kolkata" in _text(await _get(analytics, "/console/outcomes"), "span")


async def test_a_bad_zone_or_period_is_a_clear_4xx_page(analytics: Analytics) -> None:
    cases = {
        "/console/trends?zone=Mars/Olympus_Mons": "unknown IANA time zone",
        "/console/trends?zone=%2Fetc%2Fpasswd": "unknown IANA time zone",
        "/console/trends/csv?zone=Mars/Olympus_Mons": "unknown IANA time zone",
        "/console/overview?zone=UTC%2B2": "unknown IANA time zone",
        "/console/per-number?zone=Nowhere": "unknown IANA time zone",
        "/console/failures?zone=Nowhere": "unknown IANA time zone",
        "/console/outcomes?zone=Nowhere": "unknown IANA time zone",
        "/console/trends?from=2026-13-01": "must be a date",
        "/console/trends?from=2026-10-26&to=2026-10-23": "must not be after",
        "/console/outcomes?to=2026-10-23": "needs a 'from' date",
        "/console/trends?from=1990-01-01&to=1990-01-02": "between the years 2000 and 2200",
        "/console/trends?from=2020-01-01&to=2026-01-01": "at most",
        "/console/trends?from=2024-01-01&to=2026-12-01&granularity=hour": "at most 10000 points",
        "/console/overview?period=90d": "offers the periods 24h, 7d, 30d",
        "/console/trends?number=" + ",".join(str(n) for n in range(51)): "at most 50 numbers",
        "/console/trends?metric=nothing": "Bad request",
        "/console/trends?period=5d": "Bad request",
    }
    for path, says in cases.items():
        response = await analytics.client.get(path)
        assert 400 <= response.status_code < 500, path
        assert response.headers["content-type"].startswith("text/html"), path
        assert says in html.unescape(response.text), path
        assert "tl_zone=" not in response.headers.get("set-cookie", ""), path


async def test_the_figures_pages_want_a_session_and_an_analyst_may_read_them(analytics: Analytics) -> None:
    page = await _get(analytics, "/console/overview")
    assert 'href="/console/trends"' in page
    assert 'href="/console/outcomes"' in page
    transport = httpx.ASGITransport(app=analytics.app)  # the same app, without the session
    async with httpx.AsyncClient(transport=transport, base_url="http://analytics") as stranger:
        for path in ("/console/trends", "/console/outcomes", "/console/trends/csv"):
            response = await stranger.get(path)
            assert response.status_code == 303, path
            assert response.headers["location"] == "/console/sign-in"


def test_the_default_zone_setting_must_be_a_zone() -> None:
    assert ConsoleSettings(default_zone="Europe/Madrid").default_zone == "Europe/Madrid"
    with pytest.raises(ValidationError, match="unknown IANA time zone"):
        ConsoleSettings(default_zone="Mars/Olympus_Mons")
