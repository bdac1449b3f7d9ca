"""What the simulator keeps of every ``/messages`` call, and the checks tests run over it."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any, Literal, NamedTuple

from tasklane_simulator.clock import Clock, wall
from tasklane_simulator.faults import Fault

Outcome = Literal["accepted", "rejected", "timeout"]

READ = "read"  # the ``type`` of a mark-as-read / typing-indicator call


@dataclass(frozen=True)
class SendAttempt:
    """One ``POST /{version}/{phone_number_id}/messages``, whatever became of it.

    ``outcome``: ``accepted`` (a wamid, or ``{"success": true}`` for a read receipt), ``rejected``
    (an error answer: ``code`` is the Graph code, None for a bare 5xx) or ``timeout`` (an injected
    hang: nothing was sent). ``fault`` names the injected fault that decided it (``"5xx"``,
    ``"130429"``, ``"storm:130429"``, ``"fail_next"``...); None for real outcomes, including
    the simulator's own limits. An accepted send with ``async_error`` got a ``failed`` status.
    """

    seq: int
    at: datetime
    monotonic: float
    phone_number_id: str
    to: str | None
    type: str | None
    outcome: Outcome
    http_status: int | None
    code: int | None
    fault: str | None
    wamid: str | None
    biz_opaque_callback_data: str | None
    async_error: int | None = None

    @property
    def accepted(self) -> bool:
        return self.outcome == "accepted"

    @property
    def is_read(self) -> bool:
        return self.type == READ

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["at"] = self.at.isoformat()
        return out


@dataclass(frozen=True)
class Duplicate:
    """Several accepted messages carrying the same ``biz_opaque_callback_data``."""

    biz_opaque_callback_data: str
    attempts: tuple[SendAttempt, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "biz_opaque_callback_data": self.biz_opaque_callback_data,
            "count": len(self.attempts),
            "wamids": [a.wamid for a in self.attempts],
            "attempts": [a.to_dict() for a in self.attempts],
        }


def duplicates(attempts: list[SendAttempt]) -> list[Duplicate]:
    """Messages the user would have received twice: accepted more than once with the same callback
    data. Read receipts and sends Meta later reported ``failed`` (never delivered) do not count."""
    by_data: dict[str, list[SendAttempt]] = defaultdict(list)
    for attempt in attempts:
        data = attempt.biz_opaque_callback_data
        if attempt.accepted and not attempt.is_read and attempt.async_error is None and data:
            by_data[data].append(attempt)
    return [Duplicate(data, tuple(found)) for data, found in by_data.items() if len(found) > 1]


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


class GraphAnswer(NamedTuple):
    """What to answer a Graph call: ``status`` with ``body`` (JSON dict or text); with ``hang_s``
    set, hang that long and then fail like a timeout, answering nothing."""

    status: int
    body: Any
    hang_s: float | None = None


class AttemptRecorder:
    """Builds the :class:`SendAttempt` of one call as its handling learns more about it."""

    def __init__(
        self,
        sink: list[SendAttempt],
        clock: Clock,
        now: float,
        number: str,
        to: str | None,
        callback: str | None,
    ) -> None:
        self.sink = sink
        self.monotonic = now
        self.at = wall(clock)
        self.number = number
        self.to = to
        self.callback = callback
        self.type: str | None = None

    def _record(
        self,
        outcome: Outcome,
        http_status: int | None,
        code: int | None,
        fault: Fault | None,
        wamid: str | None = None,
        async_error: int | None = None,
    ) -> None:
        self.sink.append(
            SendAttempt(
                seq=len(self.sink) + 1,
                at=self.at,
                monotonic=self.monotonic,
                phone_number_id=self.number,
                to=self.to,
                type=self.type,
                outcome=outcome,
                http_status=http_status,
                code=code,
                fault=fault.label if fault is not None else None,
                wamid=wamid,
                biz_opaque_callback_data=self.callback,
                async_error=async_error,
            )
        )

    def rejected(self, answer: GraphAnswer, fault: Fault | None) -> GraphAnswer:
        error = answer.body.get("error") if isinstance(answer.body, dict) else None
        code = error.get("code") if isinstance(error, dict) else None
        self._record("rejected", answer.status, code if isinstance(code, int) else None, fault)
        return answer

    def timed_out(self, fault: Fault, hang_s: float) -> GraphAnswer:
        self._record("timeout", None, None, fault)
        return GraphAnswer(504, "Gateway Timeout", hang_s=hang_s)

    def accepted(self, wamid: str | None, fault: Fault | None, async_error: int | None = None) -> None:
        self._record("accepted", 200, None, fault, wamid, async_error)
