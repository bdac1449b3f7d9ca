"""Serving an app over real HTTP, opening browser contexts that cannot reach another origin, and
what every console test does alike: one key per role, signing in, waiting for a condition,
screenshots (the browser tests' helpers; the module name is unique in the repository, see
conftest)."""

from __future__ import annotations

import asyncio
import os
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import TypeVar

import uvicorn
from fastapi import FastAPI
from playwright.async_api import Browser, BrowserContext, ConsoleMessage, Page, Route, expect

from tasklane_common.auth import hash_key, new_key
from tasklane_common.settings import ApiKey, AuthSettings, Role

HTTP_STATUS_ERROR = "Failed to load resource: the server responded with a status of"
KEYS = {role: new_key() for role in Role}
SHOTS = os.environ.get("TASKLANE_CONSOLE_SCREENSHOTS")
T = TypeVar("T")


def auth_settings() -> AuthSettings:
    """The keys of ``KEYS``, one per role, as a service's auth settings."""
    return AuthSettings(api_keys=[ApiKey(name=f"{r}-1", role=r, sha256=hash_key(k)) for r, k in KEYS.items()])


async def sign_in(page: Page, role: Role) -> None:
    await page.goto("/console/sign-in")
    await page.fill("#key", KEYS[role])
    await page.click("button[type=submit]")
    await expect(page.get_by_test_id("role")).to_have_text(role.value)


async def shoot(page: Page, name: str) -> None:
    if SHOTS:
        os.makedirs(SHOTS, exist_ok=True)
        await page.screenshot(path=os.path.join(SHOTS, f"{name}.png"), full_page=True)


async def eventually(check: Callable[[], Awaitable[T | None]], *, tries: int, every_s: float) -> T:
    for _ in range(tries):
        value = await check()
        if value:
            return value
        await asyncio.sleep(every_s)
    raise AssertionError("the condition never held")


@asynccontextmanager
async def serving(app: FastAPI, *, lifespan: bool) -> AsyncIterator[str]:
    """Serve ``app`` over real HTTP on a free local port (in this event loop); yields its origin."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    # As the services run it (tasklane_common.cli): uvicorn's own logging config would take its
    # loggers away from ours for the rest of the test process.
    config = uvicorn.Config(app, lifespan="on" if lifespan else "off", log_config=None, log_level="warning")
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        while not server.started:
            if task.done():
                task.result()
                raise RuntimeError("the server stopped while starting")
            await asyncio.sleep(0.05)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task
        sock.close()


@dataclass
class Recorded:
    origin: str
    requests: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def elsewhere(self) -> list[str]:
        return [u for u in self.requests if not u.startswith(self.origin + "/")]


@asynccontextmanager
async def offline_context(browser: Browser, origin: str) -> AsyncIterator[tuple[BrowserContext, Recorded]]:
    context = await browser.new_context(base_url=origin, viewport={"width": 1280, "height": 900})
    recorded = Recorded(origin)

    async def gate(route: Route) -> None:
        url = route.request.url
        recorded.requests.append(url)
        if url.startswith(origin + "/"):
            await route.continue_()
        else:
            await route.abort("internetdisconnected")

    await context.route("**/*", gate)

    def on_console(message: ConsoleMessage) -> None:
        # A page answered 401/403/404 is reported too: the tests check statuses themselves.
        if message.type == "error" and not message.text.startswith(HTTP_STATUS_ERROR):
            recorded.errors.append(message.text)

    def watch(page: Page) -> None:
        page.on("console", on_console)
        page.on("pageerror", lambda e: recorded.errors.append(str(e)))

    context.on("page", watch)
    try:
        yield context, recorded
    finally:
        await context.close()


@asynccontextmanager
async def checked_context(browser: Browser, origin: str) -> AsyncIterator[tuple[BrowserContext, Recorded]]:
    """``offline_context``, then: whatever the test did, its pages asked nothing of any other
    origin, and the browser refused nothing the pages tried (a CSP violation is a console error)."""
    async with offline_context(browser, origin) as (context, seen):
        yield context, seen
        assert seen.elsewhere == []
        assert seen.errors == []
