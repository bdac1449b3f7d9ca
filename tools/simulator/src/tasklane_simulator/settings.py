from __future__ import annotations

from typing import Literal

from pydantic import BaseModel
from pydantic_settings import BaseSettings, SettingsConfigDict

from tasklane_simulator.payloads import DEFAULT_DISPLAY_NUMBER, DEFAULT_PHONE_NUMBER_ID, DEFAULT_WABA_ID


class NumberSettings(BaseModel):
    """One business phone number the simulator plays, with the token that may send from it.

    ``app_secret`` and ``webhook_url`` default to the simulator-wide ones: give a number its own
    to play a second Meta app (its webhooks are then signed with that app's secret)."""

    phone_number_id: str
    display_phone_number: str
    waba_id: str = DEFAULT_WABA_ID
    access_token: str
    verified_name: str = "Tasklane Test"
    quality_rating: str = "GREEN"
    throughput_per_s: float | None = None
    app_secret: str | None = None
    webhook_url: str | None = None


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
    # Several numbers (JSON list in the environment); empty means the single number above.
    numbers: list[NumberSettings] = []
    # After accepting a send, post the sent, delivered and read statuses to the webhook.
    send_statuses: bool = True
    status_delay_s: float = 0.05
    webhook_timeout_s: float = 10.0
    # Webhook POSTs in flight at once (Meta's are many, but bounded); the rest queue, in order.
    webhook_concurrency: int = 32
    # Meta retries a status webhook the receiver did not answer 200 (down, 5xx, timeout) with a
    # growing backoff; so does the simulator, boundedly: up to ``status_retries`` more attempts,
    # waiting ``status_retry_base_s`` doubled each time, at most ``status_retry_max_s`` (the
    # defaults cover about 40 s of outage). 0 posts each status once.
    status_retries: int = 8
    status_retry_base_s: float = 0.5
    status_retry_max_s: float = 8.0
    # Added to every /messages answer, to model the Graph API's latency in benchmarks.
    response_delay_s: float = 0.0
    # Meta's limits (reference §7): per-number throughput (token bucket, 1 s of burst; 0 = none)
    # and the pair rate per (number, recipient): one per ``pair_interval_s`` with bursts of
    # ``pair_burst`` (0 = none). ``limits="off"`` accepts everything and only records.
    limits: Literal["enforce", "off"] = "enforce"
    throughput_per_s: float = 80.0
    pair_interval_s: float = 6.0
    pair_burst: int = 45
    # The 24-hour customer-service window, opened by the inbound messages the simulator injects.
    # Off by default: the demo and most tests reply without an inbound message first.
    window: Literal["enforce", "off"] = "off"
    window_s: float = 24 * 3600.0
    # Fault injection: the seed of its random draws, and how long a "timeout" hangs.
    fault_seed: int | None = None
    fault_timeout_s: float = 12.0

    def all_numbers(self) -> list[NumberSettings]:
        if self.numbers:
            return list(self.numbers)
        return [
            NumberSettings(
                phone_number_id=self.phone_number_id,
                display_phone_number=self.display_phone_number,
                waba_id=self.waba_id,
                access_token=self.access_token,
            )
        ]
