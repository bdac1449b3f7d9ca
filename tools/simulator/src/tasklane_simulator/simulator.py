"""The simulator's state and behaviour, usable from Python (demo, tests, benchmark) and over HTTP.

Graph side: it checks the bearer token against the numbers it plays, validates each send like
Meta does, applies injected faults (:mod:`faults`) and Meta's limits (:mod:`limits`), answers
Meta-shaped successes and errors, records every attempt (:mod:`records`) and then plays Meta's
webhook side by posting signed status webhooks (:mod:`statuses`). Webhook side: it injects signed
inbound messages into the gateway, which open the customer-service window of their sender.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx

from tasklane_simulator import payloads, statuses
from tasklane_simulator.clock import Clock, SystemClock, wall
from tasklane_simulator.errors import GraphError, graph_error, invalid_token, unknown_object
from tasklane_simulator.faults import Fault, FaultPlan, Storm, error_answer
from tasklane_simulator.limits import LimitConfig, Limiter, LimitViolation, violations
from tasklane_simulator.numbers import phone_number_node
from tasklane_simulator.records import (
    READ,
    AttemptRecorder,
    Duplicate,
    GraphAnswer,
    InjectResult,
    RecordedRequest,
    SendAttempt,
    duplicates,
)
from tasklane_simulator.settings import NumberSettings, SimulatorSettings
from tasklane_simulator.validation import MarkRead, SendRequest, addressed, recipient_key, validate
from tasklane_simulator.webhooks import (
    WebhookDelivery,
    WebhookPoster,
    first_wamid,
    inbound_senders,
    metadata_number,
)

__all__ = ["GraphAnswer", "InjectResult", "RecordedRequest", "WebhookDelivery", "WhatsAppSimulator"]


@dataclass
class _State:
    requests: list[RecordedRequest] = field(default_factory=list)
    sent: list[dict[str, Any]] = field(default_factory=list)
    attempts: list[SendAttempt] = field(default_factory=list)


class WhatsAppSimulator:
    def __init__(
        self,
        settings: SimulatorSettings,
        webhook_client: httpx.AsyncClient | None = None,
        *,
        clock: Clock | None = None,
    ) -> None:
        self.settings = settings
        self.clock: Clock = clock or SystemClock()
        self.numbers: dict[str, NumberSettings] = {n.phone_number_id: n for n in settings.all_numbers()}
        self.faults = FaultPlan(seed=settings.fault_seed, timeout_s=settings.fault_timeout_s)
        self.limiter = Limiter(
            LimitConfig(
                enforce=settings.limits == "enforce",
                throughput_per_s=settings.throughput_per_s,
                per_number=self._number_rates(),
                pair_interval_s=settings.pair_interval_s,
                pair_burst=settings.pair_burst,
                window=settings.window == "enforce",
                window_s=settings.window_s,
            )
        )
        self._webhooks = WebhookPoster(settings, webhook_client)
        self._state = _State()
        self._changed = asyncio.Event()

    # ---- lifecycle ------------------------------------------------------------------------

    @property
    def webhook_client(self) -> httpx.AsyncClient:
        return self._webhooks.client

    async def close(self) -> None:
        """Cancel pending status webhooks and close the webhook client if the simulator made it."""
        await self._webhooks.close()

    async def wait_idle(self, timeout: float = 10) -> None:
        """Wait until every scheduled status webhook has been posted (or has failed)."""
        await self._webhooks.wait_idle(timeout)

    def reset(self) -> None:
        """Forget what was recorded and queued (requests, sends, webhooks, fail_next, storms,
        windows, buckets). Fault rates and limits stay as configured."""
        self._state = _State()
        self._webhooks.deliveries.clear()
        self.faults.queued.clear()
        self.faults.storms.clear()
        self.limiter.reset()

    # ---- numbers --------------------------------------------------------------------------

    def add_number(self, number: NumberSettings) -> None:
        """Play one more business number (or replace one: a new token revokes the old one).
        The limit buckets start full again."""
        self.numbers[number.phone_number_id] = number
        per_number = {**self.limiter.config.per_number, **self._number_rates()}
        self.limiter.reconfigure(self.limiter.config.with_changes(per_number=per_number))

    def _number_rates(self) -> dict[str, float]:
        return {n.phone_number_id: n.throughput_per_s for n in self.numbers.values() if n.throughput_per_s}

    def _authorize(
        self, phone_number_id: str, authorization: str | None
    ) -> tuple[NumberSettings | None, GraphAnswer | None]:
        """Meta's order: the token first (190), then whether it may see the number (100)."""
        if not authorization:
            return None, GraphAnswer(
                401, graph_error(190, "An active access token must be used to request this resource.")
            )
        scheme, _, token = authorization.partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or all(token != n.access_token for n in self.numbers.values()):
            return None, GraphAnswer(401, invalid_token())
        number = self.numbers.get(phone_number_id)
        if number is None or number.access_token != token:
            return None, GraphAnswer(400, unknown_object(phone_number_id))
        return number, None

    def handle_phone_number(
        self, phone_number_id: str, authorization: str | None, fields: str | None
    ) -> GraphAnswer:
        """Answer ``GET /{version}/{phone_number_id}`` (the "test connection" call)."""
        number, refusal = self._authorize(phone_number_id, authorization)
        if refusal is not None:
            return refusal
        assert number is not None
        rate = self.limiter.config.rate_of(phone_number_id)
        try:
            return GraphAnswer(200, phone_number_node(number, fields, throughput_per_s=rate))
        except GraphError as exc:
            return GraphAnswer(exc.status, exc.body)

    # ---- Graph API side -------------------------------------------------------------------

    def fail_next(
        self, n: int, code: int | None = 131000, *, status: int | None = None, details: str | None = None
    ) -> None:
        """Answer the next ``n`` valid /messages calls with Graph error ``code`` (HTTP status from
        Meta's table unless ``status`` is given). ``code=None`` answers a bare ``status`` with a
        non-JSON body, as a proxy in front of the Graph API would."""
        self.faults.fail_next(n, code, status, details)

    def set_faults(
        self, rates: Mapping[str, float], *, seed: int | None = None, timeout_s: float | None = None
    ) -> dict[str, Any]:
        """Fault rates per valid call (kinds in :data:`faults.SEND_FAULTS` and
        :data:`faults.STATUS_FAULTS`); ``seed`` restarts the RNG; ``timeout_s``: how long a
        ``timeout`` hangs. Raises ValueError on unknown kinds or rates outside 0..1."""
        self.faults.set_rates(rates, seed=seed, timeout_s=timeout_s)
        return self.fault_config()

    def storm(self, kind: str, seconds: float, *, phone_number_id: str | None = None) -> Storm:
        """Every valid call (to one number, or all) gets fault ``kind`` for the next ``seconds``."""
        return self.faults.add_storm(kind, seconds, self.clock.monotonic(), phone_number_id)

    def clear_faults(self) -> None:
        self.faults.clear()

    def fault_config(self) -> dict[str, Any]:
        return self.faults.snapshot(self.clock.monotonic())

    def configure_limits(self, **changes: Any) -> LimitConfig:
        """Change the limits at run time (fields of :class:`LimitConfig`; ``limits`` and ``window``
        also take ``"enforce"``/``"off"``). The buckets start full again."""
        self.limiter.reconfigure(self.limiter.config.with_changes(**changes))
        return self.limiter.config

    def open_window(self, wa_id: str, *, phone_number_id: str | None = None, at: float | None = None) -> None:
        """Open (or extend) the customer-service window as if ``wa_id`` (a phone number or a
        business-scoped user id) wrote at Unix time ``at``."""
        number = self._number(phone_number_id).phone_number_id
        self.limiter.open_window(number, recipient_key(wa_id), self.clock.time() if at is None else at)

    def handle_messages(self, phone_number_id: str, authorization: str | None, body: Any) -> GraphAnswer:
        """Answer ``POST /{version}/{phone_number_id}/messages``."""
        now = self.clock.monotonic()
        to = addressed(body)
        raw_callback = body.get("biz_opaque_callback_data") if isinstance(body, dict) else None
        callback = raw_callback if isinstance(raw_callback, str) else None
        attempt = AttemptRecorder(self._state.attempts, self.clock, now, phone_number_id, to, callback)
        number, refusal = self._authorize(phone_number_id, authorization)
        if refusal is not None:
            return attempt.rejected(refusal, None)
        assert number is not None
        try:
            request = validate(body)
        except GraphError as exc:
            return attempt.rejected(GraphAnswer(exc.status, exc.body), None)
        is_read = isinstance(request, MarkRead)
        attempt.type = request.type if isinstance(request, SendRequest) else READ
        fault = self.faults.decide(
            phone_number_id=phone_number_id, is_read=is_read, now=now, message_type=attempt.type
        )
        if fault is not None and fault.action == "answer":
            return attempt.rejected(GraphAnswer(fault.http_status or 500, fault.body), fault)
        if fault is not None and fault.action == "timeout":
            return attempt.timed_out(fault, self.faults.timeout_s)
        if isinstance(request, SendRequest):
            now_wall = self.clock.time()
            code = self.limiter.window_refusal(phone_number_id, request.wa_id, request.type, now_wall)
            if code is not None:
                return attempt.rejected(GraphAnswer(400, error_answer(code)), None)
        code = self.limiter.admit(phone_number_id, to, is_read=is_read, now=now)
        if code is not None:
            return attempt.rejected(GraphAnswer(400, error_answer(code)), None)
        if isinstance(request, MarkRead):
            attempt.accepted(None, None)
            return GraphAnswer(200, {"success": True})
        if fault is not None and fault.action == "lost_answer":
            self._accept(number, request, body, attempt, fault)
            return GraphAnswer(504, "Gateway Timeout", hang_s=self.faults.timeout_s)
        return self._accept(number, request, body, attempt, fault)

    def _accept(
        self,
        number: NumberSettings,
        request: SendRequest,
        body: Any,
        attempt: AttemptRecorder,
        fault: Fault | None,
    ) -> GraphAnswer:
        wamid = payloads.new_wamid()
        async_error = fault.code if fault is not None and fault.action == "async_fail" else None
        attempt.accepted(wamid, fault, async_error)
        self._state.sent.append(
            {
                "wamid": wamid,
                "to": request.wa_id,
                "input": request.to,
                "type": request.type,
                "phone_number_id": number.phone_number_id,
                "biz_opaque_callback_data": attempt.callback,
                "failed_with": async_error,
                "body": body,
                "received_at": wall(self.clock).isoformat(),
                "received_monotonic": attempt.monotonic,
            }
        )
        self._notify()
        if self.settings.send_statuses:
            steps = statuses.plan(
                request.type, async_error=async_error, plan_faults=self.faults, now=self.clock.time()
            )
            self._webhooks.spawn(
                self._webhooks.play_statuses(
                    steps,
                    number=number,
                    wamid=wamid,
                    recipient=request.wa_id,
                    biz_opaque_callback_data=attempt.callback,
                )
            )
        return GraphAnswer(
            200,
            {
                "messaging_product": "whatsapp",
                # Meta names the user by ``user_id`` instead of ``wa_id`` for a send by BSUID.
                "contacts": [{"input": request.to, "user_id" if request.bsuid else "wa_id": request.wa_id}],
                "messages": [{"id": wamid}],
            },
        )

    def record(self, **request: Any) -> None:
        """Keep one answered HTTP request (fields of :class:`RecordedRequest` but ``seq``)."""
        self._state.requests.append(RecordedRequest(seq=len(self._state.requests) + 1, **request))

    # ---- what happened --------------------------------------------------------------------

    def requests(self) -> list[RecordedRequest]:
        return list(self._state.requests)

    def attempts(self) -> list[SendAttempt]:
        """Every ``/messages`` call, in arrival order, with its outcome."""
        return list(self._state.attempts)

    def limit_violations(self) -> list[LimitViolation]:
        """Throughput or pair limits broken by the accepted sends (checked against the current
        limits, whether enforced or not): empty proves none was."""
        return violations(self._state.attempts, self.limiter.config)

    def limit_rejections(self) -> dict[str, int]:
        """How often the simulator's own limits and window (not injected faults) refused a call."""
        counts = Counter(
            str(a.code)
            for a in self._state.attempts
            if a.outcome == "rejected" and a.fault is None and a.code in (130429, 131056, 131047)
        )
        return dict(counts)

    def duplicates(self) -> list[Duplicate]:
        """Messages accepted more than once with the same ``biz_opaque_callback_data``."""
        return duplicates(self._state.attempts)

    def sent_messages(self, to: str | None = None) -> list[dict[str, Any]]:
        if to is None:
            return list(self._state.sent)
        wanted = recipient_key(to)
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
        return list(self._webhooks.deliveries)

    def _notify(self) -> None:
        # Wake every waiter, then give later waiters a fresh event to wait on.
        changed, self._changed = self._changed, asyncio.Event()
        changed.set()

    # ---- webhook side ---------------------------------------------------------------------

    def _number(self, phone_number_id: str | None) -> NumberSettings:
        if phone_number_id is None:
            return next(iter(self.numbers.values()))
        number = self.numbers.get(phone_number_id)
        if number is None:
            raise ValueError(f"the simulator plays no phone number {phone_number_id!r}")
        return number

    async def inject_text(
        self,
        from_: str,
        text: str,
        *,
        name: str = "Test User",
        wamid: str | None = None,
        phone_number_id: str | None = None,
    ) -> InjectResult:
        """Post a signed inbound text message webhook; returns the gateway's HTTP status."""
        number = self._number(phone_number_id)
        payload = payloads.text_message_webhook(
            from_="".join(ch for ch in from_ if ch.isdigit()),
            text=text,
            wamid=wamid,
            name=name,
            phone_number_id=number.phone_number_id,
            display_phone_number=number.display_phone_number,
            waba_id=number.waba_id,
            timestamp=int(self.clock.time()),
        )
        message_id = payload["entry"][0]["changes"][0]["value"]["messages"][0]["id"]
        self._open_windows(payload)
        status_code = await self._webhooks.deliver(
            payload, number=number, kind="message", wamid=message_id, status=None, raise_errors=True
        )
        assert status_code is not None
        return InjectResult(message_id, status_code)

    async def inject_webhook(self, payload: dict[str, Any], *, phone_number_id: str | None = None) -> int:
        """Post any webhook payload (e.g. from :mod:`tasklane_simulator.inbound`), signed for the
        number it names (or ``phone_number_id``); its user messages open their windows."""
        senders = inbound_senders(payload)
        named = phone_number_id or (senders[0][0] if senders else metadata_number(payload))
        number = self.numbers.get(named) if named else None
        self._open_windows(payload)
        status_code = await self._webhooks.deliver(
            payload,
            number=number or self._number(None),
            kind="webhook",
            wamid=first_wamid(payload),
            status=None,
            raise_errors=True,
        )
        assert status_code is not None
        return status_code

    async def inject_status(
        self,
        wamid: str,
        status: str,
        *,
        recipient_id: str,
        errors: list[dict[str, Any]] | None = None,
        phone_number_id: str | None = None,
        biz_opaque_callback_data: str | None = None,
    ) -> int | None:
        """Post a signed status webhook for ``wamid`` (e.g. a ``failed`` with Meta's errors) to
        ``recipient_id``: a phone number, or a business-scoped user id (``recipient_user_id``)."""
        return await self._webhooks.post_status(
            number=self._number(phone_number_id),
            wamid=wamid,
            status=status,
            recipient=recipient_key(recipient_id),
            errors=errors,
            biz_opaque_callback_data=biz_opaque_callback_data,
        )

    def _open_windows(self, payload: dict[str, Any]) -> None:
        for number, wa_id, at in inbound_senders(payload):
            opened = float(at) if at is not None else self.clock.time()
            self.limiter.open_window(number, recipient_key(wa_id), opened)
