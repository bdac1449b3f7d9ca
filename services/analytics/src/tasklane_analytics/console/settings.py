"""The console's settings, nested in the analytics service's (``TASKLANE_ANALYTICS_CONSOLE__*``)."""

from __future__ import annotations

from pydantic import BaseModel, Field, SecretStr


class ConsoleSettings(BaseModel):
    # Signs the session cookies. Unset, each process picks a random one: sessions then end when it
    # restarts and are not shared between replicas (set one secret for all replicas in production).
    session_secret: SecretStr | None = None
    session_hours: float = Field(default=8.0, gt=0, le=24 * 7)
    # The cookie is Secure when the request came over https. Behind an ingress that ends TLS the
    # service sees http: set true there (false: never, for plain-http test clusters).
    secure_cookie: bool | None = None
