"""The Graph API ``/messages`` call, behind one circuit breaker per phone number id.

Only outages (HTTP 5xx, timeouts, connection errors and Meta's "temporarily unavailable" codes,
``outage`` in the table of ``errors``) count against a breaker: a rate limit or a rejected
message says the API is up. While a breaker is open no call is made; the dispatcher leaves that
number's messages queued until it may close.

An answer becomes a ``SendOutcome``: ``sent`` (with the wamid; None for a read receipt),
``error`` (Meta's code and the ``errors.Rule`` that says what follows), ``failed`` (nothing to
retry: a 2xx that does not say what it accepted) or ``blocked`` (no call was made: an open
breaker, or a lease too near its end to outlast the call, after which another replica could claim
and send the same message).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

import httpx
import pybreaker

from tasklane_common.logging import get_logger
from tasklane_common.secrets import SecretsError
from tasklane_sender import kinds
from tasklane_sender.errors import PAUSE, Rule, graph_reason, rule_for
from tasklane_sender.identifiers import (
    MAYBE_ACCEPTED,
    NOT_SENT,
    PHONE_NUMBER_ID_INVALID,
    TOKEN_INVALID,
    UnusableToken,
    valid_phone_number_id,
)
from tasklane_sender.numbers import NumberDirectory
from tasklane_sender.repository import OutboundMessage
from tasklane_sender.settings import SenderSettings

log = get_logger(__name__)

Verdict = Literal["sent", "error", "failed", "blocked"]

# Why a claimed message went back to the queue unsent when its replica stopped.
RELEASED = "released unsent: its sender was stopping"

# Slack between the end of the longest call (``request_timeout_s``) and the lease's expiry, for
# the settle commit and clock jitter: a call that might end later is not started.
_LEASE_MARGIN_S = 1.0


@dataclass(frozen=True)
class SendOutcome:
    verdict: Verdict
    wamid: str | None = None
    error_code: int | None = None
    reason: str = ""
    http_status: int | None = None
    # For "blocked": when the breaker of this phone number may let a trial call through.
    retry_at: datetime | None = None
    # For "error": what the table of ``errors`` says follows.
    rule: Rule | None = None
    # The request went out and no answer came back: Meta may have accepted it (its retry waits
    # for the status webhook, see ``ambiguous_retry_s``).
    ambiguous: bool = False
    # The request may have reached Meta (ambiguous, or a connection that broke after sending):
    # a final failure says "it may have been delivered" rather than "nothing was sent".
    may_have_arrived: bool = False


class _Outage(Exception):
    def __init__(self, outcome: SendOutcome) -> None:
        super().__init__(outcome.reason)
        self.outcome = outcome


class _Breaker:
    def __init__(self, name: str, fail_max: int, reset_s: float, reset_max_s: float) -> None:
        self.storage = pybreaker.CircuitMemoryStorage(pybreaker.STATE_CLOSED)
        self.reset_s = self.initial_reset_s = reset_s
        self.reset_max_s = max(reset_s, reset_max_s)
        # throw_new_error_on_trip=False: the call that trips it reports its own error.
        self.breaker = pybreaker.CircuitBreaker(
            fail_max=fail_max,
            reset_timeout=reset_s,
            state_storage=self.storage,
            name=name,
            throw_new_error_on_trip=False,
        )
        # Set while the one trial call of a half-open breaker is in flight.
        self.trial_in_flight = False

    def trial_failed(self) -> None:
        """The outage goes on: wait twice as long before the next trial, up to the maximum."""
        self.reset_s = min(self.reset_s * 2, self.reset_max_s)
        self.breaker.reset_timeout = self.reset_s

    def trial_passed(self) -> None:
        self.reset_s = self.initial_reset_s
        self.breaker.reset_timeout = self.reset_s

    def reopens_at(self) -> datetime:
        opened = self.storage.opened_at or datetime.now(UTC)
        return opened + timedelta(seconds=self.reset_s)

    def blocked_until(self, now: datetime) -> datetime | None:
        if self.breaker.current_state == pybreaker.STATE_CLOSED:
            return None
        if self.trial_in_flight:
            return now + timedelta(seconds=min(1.0, self.reset_s))
        at = self.reopens_at()
        return at if at > now else None


class GraphClient:
    def __init__(
        self, http: httpx.AsyncClient, settings: SenderSettings, tokens: NumberDirectory | None = None
    ) -> None:
        self._http = http
        self._settings = settings
        self._breakers: dict[str, _Breaker] = {}
        # Requests queued inside httpcore's pool cost time quadratic in their number (measured:
        # most of the sender's CPU at a few hundred in flight); waiting here costs nothing.
        self._calls = asyncio.Semaphore(settings.graph_concurrency)
        # Set on shutdown: a call not started yet is not started (the dispatcher releases it).
        self.closing = False
        self._tokens = tokens
        # Told each call's result code and duration (tasklane_sender.metrics).
        self.on_call: Callable[[str, float], None] | None = None
        token = settings.access_token.get_secret_value() if settings.access_token else None
        self._headers = {"Authorization": f"Bearer {token}"} if token else {}

    async def _headers_for(self, phone_number_id: str) -> dict[str, str]:
        """The number's own token (numbers.py) or the default one; raises ``SecretsError``."""
        if self._tokens is None:
            return self._headers
        token = await self._tokens.token_for(phone_number_id)
        return {"Authorization": f"Bearer {token}"} if token else {}

    def _breaker(self, phone_number_id: str) -> _Breaker:
        breaker = self._breakers.get(phone_number_id)
        if breaker is None:
            breaker = self._breakers[phone_number_id] = _Breaker(
                f"graph:{phone_number_id}",
                self._settings.breaker_fail_max,
                self._settings.breaker_reset_s,
                self._settings.breaker_reset_max_s,
            )
        return breaker

    def blocked_phone_number_ids(self, now: datetime) -> dict[str, datetime]:
        """Phone number ids whose breaker is open, with when each may let a call through."""
        out = {}
        for pnid, breaker in self._breakers.items():
            until = breaker.blocked_until(now)
            if until is not None:
                out[pnid] = until
        return out

    def breaker_states(self) -> dict[str, str]:
        return {pnid: b.breaker.current_state for pnid, b in self._breakers.items()}

    def url(self, phone_number_id: str) -> str:
        s = self._settings
        return f"{s.graph_base_url.rstrip('/')}/{s.graph_api_version}/{phone_number_id}/messages"

    async def send(self, message: OutboundMessage, deadline: float | None = None) -> SendOutcome:
        """``deadline``: when (event loop clock) the message's lease runs out. A call that could
        still be in flight then is not made (see ``_LEASE_MARGIN_S``)."""
        if not valid_phone_number_id(message.phone_number_id):
            return SendOutcome("failed", reason=f"{PHONE_NUMBER_ID_INVALID}; {NOT_SENT}")
        try:
            headers = await self._headers_for(message.phone_number_id)
        except SecretsError as exc:
            # As if Meta refused the token: the number is not usable until it is configured again.
            return SendOutcome("error", error_code=190, reason=str(exc), rule=PAUSE)
        except UnusableToken:
            # Every attempt would fail alike: a permanent failure of this message, at once.
            return SendOutcome("failed", reason=f"{TOKEN_INVALID}; {NOT_SENT}")
        request = self._request(message, headers)
        if isinstance(request, SendOutcome):
            return request
        # Held around the breaker, not just the POST: the lease check below must come after the
        # wait for a slot, and a skipped call must not count as a breaker's trial.
        async with self._calls:
            if self.closing:
                return SendOutcome("blocked", reason=RELEASED, retry_at=datetime.now(UTC))
            loop = asyncio.get_running_loop()
            if deadline is not None and (
                loop.time() + self._settings.request_timeout_s + _LEASE_MARGIN_S > deadline
            ):
                # Past its lease another replica may claim and send it too: back to the queue at
                # once, not counting an attempt (no call was made).
                return SendOutcome(
                    "blocked", reason="lease would expire during the call", retry_at=datetime.now(UTC)
                )
            return await self._guarded(message, request)

    async def _guarded(self, message: OutboundMessage, request: httpx.Request) -> SendOutcome:
        breaker = self._breaker(message.phone_number_id)
        now = datetime.now(UTC)
        # pybreaker lets every caller through once the reset timeout has passed; only one trial
        # may go, the others wait (not counting an attempt) for its verdict.
        trial = breaker.breaker.current_state != pybreaker.STATE_CLOSED
        if trial and breaker.trial_in_flight:
            return SendOutcome(
                "blocked",
                reason="circuit half-open: a trial call is in flight",
                retry_at=breaker.blocked_until(now),
            )
        breaker.trial_in_flight = trial
        try:
            with breaker.breaker.calling():
                outcome = await self._post(message, request)
                if outcome.rule is not None and outcome.rule.outage:
                    raise _Outage(outcome)
        except pybreaker.CircuitBreakerError:
            return SendOutcome("blocked", reason="circuit open", retry_at=breaker.reopens_at())
        except _Outage as exc:
            if trial:
                # Re-opened by pybreaker already, from now: the next trial comes after the longer wait.
                breaker.trial_failed()
            if breaker.breaker.current_state == pybreaker.STATE_OPEN:
                log.warning(
                    "graph_circuit_open",
                    phone_number_id=message.phone_number_id,
                    reopens_at=breaker.reopens_at().isoformat(),
                    reason=exc.outcome.reason,
                )
            if trial:
                # The outage goes on; that is no fault of this message, whose attempts are kept
                # for failures of its own. Otherwise a long outage would fail the whole backlog.
                return SendOutcome(
                    "blocked", reason=f"trial failed: {exc.outcome.reason}", retry_at=breaker.reopens_at()
                )
            return exc.outcome
        finally:
            if trial:
                breaker.trial_in_flight = False
        if trial:
            breaker.trial_passed()
        return outcome

    def _request(self, message: OutboundMessage, headers: dict[str, str]) -> httpx.Request | SendOutcome:
        """The request, or the permanent failure of a message no request can be built for. The
        exception's text is not kept: a header's encoding error carries the whole header."""
        try:
            return self._http.build_request(
                "POST",
                self.url(message.phone_number_id),
                json=kinds.request_body(message, now=datetime.now(UTC)),
                headers=headers,
                timeout=self._settings.request_timeout_s,
            )
        except Exception as exc:
            return SendOutcome(
                "failed", reason=f"the request could not be built ({type(exc).__name__}); {NOT_SENT}"
            )

    async def _post(self, message: OutboundMessage, request: httpx.Request) -> SendOutcome:
        started = time.perf_counter()
        outcome = await self._call(message, request)
        if self.on_call is not None:
            code = "ok" if outcome.verdict == "sent" else outcome.error_code
            if code is None:
                code = f"http_{outcome.http_status}" if outcome.http_status else _failure_kind(outcome)
            self.on_call(str(code), time.perf_counter() - started)
        return outcome

    async def _call(self, message: OutboundMessage, request: httpx.Request) -> SendOutcome:
        try:
            response = await self._http.send(request)
        except httpx.TimeoutException as exc:
            # A connect or pool timeout never reached Meta; a read or write timeout may have.
            ambiguous = isinstance(exc, httpx.ReadTimeout | httpx.WriteTimeout)
            return SendOutcome(
                "error",
                reason=f"timeout calling the Graph API ({type(exc).__name__}; "
                + (f"{MAYBE_ACCEPTED})" if ambiguous else f"{NOT_SENT})"),
                rule=rule_for(None, None),
                ambiguous=ambiguous,
                may_have_arrived=ambiguous,
            )
        except httpx.TransportError as exc:
            # A refused connection never carried the request; a broken one may have.
            arrived = not isinstance(exc, httpx.ConnectError | httpx.UnsupportedProtocol)
            return SendOutcome(
                "error",
                reason=f"cannot reach the Graph API ({type(exc).__name__}: {exc})",
                rule=rule_for(None, None),
                may_have_arrived=arrived,
            )
        body = _json(response)
        if response.is_success:
            try:
                wamid = kinds.accepted_wamid(message.kind, body)
            except kinds.UnreadableAnswer as exc:
                # Accepted but unreadable: sending again could duplicate, so give up loudly.
                return SendOutcome(
                    "failed", reason=str(exc), http_status=response.status_code, may_have_arrived=True
                )
            # None for a read receipt, which has no wamid.
            return SendOutcome("sent", wamid=wamid, http_status=response.status_code)
        error = body.get("error") if isinstance(body, dict) else None
        transient = None
        if isinstance(error, dict):
            code = error.get("code") if isinstance(error.get("code"), int) else None
            reason = graph_reason(error)
            transient = error.get("is_transient") is True
        else:
            code, reason = None, f"HTTP {response.status_code} from the Graph API: {response.text[:200]}"
        return SendOutcome(
            "error",
            error_code=code,
            reason=reason,
            http_status=response.status_code,
            rule=rule_for(response.status_code, code, transient=transient),
        )


def _failure_kind(outcome: SendOutcome) -> str:
    return "timeout" if outcome.reason.startswith("timeout") else "transport"


def _json(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None
