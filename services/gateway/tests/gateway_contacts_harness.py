"""What the contacts and rate-limit tests share: gateways with a pinned clock on one database,
Meta-shaped messages from phone numbers or business-scoped ids, and a reader of the events."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from gateway_admin_harness import AUTH
from gateway_harness import APP_SECRET, VERIFY_TOKEN, Gateway, QueueWatcher

from tasklane_common.messaging import Envelope
from tasklane_common.messaging.topology import ANALYTICS_EVENTS
from tasklane_common.secrets import SecretBox, generate_key
from tasklane_common.testing import real_settings, running
from tasklane_gateway.app import create_app
from tasklane_gateway.settings import GatewaySettings
from tasklane_simulator.payloads import new_wamid

PHONE_NUMBER_ID = "106540352242922"


class PinnedClock:
    """The time webhooks are received at, moved only by the test."""

    def __init__(self) -> None:
        # The start of a minute, so that a test's webhooks share one rate-limit window.
        self.at = datetime.now(UTC).replace(second=0, microsecond=0) + timedelta(seconds=5)

    def __call__(self) -> datetime:
        return self.at

    def advance(self, **delta: float) -> None:
        self.at += timedelta(**delta)


def contacts_settings(run_id: str, **overrides: Any) -> GatewaySettings:
    return real_settings(
        GatewaySettings,
        run_id,
        "gateway",
        app_secret=APP_SECRET,
        verify_token=VERIFY_TOKEN,
        auth=AUTH,
        **overrides,
    )


@asynccontextmanager
async def gateway_with_clock(settings: GatewaySettings, clock: PinnedClock) -> AsyncIterator[Gateway]:
    app = create_app(settings, clock=clock, secret_box=SecretBox.from_keys(generate_key()))
    async with running(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            yield Gateway(app, client, settings)


def message(
    *,
    wa_id: str | None = None,
    bsuid: str | None = None,
    username: str | None = None,
    name: str = "Ana",
    text: str = "hello",
    wamid: str | None = None,
    system: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """One message as it sits in ``value.messages[]``, with its ``contacts[]`` entry under ``_contact``."""
    item: dict[str, Any] = {"id": wamid or new_wamid(), "timestamp": str(int(time.time()))}
    if wa_id is not None:
        item["from"] = wa_id
    if bsuid is not None:
        item["from_user_id"] = bsuid
    if system is not None:
        item.update(type="system", system=system)
    else:
        item.update(type="text", text={"body": text})
    contact: dict[str, Any] = {"profile": {"name": name}}
    if username is not None:
        contact["profile"]["username"] = username
    if wa_id is not None:
        contact["wa_id"] = wa_id
    if bsuid is not None:
        contact["user_id"] = bsuid
    item["_contact"] = contact
    return item


def webhook(*messages: dict[str, Any], phone_number_id: str = PHONE_NUMBER_ID) -> dict[str, Any]:
    """One change per message, in one POST, the way Meta batches them."""
    changes = []
    for m in messages:
        item = {k: v for k, v in m.items() if k != "_contact"}
        value: dict[str, Any] = {
            "messaging_product": "whatsapp",
            "metadata": {"display_phone_number": "15550783881", "phone_number_id": phone_number_id},
            "messages": [item],
        }
        if m.get("type") != "system":
            value["contacts"] = [m["_contact"]]
        changes.append({"field": "messages", "value": value})
    return {"object": "whatsapp_business_account", "entry": [{"id": "102290129340398", "changes": changes}]}


def changed_number(old_wa_id: str, new_wa_id: str) -> dict[str, Any]:
    return message(
        wa_id=old_wa_id,
        system={
            "body": f"User A changed from {old_wa_id} to {new_wa_id}",
            "wa_id": new_wa_id,
            "type": "user_changed_number",
        },
    )


class Events:
    """Everything the gateway published (the analytics queue subscribes to every event)."""

    def __init__(self, watcher: QueueWatcher) -> None:
        self._watcher = watcher
        self.seen: list[Envelope] = []

    async def drain(self) -> None:
        await self._watcher.take(ANALYTICS_EVENTS.name)
        self.seen.clear()

    async def of(
        self, event_type: str, count: int, *, where: Callable[[dict[str, Any]], bool] = lambda _p: True
    ) -> list[dict[str, Any]]:
        """The payloads of the events of that type seen so far, once there are ``count`` (polled:
        outbox events come shortly after the commit; direct ones are there when the POST returns).
        Fails if fewer arrive in time, or more."""
        deadline = time.monotonic() + 10
        while True:
            self.seen += await self._watcher.take(ANALYTICS_EVENTS.name)
            found = [e.payload for e in self.seen if e.type == event_type and where(e.payload)]
            if len(found) >= count or time.monotonic() > deadline:
                assert len(found) == count, f"{event_type}: {len(found)} events, expected {count}"
                return found
            await asyncio.sleep(0.05)
