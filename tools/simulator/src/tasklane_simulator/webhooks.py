"""The simulator's webhook side: signed POSTs to the gateway (inbound messages and statuses)."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

import httpx

from tasklane_common.background import cancel_all
from tasklane_common.logging import get_logger
from tasklane_simulator import payloads, statuses
from tasklane_simulator.settings import NumberSettings, SimulatorSettings

log = get_logger(__name__)


@dataclass(frozen=True)
class WebhookDelivery:
    """One webhook POST the simulator made to ``webhook_url``."""

    kind: str  # "message", "status" or "webhook" (a payload injected as is)
    wamid: str
    status: str | None
    status_code: int | None
    error: str | None
    at: datetime

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["at"] = self.at.isoformat()
        return out


def inbound_senders(payload: dict[str, Any]) -> list[tuple[str, str, int | None]]:
    """(phone_number_id, address, Unix timestamp) of every user message in a webhook payload: what
    opens a customer-service window. A message names its writer by ``from`` (the phone number)
    and/or ``from_user_id`` (the business-scoped id; the only one for a user who hides their
    number): the window is the user's, so it opens for each. System messages are Meta's."""
    found: list[tuple[str, str, int | None]] = []
    entries = payload.get("entry") if isinstance(payload, dict) else None
    for entry in entries if isinstance(entries, list) else []:
        changes = entry.get("changes") if isinstance(entry, dict) else None
        for change in changes if isinstance(changes, list) else []:
            value = change.get("value") if isinstance(change, dict) else None
            if not isinstance(value, dict):
                continue
            metadata = value.get("metadata")
            number = metadata.get("phone_number_id") if isinstance(metadata, dict) else None
            messages = value.get("messages")
            for message in messages if isinstance(messages, list) else []:
                if not isinstance(message, dict) or message.get("type") == "system":
                    continue
                for sender in (message.get("from"), message.get("from_user_id")):
                    if isinstance(number, str) and isinstance(sender, str):
                        found.append((number, sender, _unix(message.get("timestamp"))))
    return found


def metadata_number(payload: dict[str, Any]) -> str | None:
    try:
        number = payload["entry"][0]["changes"][0]["value"]["metadata"]["phone_number_id"]
    except (KeyError, IndexError, TypeError):
        return None
    return number if isinstance(number, str) else None


def first_wamid(payload: dict[str, Any]) -> str:
    try:
        value = payload["entry"][0]["changes"][0]["value"]
        items = value.get("messages") or value.get("statuses") or []
        return str(items[0]["id"])
    except (KeyError, IndexError, TypeError, AttributeError):
        return ""


def retry_delay(attempt: int, settings: SimulatorSettings) -> float:
    """The wait before retry number ``attempt`` (1, 2, ...): exponential, capped."""
    return float(min(settings.status_retry_max_s, settings.status_retry_base_s * 2 ** (attempt - 1)))


def _unix(value: Any) -> int | None:
    try:
        return int(str(value))
    except ValueError:
        return None


class WebhookPoster:
    """Posts signed webhooks, in the background for statuses; keeps a record of each POST."""

    def __init__(self, settings: SimulatorSettings, client: httpx.AsyncClient | None) -> None:
        self.settings = settings
        self._client = client
        self._owns_client = client is None
        self.deliveries: list[WebhookDelivery] = []
        self._tasks: set[asyncio.Task[None]] = set()
        # At most this many POSTs in flight, and the pool as large: a burst (thousands of status
        # retries after an outage) waits here, not in the connection pool, whose waits end in
        # PoolTimeouts that failed every webhook for minutes after a gateway restart.
        self._in_flight = asyncio.Semaphore(settings.webhook_concurrency)

    @property
    def client(self) -> httpx.AsyncClient:
        if self._client is None:
            size = self.settings.webhook_concurrency
            self._client = httpx.AsyncClient(
                timeout=self.settings.webhook_timeout_s,
                limits=httpx.Limits(max_connections=size, max_keepalive_connections=size),
            )
        return self._client

    async def close(self) -> None:
        await cancel_all(list(self._tasks))
        if self._owns_client and self._client is not None:
            await self._client.aclose()
            self._client = None

    async def wait_idle(self, timeout: float) -> None:
        async with asyncio.timeout(timeout):
            while self._tasks:
                await asyncio.gather(*list(self._tasks), return_exceptions=True)

    def spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        task: asyncio.Task[None] = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def play_statuses(
        self,
        steps: list[statuses.StatusStep],
        *,
        number: NumberSettings,
        wamid: str,
        recipient: str,
        biz_opaque_callback_data: str | None,
    ) -> None:
        try:
            for step in steps:
                await asyncio.sleep(self.settings.status_delay_s)
                payload = statuses.webhook(
                    step,
                    wamid=wamid,
                    recipient=recipient,
                    biz_opaque_callback_data=biz_opaque_callback_data,
                    phone_number_id=number.phone_number_id,
                    display_phone_number=number.display_phone_number,
                    waba_id=number.waba_id,
                )
                await self.deliver_with_retries(payload, number=number, wamid=wamid, status=step.status)
        except Exception as exc:  # never let a background webhook take the simulator down
            log.error("status_playback_failed", error=f"{type(exc).__name__}: {exc}")

    async def post_status(
        self,
        *,
        number: NumberSettings,
        wamid: str,
        status: str,
        recipient: str,
        errors: list[dict[str, Any]] | None,
        biz_opaque_callback_data: str | None,
    ) -> int | None:
        """One signed status webhook, now; ``recipient`` as :func:`statuses.recipient_fields`."""
        recipient_id, recipient_user_id = statuses.recipient_fields(recipient)
        payload = payloads.status_webhook(
            wamid=wamid,
            status=status,
            recipient_id=recipient_id,
            recipient_user_id=recipient_user_id,
            errors=errors,
            phone_number_id=number.phone_number_id,
            display_phone_number=number.display_phone_number,
            waba_id=number.waba_id,
            biz_opaque_callback_data=biz_opaque_callback_data,
        )
        return await self.deliver(
            payload, number=number, kind="status", wamid=wamid, status=status, raise_errors=False
        )

    async def deliver_with_retries(
        self, payload: dict[str, Any], *, number: NumberSettings, wamid: str, status: str
    ) -> int | None:
        """A status webhook, posted again after any answer but 200 (or none), as Meta does,
        within the bounds of the settings; every attempt is recorded. The last answer."""
        code: int | None = None
        for attempt in range(self.settings.status_retries + 1):
            if attempt:
                await asyncio.sleep(retry_delay(attempt, self.settings))
            code = await self.deliver(
                payload, number=number, kind="status", wamid=wamid, status=status, raise_errors=False
            )
            if code == 200:
                return code
        log.warning("status_webhook_given_up", status=status, attempts=self.settings.status_retries + 1)
        return code

    async def deliver(
        self,
        payload: dict[str, Any],
        *,
        number: NumberSettings,
        kind: str,
        wamid: str,
        status: str | None,
        raise_errors: bool,
    ) -> int | None:
        body = payloads.encode(payload)
        secret = number.app_secret or self.settings.app_secret
        url = number.webhook_url or self.settings.webhook_url
        headers = {
            "Content-Type": "application/json",
            "X-Hub-Signature-256": payloads.sign(body, secret),
            "User-Agent": "facebookexternalua",
        }
        try:
            async with self._in_flight:
                response = await self.client.post(url, content=body, headers=headers)
        except Exception as exc:
            self._record(kind, wamid, status, None, f"{type(exc).__name__}: {exc}")
            log.warning("webhook_delivery_failed", kind=kind, status=status, error=type(exc).__name__)
            if raise_errors:
                raise
            return None
        self._record(kind, wamid, status, response.status_code, None)
        if response.status_code != 200:
            log.warning("webhook_rejected", kind=kind, status=status, http_status=response.status_code)
        return response.status_code

    def _record(self, kind: str, wamid: str, status: str | None, code: int | None, error: str | None) -> None:
        self.deliveries.append(WebhookDelivery(kind, wamid, status, code, error, datetime.now(UTC)))
