"""Each of the four services as an app on the real PostgreSQL and RabbitMQ, with one admin key."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import FastAPI

from tasklane_agent.app import create_app as create_agent
from tasklane_agent.settings import AgentSettings
from tasklane_analytics.app import create_app as create_analytics
from tasklane_analytics.settings import AnalyticsSettings
from tasklane_common.auth import hash_key, new_key
from tasklane_common.secrets import SecretBox, generate_key
from tasklane_common.settings import ApiKey, AuthSettings, Role
from tasklane_common.testing import real_settings
from tasklane_gateway.app import create_app as create_gateway
from tasklane_gateway.settings import GatewaySettings
from tasklane_sender.app import create_app as create_sender
from tasklane_sender.settings import SenderSettings

KEY = new_key()
ADMIN = {"Authorization": f"Bearer {KEY}"}
AUTH = AuthSettings(api_keys=[ApiKey(name="tests-admin", role=Role.ADMIN, sha256=hash_key(KEY))])


def _gateway(run_id: str) -> FastAPI:
    s = real_settings(
        GatewaySettings, run_id, "gateway", app_secret="tests-secret", verify_token="v", auth=AUTH
    )
    return create_gateway(s, secret_box=SecretBox.from_keys(generate_key()))


def _agent(run_id: str) -> FastAPI:
    return create_agent(real_settings(AgentSettings, run_id, "agent", auth=AUTH))


def _sender(run_id: str) -> FastAPI:
    return create_sender(real_settings(SenderSettings, run_id, "sender", auth=AUTH))


def _analytics(run_id: str) -> FastAPI:
    return create_analytics(real_settings(AnalyticsSettings, run_id, "analytics", auth=AUTH))


SERVICES: dict[str, Callable[[str], FastAPI]] = {
    "gateway": _gateway,
    "agent": _agent,
    "sender": _sender,
    "analytics": _analytics,
}
