"""What every console page needs: the service runtime, the operations (workers, health, dead
letters, numbers, audit: the same functions the operations API calls), the alerts, the session signer, the
configured keys and the templates, held once on the console app's state."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from pathlib import Path

from fastapi import Request
from fastapi.templating import Jinja2Templates

from tasklane_analytics.alerts.service import AlertService
from tasklane_analytics.console.session import SessionSigner
from tasklane_analytics.console.settings import ConsoleSettings
from tasklane_analytics.operations.service import Operations
from tasklane_common.auth import Principal
from tasklane_common.logging import get_logger
from tasklane_common.runtime import ServiceRuntime
from tasklane_common.settings import AuthSettings

log = get_logger(__name__)
HERE = Path(__file__).parent
PREFIX = "/console"


@dataclass
class Console:
    runtime: ServiceRuntime
    ops: Operations
    alerts: AlertService
    signer: SessionSigner
    principals: dict[str, Principal]
    templates: Jinja2Templates
    secure_cookie: bool | None
    default_zone: str


def build(
    runtime: ServiceRuntime,
    ops: Operations,
    settings: ConsoleSettings,
    auth: AuthSettings,
    alerts: AlertService,
) -> Console:
    if settings.session_secret is not None:
        secret = settings.session_secret.get_secret_value().encode()
    else:
        secret = secrets.token_bytes(32)
        log.warning("console_session_secret_random", hint="set TASKLANE_ANALYTICS_CONSOLE__SESSION_SECRET")
    templates = Jinja2Templates(directory=HERE / "templates")
    templates.env.globals["prefix"] = PREFIX
    return Console(
        runtime=runtime,
        ops=ops,
        alerts=alerts,
        signer=SessionSigner(secret, lifetime_s=settings.session_hours * 3600),
        principals={k.sha256: Principal(k.name, k.role) for k in auth.api_keys},
        templates=templates,
        secure_cookie=settings.secure_cookie,
        default_zone=settings.default_zone,
    )


def console_of(request: Request) -> Console:
    console: Console = request.app.state.console
    return console
