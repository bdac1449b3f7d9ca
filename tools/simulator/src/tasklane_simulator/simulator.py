"""The simulator's state and behaviour, usable from Python (demo, tests, benchmark) and over HTTP.

Graph side: it checks the bearer token, the phone number id and the body of each send like Meta
does, answers Meta-shaped successes and errors, records what it received, and then plays Meta's
webhook side by posting signed ``sent``/``delivered``/``read`` statuses. Webhook side: it injects
signed inbound messages into the gateway.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx

from tasklane_common.logging import get_logger
from tasklane_simulator import payloads
from tasklane_simulator.errors import GraphError, graph_error, http_status_for, invalid_token, unknown_object
from tasklane_simulator.settings import SimulatorSettings
from tasklane_simulator.validation import MarkRead, validate

log = get_logger(__name__)

# Reactions only ever produce a ``sent`` status (Meta's status reference).
STATUS_SEQUENCE = ("sent", "delivered", "read")


def digits(phone: str) -> str:
    return "".join(ch for ch in phone if ch.isdigit())


@dataclass(frozen=True)
class RecordedRequest:
    """One HTTP request the simulator answered (its bearer token is never kept)."""

    seq: int
    method: str
    path: str
    query: str
    body: Any
    status_code: int
    response: Any
    received_at: datetime
    received_monotonic: float
    duration_ms: float

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["received_at"] = self.received_at.isoformat()
        return out


@dataclass(frozen=True)
class InjectResult:
    wamid: str
    status_code: int


@dataclass(frozen=True)
class WebhookDelivery:
    """One webhook POST the simulator made to ``webhook_url``."""

    kind: str  # "message" or "status"
    wamid: str
    status: str | None
    status_code: int | None
    error: str | None
    at: datetime

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["at"] = self.at.isoformat()
        return out


@dataclass
class _Fault:
    remaining: int
    code: int | None
    status: int
    details: str | None


@dataclass
class _State:
    requests: list[RecordedRequest] = field(default_factory=list)
    sent: list[dict[str, Any]] = field(default_factory=list)
    webhooks: list[WebhookDelivery] = field(default_factory=list)
    faults: list[_Fault] = field(default_factory=list)


class WhatsAppSimulator:
    def __init__(self, settings: SimulatorSettings, webhook_client: httpx.AsyncClient | None = None) -> None:
        self.settings = settings
        self._client = webhook_client
        self._owns_client = webhook_client is None
        self._state = _State()
        self._seq = 0
        self._changed = asyncio.Event()
        self._tasks: set[asyncio.Task[None]] = set()

    # ---- lifecycle ------------------------------------------------------------------------

    @property
    def webhook_client(self) -> httpx.AsyncClient:
        if self._client is None:
            self._client = httpx.AsyncClient(timeout=self.settings.webhook_timeout_s)
        return self._client

    async def close(self) -> None:
        """Cancel pending status webhooks and close the webhook client if the simulator made it."""
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self._owns_client and self._client is not None:
            await self._client.aclose()
            self._client = None

    async def wait_idle(self, timeout: float = 10) -> None:
        """Wait until every scheduled status webhook has been posted (or has failed)."""
        async with asyncio.timeout(timeout):
            while self._tasks:
                await asyncio.gather(*list(self._tasks), return_exceptions=True)

    # ---- Graph API side -------------------------------------------------------------------

    def fail_next(
        self, n: int, code: int | None = 131000, *, status: int | None = None, details: str | None = None
    ) -> None:
        """Answer the next ``n`` valid /messages calls with Graph error ``code`` (HTTP status from
        Meta's table unless ``status`` is given). ``code=None`` answers a bare ``status`` with a
        non-JSON body, as a proxy in front of the Graph API would."""
        if code is None and status is None:
            raise ValueError("a fault needs a code or an HTTP status")
        http_status = status if status is not None else http_status_for(code or 0)
        self._state.faults.append(_Fault(n, code, http_status, details))

    def _take_fault(self) -> _Fault | None:
        faults = self._state.faults
        while faults and faults[0].remaining <= 0:
            faults.pop(0)
        if not faults:
            return None
        faults[0].remaining -= 1
        return faults[0]

    def handle_messages(self, phone_number_id: str, authorization: str | None, body: Any) -> tuple[int, Any]:
        """Answer ``POST /{version}/{phone_number_id}/messages``: (HTTP status, JSON body or text)."""
        received_monotonic = time.monotonic()
        received_at = datetime.now(UTC)
        scheme, _, token = (authorization or "").partition(" ")
        if not authorization:
            return 401, graph_error(190, "An active access token must be used to request this resource.")
        if scheme.lower() != "bearer" or token.strip() != self.settings.access_token:
            return 401, invalid_token()
        if phone_number_id != self.settings.phone_number_id:
            return 400, unknown_object(phone_number_id)
        try:
            request = validate(body)
        except GraphError as exc:
            return exc.status, exc.body
        fault = self._take_fault()
        if fault is not None:
            if fault.code is None:
                return fault.status, "Service Unavailable"
            return fault.status, graph_error(fault.code, details=fault.details)
        if isinstance(request, MarkRead):
            return 200, {"success": True}
        wamid = payloads.new_wamid()
        self._state.sent.append(
            {
                "wamid": wamid,
                "to": request.wa_id,
                "input": request.to,
                "type": request.type,
                "phone_number_id": phone_number_id,
                "body": body,
                "received_at": received_at.isoformat(),
                "received_monotonic": received_monotonic,
            }
        )
        self._notify()
        if self.settings.send_statuses:
            statuses = STATUS_SEQUENCE[:1] if request.type == "reaction" else STATUS_SEQUENCE
            self._spawn(self._play_statuses(wamid, request.wa_id, statuses))
        return 200, {
            "messaging_product": "whatsapp",
            "contacts": [{"input": request.to, "wa_id": request.wa_id}],
            "messages": [{"id": wamid}],
        }

    def record(
        self,
        *,
        method: str,
        path: str,
        query: str,
        body: Any,
        status_code: int,
        response: Any,
        received_at: datetime,
        received_monotonic: float,
        duration_ms: float,
    ) -> None:
        self._seq += 1
        self._state.requests.append(
            RecordedRequest(
                self._seq,
                method,
                path,
                query,
                body,
                status_code,
                response,
                received_at,
                received_monotonic,
                duration_ms,
            )
        )

    def requests(self) -> list[RecordedRequest]:
        return list(self._state.requests)

    def sent_messages(self, to: str | None = None) -> list[dict[str, Any]]:
        if to is None:
            return list(self._state.sent)
        wanted = digits(to)
        return [m for m in self._state.sent if m["to"] == wanted]

    async def wait_for_message(self, to: str, *, count: int = 1, timeout: float = 10) -> list[dict[str, Any]]:
        """All accepted sends to ``to`` once there are at least ``count`` of them."""
        try:
            async with asyncio.timeout(timeout):
                while True:
                    found = self.sent_messages(to)
                    if len(found) >= count:
                        return found
                    changed = self._changed
                    await changed.wait()
        except TimeoutError:
            got = len(self.sent_messages(to))
            raise TimeoutError(f"{got} of {count} message(s) to {to} within {timeout}s") from None

    def webhook_deliveries(self) -> list[WebhookDelivery]:
        return list(self._state.webhooks)

    def reset(self) -> None:
        self._state = _State()

    def _notify(self) -> None:
        # Wake every waiter, then give later waiters a fresh event to wait on.
        changed, self._changed = self._changed, asyncio.Event()
        changed.set()

    # ---- webhook side ---------------------------------------------------------------------

    async def inject_text(
        self, from_: str, text: str, *, name: str = "Test User", wamid: str | None = None
    ) -> InjectResult:
        """Post a signed inbound text message webhook; returns the gateway's HTTP status."""
        s = self.settings
        payload = payloads.text_message_webhook(
            from_=digits(from_),
            text=text,
            wamid=wamid,
            name=name,
            phone_number_id=s.phone_number_id,
            display_phone_number=s.display_phone_number,
            waba_id=s.waba_id,
        )
        message_id = payload["entry"][0]["changes"][0]["value"]["messages"][0]["id"]
        status_code = await self._deliver(
            payload, kind="message", wamid=message_id, status=None, raise_errors=True
        )
        assert status_code is not None
        return InjectResult(message_id, status_code)

    async def inject_status(
        self, wamid: str, status: str, *, recipient_id: str, errors: list[dict[str, Any]] | None = None
    ) -> int | None:
        """Post a signed status webhook for ``wamid`` (e.g. a ``failed`` with Meta's errors)."""
        s = self.settings
        payload = payloads.status_webhook(
            wamid=wamid,
            status=status,
            recipient_id=digits(recipient_id),
            errors=errors,
            phone_number_id=s.phone_number_id,
            display_phone_number=s.display_phone_number,
            waba_id=s.waba_id,
        )
        return await self._deliver(payload, kind="status", wamid=wamid, status=status, raise_errors=False)

    async def _play_statuses(self, wamid: str, recipient_id: str, statuses: tuple[str, ...]) -> None:
        try:
            for status in statuses:
                await asyncio.sleep(self.settings.status_delay_s)
                await self.inject_status(wamid, status, recipient_id=recipient_id)
        except Exception as exc:  # never let a background webhook take the simulator down
            log.error("status_playback_failed", error=f"{type(exc).__name__}: {exc}")

    async def _deliver(
        self, payload: dict[str, Any], *, kind: str, wamid: str, status: str | None, raise_errors: bool
    ) -> int | None:
        body = payloads.encode(payload)
        headers = {
            "Content-Type": "application/json",
            "X-Hub-Signature-256": payloads.sign(body, self.settings.app_secret),
            "User-Agent": "facebookexternalua",
        }
        try:
            response = await self.webhook_client.post(
                self.settings.webhook_url, content=body, headers=headers
            )
        except Exception as exc:
            self._state.webhooks.append(
                WebhookDelivery(kind, wamid, status, None, f"{type(exc).__name__}: {exc}", datetime.now(UTC))
            )
            log.warning("webhook_delivery_failed", kind=kind, status=status, error=type(exc).__name__)
            if raise_errors:
                raise
            return None
        self._state.webhooks.append(
            WebhookDelivery(kind, wamid, status, response.status_code, None, datetime.now(UTC))
        )
        if response.status_code != 200:
            log.warning("webhook_rejected", kind=kind, status=status, http_status=response.status_code)
        return response.status_code

    def _spawn(self, coro: Any) -> None:
        task: asyncio.Task[None] = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
