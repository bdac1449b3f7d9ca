"""What the gateway's admin, integrations and health tests share: API keys per role, a secrets
key, a gateway wired to the simulator's Graph API in-process, and webhook payload helpers."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Any

import httpx
from gateway_harness import Gateway

from tasklane_common.auth import hash_key, new_key
from tasklane_common.secrets import SecretBox, generate_key
from tasklane_common.settings import ApiKey, AuthSettings, Role
from tasklane_common.testing import running
from tasklane_gateway.app import create_app
from tasklane_gateway.settings import GatewaySettings
from tasklane_simulator.app import create_app as create_simulator
from tasklane_simulator.payloads import encode, sign
from tasklane_simulator.settings import SimulatorSettings

KEYS: dict[Role, str] = {role: new_key() for role in Role}
AUTH = AuthSettings(
    api_keys=[ApiKey(name=f"{role.value}-bot", role=role, sha256=hash_key(key)) for role, key in KEYS.items()]
)
SIM_BASE = "http://graph.sim"


def auth(role: Role | None) -> dict[str, str]:
    return {"authorization": f"Bearer {KEYS[role]}"} if role is not None else {}


@asynccontextmanager
async def admin_gateway(
    settings: GatewaySettings, box: SecretBox | None = None, graph: httpx.AsyncClient | None = None
) -> AsyncIterator[Gateway]:
    """A gateway with the given secrets box; its Graph API calls go to ``graph`` (or a fresh
    simulator app, in-process)."""
    box = box if box is not None else SecretBox.from_keys(generate_key())
    async with AsyncExitStack() as stack:
        if graph is None:
            sim = await stack.enter_async_context(
                running(create_simulator(SimulatorSettings(send_statuses=False)))
            )
            transport = httpx.ASGITransport(app=sim)
            graph = await stack.enter_async_context(httpx.AsyncClient(transport=transport, base_url=SIM_BASE))
        app = await stack.enter_async_context(
            running(create_app(settings, graph_client=graph, secret_box=box))
        )
        http = await stack.enter_async_context(
            httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test")
        )
        yield Gateway(app, http, settings)


def text_webhook(
    phone_number_id: str, wamid: str, *, waba_id: str = "999000111", wa_id: str = "5511999990000"
) -> dict[str, Any]:
    """A one-message webhook for ``phone_number_id`` (Meta's shape)."""
    return {
        "object": "whatsapp_business_account",
        "entry": [
            {
                "id": waba_id,
                "changes": [
                    {
                        "field": "messages",
                        "value": {
                            "messaging_product": "whatsapp",
                            "metadata": {
                                "display_phone_number": "15550001111",
                                "phone_number_id": phone_number_id,
                            },
                            "contacts": [{"profile": {"name": "Ana"}, "wa_id": wa_id}],
                            "messages": [
                                {
                                    "from": wa_id,
                                    "id": wamid,
                                    "timestamp": str(int(time.time())),
                                    "type": "text",
                                    "text": {"body": "hello"},
                                }
                            ],
                        },
                    }
                ],
            }
        ],
    }


async def post_signed(
    gateway: Gateway, payload: dict[str, Any], secret: str, path: str = "/api/webhooks/whatsapp"
) -> httpx.Response:
    body = encode(payload)
    headers = {"content-type": "application/json", "x-hub-signature-256": sign(body, secret)}
    return await gateway.client.post(path, content=body, headers=headers)
