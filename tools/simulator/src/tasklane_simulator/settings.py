from __future__ import annotations

from pydantic_settings import BaseSettings, SettingsConfigDict

from tasklane_simulator.payloads import DEFAULT_DISPLAY_NUMBER, DEFAULT_PHONE_NUMBER_ID, DEFAULT_WABA_ID


class SimulatorSettings(BaseSettings):
    """The fake Meta side: the credentials our services are configured with, and where to post."""

    model_config = SettingsConfigDict(env_prefix="TASKLANE_SIM_", extra="ignore")

    host: str = "127.0.0.1"
    port: int = 8005
    # The token the sender must present, and the secret webhooks are signed with. Both are
    # simulator credentials; they protect nothing real.
    access_token: str = "sim-access-token"
    app_secret: str = "sim-app-secret"
    webhook_url: str = "http://127.0.0.1:8001/api/webhooks/whatsapp"
    phone_number_id: str = DEFAULT_PHONE_NUMBER_ID
    display_phone_number: str = DEFAULT_DISPLAY_NUMBER
    waba_id: str = DEFAULT_WABA_ID
    # After accepting a send, post the sent, delivered and read statuses to the webhook.
    send_statuses: bool = True
    status_delay_s: float = 0.05
    webhook_timeout_s: float = 10.0
    # Added to every /messages answer, to model the Graph API's latency in benchmarks.
    response_delay_s: float = 0.0
