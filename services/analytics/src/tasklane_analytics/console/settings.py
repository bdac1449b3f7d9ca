"""The console's settings, nested in the analytics service's (``TASKLANE_ANALYTICS_CONSOLE__*``)."""

from __future__ import annotations

from zoneinfo import available_timezones

from pydantic import BaseModel, Field, SecretStr, field_validator


class ConsoleSettings(BaseModel):
    # Signs the session cookies. Unset, each process picks a random one: sessions then end when it
    # restarts and are not shared between replicas (set one secret for all replicas in production).
    session_secret: SecretStr | None = None
    session_hours: float = Field(default=8.0, gt=0, le=24 * 7)
    # The cookie is Secure when the request came over https. Behind an ingress that ends TLS the
    # service sees http: set true there (false: never, for plain-http test clusters).
    secure_cookie: bool | None = None
    # The time zone the figures pages show until an analyst picks one (an IANA name).
    default_zone: str = "UTC"

    @field_validator("default_zone")
    @classmethod
    def _known_zone(cls, name: str) -> str:
        if name != "UTC" and name not in available_timezones():
            raise ValueError(f"unknown IANA time zone {name!r}")
        return name
