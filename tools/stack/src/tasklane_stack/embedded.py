"""All four services and the WhatsApp simulator in one process.

The services run exactly the code they run in production (their ``create_app`` and lifespans),
but over the in-process transport and one SQLite file each. HTTP between the simulator, the
gateway and the sender goes through httpx's ASGI transport: no ports, no servers.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI
from pydantic import SecretStr

from tasklane_agent.app import create_app as create_agent
from tasklane_agent.settings import AgentSettings
from tasklane_analytics.app import create_app as create_analytics
from tasklane_analytics.settings import AnalyticsSettings
from tasklane_common.messaging.memory import InMemoryBroker
from tasklane_common.settings import BrokerSettings, DatabaseSettings, LoggingSettings, TelemetrySettings
from tasklane_gateway.app import create_app as create_gateway
from tasklane_gateway.settings import GatewaySettings
from tasklane_sender.app import create_app as create_sender
from tasklane_sender.settings import SenderSettings
from tasklane_simulator.app import create_app as create_simulator
from tasklane_simulator.settings import SimulatorSettings

APP_SECRET = "embedded-app-secret"
VERIFY_TOKEN = "embedded-verify-token"
ACCESS_TOKEN = "embedded-access-token"


class EmbeddedStack:
    def __init__(self, apps: dict[str, FastAPI], simulator: Any) -> None:
        self.apps = apps
        self.simulator = simulator

    async def chat(self, text: str, *, from_: str, name: str = "Alex", timeout: float = 15.0) -> list[str]:
        """Send ``text`` as a WhatsApp user and return the bodies of the replies it produced."""
        before = len(self.simulator.sent_messages(to=from_))
        result = await self.simulator.inject_text(from_, text, name=name)
        if result.status_code != 200:
            return [f"(the gateway answered HTTP {result.status_code})"]
        sent = await self.simulator.wait_for_message(from_, count=before + 1, timeout=timeout)
        return [_body(m) for m in sent[before:]]


def _body(message: dict[str, Any]) -> str:
    body = message.get("body", message)
    if body.get("type") == "text":
        return str(body["text"]["body"])
    if body.get("type") == "interactive":
        # Buttons and list rows shown as the words to type: "yes", or the row's number.
        interactive = body["interactive"]
        text = str(interactive.get("body", {}).get("text", ""))
        action = interactive.get("action", {})
        buttons = [b.get("reply", {}).get("title", "") for b in action.get("buttons", [])]
        if buttons:
            text += "\n" + "  ".join(f"[{title}]" for title in buttons)
        rows = [r for section in action.get("sections", []) for r in section.get("rows", [])]
        for number, row in enumerate(rows, 1):
            text += f"\n  {number}) {row.get('title', '')}"
        return text
    return str(body)


def _common(name: str, data_dir: Path, broker_name: str) -> dict[str, Any]:
    return {
        "broker": BrokerSettings(url=SecretStr(f"memory://{broker_name}")),
        "database": DatabaseSettings(url=SecretStr(f"sqlite+aiosqlite:///{data_dir / name}.db")),
        "logging": LoggingSettings(level="WARNING", format="console"),
        "telemetry": TelemetrySettings(enabled=False),
        "outbox_poll_interval_s": 0.5,
    }


SettingsFor = Callable[[str], dict[str, Any]]


@asynccontextmanager
async def embedded_stack(
    data_dir: Path, *, clock: Callable[[], datetime] | None = None
) -> AsyncIterator[EmbeddedStack]:
    """The demo's stack: in-process transport, one SQLite file per service in ``data_dir``."""
    await asyncio.to_thread(data_dir.mkdir, parents=True, exist_ok=True)
    broker_name = f"embedded-{uuid.uuid4().hex[:8]}"
    try:
        async with in_process_stack(lambda name: _common(name, data_dir, broker_name), clock=clock) as s:
            yield s
    finally:
        InMemoryBroker.forget(broker_name)


@asynccontextmanager
async def in_process_stack(
    settings_for: SettingsFor, *, clock: Callable[[], datetime] | None = None
) -> AsyncIterator[EmbeddedStack]:
    """The four services and the simulator in this process, each with ``settings_for(name)``
    (broker, database, logging...): the embedded mode, or the real servers in end-to-end tests."""
    async with AsyncExitStack() as stack:
        analytics = create_analytics(AnalyticsSettings(**settings_for("analytics")))
        agent_kwargs: dict[str, Any] = {"clock": clock} if clock is not None else {}
        agent = create_agent(AgentSettings(**settings_for("agent")), **agent_kwargs)
        gateway = create_gateway(
            GatewaySettings(
                **settings_for("gateway"),
                app_secret=SecretStr(APP_SECRET),
                verify_token=SecretStr(VERIFY_TOKEN),
            )
        )
        gateway_client = await stack.enter_async_context(
            httpx.AsyncClient(transport=httpx.ASGITransport(app=gateway), base_url="http://gateway")
        )
        simulator_app = create_simulator(
            SimulatorSettings(
                access_token=ACCESS_TOKEN,
                app_secret=APP_SECRET,
                webhook_url="http://gateway/api/webhooks/whatsapp",
                status_delay_s=0.01,
            ),
            webhook_client=gateway_client,
        )
        graph_client = await stack.enter_async_context(
            httpx.AsyncClient(transport=httpx.ASGITransport(app=simulator_app), base_url="http://graph")
        )
        sender = create_sender(
            SenderSettings(
                **settings_for("sender"),
                graph_base_url="http://graph",
                access_token=SecretStr(ACCESS_TOKEN),
            ),
            graph_client=graph_client,
        )
        apps = {
            "analytics": analytics,
            "agent": agent,
            "sender": sender,
            "gateway": gateway,
            "simulator": simulator_app,
        }
        for app in apps.values():
            await stack.enter_async_context(app.router.lifespan_context(app))
        yield EmbeddedStack(apps, simulator_app.state.simulator)
