"""Fault injection: what goes wrong with a valid ``/messages`` call, decided per call.

Three sources, in this order: the ``fail_next`` queue (explicit, the next n calls), storms (every
call for the next N seconds), then random rates drawn from one seeded RNG (one draw per valid
call, so a seed replays the same faults for the same sequence of calls). Read receipts only get
the faults that make sense for them (5xx, timeout, 130429, 190).

Status fidelity rides on the same RNG: skipped ``delivered``, duplicated and reordered status
webhooks are decided when the send is accepted.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from tasklane_simulator.errors import graph_error, http_status_for

SERVER_ERROR = "5xx"
TIMEOUT = "timeout"
THROUGHPUT = "130429"
PAIR = "131056"
WINDOW = "131047"
UNDELIVERABLE = "131026"
AUTH = "190"
# In draw order; the order is part of what a seed reproduces.
LOST_ANSWER = "lost_answer"
SEND_FAULTS = (SERVER_ERROR, TIMEOUT, THROUGHPUT, PAIR, WINDOW, UNDELIVERABLE, AUTH, LOST_ANSWER)
READ_FAULTS = frozenset({SERVER_ERROR, TIMEOUT, THROUGHPUT, AUTH})

SKIP_DELIVERED = "skip_delivered"
DUPLICATE_STATUS = "duplicate_status"
REORDER_STATUSES = "reorder_statuses"
STATUS_FAULTS = (SKIP_DELIVERED, DUPLICATE_STATUS, REORDER_STATUSES)

_DETAILS = {
    THROUGHPUT: "Cloud API message throughput has been reached.",
    PAIR: "Message failed to send because there were too many messages sent from this phone number "
    "to the same phone number in a short period of time.",
    WINDOW: "Message failed to send because more than 24 hours have passed since the customer last "
    "replied to this number.",
    UNDELIVERABLE: "Message Undeliverable.",
}

# The 5xx variants Meta and the proxies in front of it produce, drawn uniformly.
_SERVER_ERRORS: tuple[tuple[int, Any], ...] = (
    (500, "json:131000"),
    (503, "json:2"),
    (500, "<html><body><h1>500 Internal Server Error</h1></body></html>"),
    (503, "<html><body><h1>503 Service Unavailable</h1></body></html>"),
)


@dataclass(frozen=True)
class Fault:
    """What to do instead of (or after) accepting a call.

    ``action``: ``answer`` (``http_status`` with ``body``, a JSON dict or text), ``timeout``
    (hang, then fail without answering), ``async_fail`` (accept, then a ``failed`` status
    with ``code``) or ``lost_answer`` (accept, then hang and fail like a timeout: the message
    goes out but its sender never learns the wamid)."""

    label: str
    action: Literal["answer", "timeout", "async_fail", "lost_answer"]
    http_status: int | None = None
    body: Any = None
    code: int | None = None


def error_answer(code: int, details: str | None = None) -> dict[str, Any]:
    if code == 190:
        return graph_error(
            190,
            "Error validating access token: Session has expired. The current time is later than "
            "the expiry time of the token.",
            type_="OAuthException",
            subcode=463,
        )
    return graph_error(code, details=details if details is not None else _DETAILS.get(str(code)))


def _fault_of(kind: str, label: str, rng: random.Random) -> Fault:
    if kind == TIMEOUT:
        return Fault(label, "timeout")
    if kind == UNDELIVERABLE:
        return Fault(label, "async_fail", code=131026)
    if kind == LOST_ANSWER:
        return Fault(label, "lost_answer")
    if kind == SERVER_ERROR:
        status, body = rng.choice(_SERVER_ERRORS)
        if isinstance(body, str) and body.startswith("json:"):
            code = int(body.removeprefix("json:"))
            return Fault(label, "answer", status, graph_error(code), code)
        return Fault(label, "answer", status, body)
    code = int(kind)
    return Fault(label, "answer", http_status_for(code), error_answer(code), code)


@dataclass
class _Queued:
    remaining: int
    code: int | None
    status: int
    details: str | None


@dataclass(frozen=True)
class Storm:
    kind: str
    until: float
    phone_number_id: str | None

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "until_monotonic": self.until, "phone_number_id": self.phone_number_id}


@dataclass
class FaultPlan:
    rates: dict[str, float] = field(default_factory=dict)
    seed: int | None = None
    timeout_s: float = 12.0
    storms: list[Storm] = field(default_factory=list)
    queued: list[_Queued] = field(default_factory=list)
    rng: random.Random = field(default_factory=random.Random)

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)

    # ---- configuration --------------------------------------------------------------------

    def set_rates(
        self, rates: Mapping[str, float], *, seed: int | None = None, timeout_s: float | None = None
    ) -> None:
        """Replace the rates (missing kinds become 0); a ``seed`` restarts the RNG."""
        clean = {str(kind): float(rate) for kind, rate in rates.items()}
        unknown = sorted(set(clean) - set(SEND_FAULTS) - set(STATUS_FAULTS))
        if unknown:
            raise ValueError(f"unknown fault kind(s) {unknown}; known: {[*SEND_FAULTS, *STATUS_FAULTS]}")
        if any(not 0.0 <= rate <= 1.0 for rate in clean.values()):
            raise ValueError("every rate is a probability between 0 and 1")
        if sum(clean.get(kind, 0.0) for kind in SEND_FAULTS) > 1.0 + 1e-9:
            raise ValueError("the send fault rates add up to more than 1")
        if timeout_s is not None and timeout_s < 0:
            raise ValueError("timeout_s must be >= 0")
        self.rates = {kind: rate for kind, rate in clean.items() if rate > 0}
        if seed is not None:
            self.seed = seed
            self.rng = random.Random(seed)
        if timeout_s is not None:
            self.timeout_s = timeout_s

    def add_storm(self, kind: str, seconds: float, now: float, phone_number_id: str | None = None) -> Storm:
        if kind not in SEND_FAULTS:
            raise ValueError(f"unknown fault kind {kind!r}; known: {list(SEND_FAULTS)}")
        if seconds <= 0:
            raise ValueError("a storm lasts more than 0 seconds")
        storm = Storm(kind, now + seconds, phone_number_id)
        self.storms.append(storm)
        return storm

    def fail_next(self, n: int, code: int | None, status: int | None, details: str | None) -> None:
        if code is None and status is None:
            raise ValueError("a fault needs a code or an HTTP status")
        http_status = status if status is not None else http_status_for(code or 0)
        self.queued.append(_Queued(n, code, http_status, details))

    def clear(self) -> None:
        self.rates = {}
        self.storms = []
        self.queued = []

    def snapshot(self, now: float) -> dict[str, Any]:
        return {
            "rates": dict(self.rates),
            "seed": self.seed,
            "timeout_s": self.timeout_s,
            "storms": [s.to_dict() for s in self.storms if s.until > now],
            "queued": [
                {"remaining": q.remaining, "code": q.code, "status": q.status}
                for q in self.queued
                if q.remaining > 0
            ],
        }

    # ---- decisions ------------------------------------------------------------------------

    def decide(
        self, *, phone_number_id: str, is_read: bool, now: float, message_type: str | None = None
    ) -> Fault | None:
        queued = self._take_queued()
        if queued is not None:
            return queued
        self.storms = [s for s in self.storms if s.until > now]
        for storm in self.storms:
            applies = not is_read or storm.kind in READ_FAULTS
            if storm.phone_number_id in (None, phone_number_id) and applies:
                return _fault_of(storm.kind, f"storm:{storm.kind}", self.rng)
        if not any(kind in self.rates for kind in SEND_FAULTS):
            return None
        draw = self.rng.random()
        for kind in SEND_FAULTS:
            rate = self.rates.get(kind, 0.0)
            if draw < rate:
                if is_read and kind not in READ_FAULTS:
                    return None
                # Meta never answers 131047 (outside the window) to a template: templates are
                # what may be sent outside it.
                if kind == WINDOW and message_type == "template":
                    return None
                return _fault_of(kind, kind, self.rng)
            draw -= rate
        return None

    def status_draw(self, kind: str) -> bool:
        rate = self.rates.get(kind, 0.0)
        return rate > 0 and self.rng.random() < rate

    def _take_queued(self) -> Fault | None:
        while self.queued and self.queued[0].remaining <= 0:
            self.queued.pop(0)
        if not self.queued:
            return None
        q = self.queued[0]
        q.remaining -= 1
        if q.code is None:
            return Fault("fail_next", "answer", q.status, "Service Unavailable")
        return Fault("fail_next", "answer", q.status, graph_error(q.code, details=q.details), q.code)
