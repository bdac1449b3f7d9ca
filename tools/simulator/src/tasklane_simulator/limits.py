"""Meta's sending limits (reference §7), enforced live and checked after the fact.

- Throughput per business number: a token bucket of ``throughput_per_s`` tokens a second holding
  one second of burst. Every accepted ``/messages`` call takes a token, read receipts included.
- Pair rate per (number, recipient): a bucket of ``pair_burst`` tokens refilled one per
  ``pair_interval_s`` (Meta: one per 6 s, bursts up to 45). Read receipts are not messages to the
  user and take none.
- The 24-hour customer-service window per (number, user), opened by inbound messages: outside it
  only templates (and read receipts) are accepted, anything else is 131047.

:func:`violations` replays the accepted timestamps against the same buckets: a sequence of sends
fits a bucket of rate r and burst b exactly when every stretch ``[t_i, t_j]`` holds at most
``b + r * (t_j - t_i)`` sends, so an empty answer proves no limit was broken.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field, replace
from typing import Any, Literal

from tasklane_simulator.records import SendAttempt

THROUGHPUT_CODE = 130429
PAIR_CODE = 131056
WINDOW_CODE = 131047
# Timestamps are taken on one clock in one process; this only absorbs float rounding.
_EPSILON = 1e-6


@dataclass(frozen=True)
class LimitConfig:
    enforce: bool = True
    throughput_per_s: float = 80.0
    per_number: dict[str, float] = field(default_factory=dict)
    pair_interval_s: float = 6.0
    pair_burst: int = 45
    window: bool = False
    window_s: float = 24 * 3600.0

    def rate_of(self, phone_number_id: str) -> float:
        return self.per_number.get(phone_number_id, self.throughput_per_s)

    def with_changes(self, **changes: Any) -> LimitConfig:
        """A copy with ``changes``; ``limits`` and ``window`` also take ``"enforce"``/``"off"``."""
        if "limits" in changes:
            changes["enforce"] = _mode(changes.pop("limits"), "limits")
        if "window" in changes:
            changes["window"] = _mode(changes["window"], "window")
        unknown = sorted(set(changes) - set(self.__dataclass_fields__))
        if unknown:
            raise ValueError(f"unknown limit setting(s) {unknown}")
        return replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["limits"] = "enforce" if self.enforce else "off"
        out["window"] = "enforce" if self.window else "off"
        del out["enforce"]
        return out


def _mode(value: Any, name: str) -> bool:
    if value in ("enforce", True):
        return True
    if value in ("off", False):
        return False
    raise ValueError(f"{name} is 'enforce' or 'off', not {value!r}")


def _throughput_bucket(rate: float) -> tuple[float, float]:
    """(rate, burst) of a number's bucket: one second of sends, at least one."""
    return rate, max(1.0, rate)


def _pair_bucket(config: LimitConfig) -> tuple[float, float]:
    return 1.0 / config.pair_interval_s, float(config.pair_burst)


class TokenBucket:
    def __init__(self, rate: float, burst: float, now: float) -> None:
        self.rate = rate
        self.burst = burst
        self.tokens = burst
        self.updated = now

    def _refill(self, now: float) -> None:
        if now > self.updated:
            self.tokens = min(self.burst, self.tokens + (now - self.updated) * self.rate)
            self.updated = now

    def available(self, now: float) -> bool:
        self._refill(now)
        return self.tokens >= 1.0 - _EPSILON

    def take(self, now: float) -> None:
        self._refill(now)
        self.tokens -= 1.0


class Limiter:
    """The live buckets and windows; ``config`` changes rebuild the buckets (full again)."""

    def __init__(self, config: LimitConfig) -> None:
        self.config = config
        self._numbers: dict[str, TokenBucket] = {}
        self._pairs: dict[tuple[str, str], TokenBucket] = {}
        self._windows: dict[tuple[str, str], float] = {}

    def reconfigure(self, config: LimitConfig) -> None:
        self.config = config
        self._numbers.clear()
        self._pairs.clear()

    def reset(self) -> None:
        self._numbers.clear()
        self._pairs.clear()
        self._windows.clear()

    def admit(self, phone_number_id: str, to: str | None, *, is_read: bool, now: float) -> int | None:
        """Take the tokens of one send, or answer the Graph code of the limit it would break."""
        config = self.config
        if not config.enforce:
            return None
        number = self._number_bucket(phone_number_id, now)
        pair = None if is_read or to is None else self._pair_bucket(phone_number_id, to, now)
        if number is not None and not number.available(now):
            return THROUGHPUT_CODE
        if pair is not None and not pair.available(now):
            return PAIR_CODE
        if number is not None:
            number.take(now)
        if pair is not None:
            pair.take(now)
        return None

    def _number_bucket(self, phone_number_id: str, now: float) -> TokenBucket | None:
        rate = self.config.rate_of(phone_number_id)
        if rate <= 0:
            return None
        bucket = self._numbers.get(phone_number_id)
        if bucket is None:
            bucket = self._numbers[phone_number_id] = TokenBucket(*_throughput_bucket(rate), now)
        return bucket

    def _pair_bucket(self, phone_number_id: str, to: str, now: float) -> TokenBucket | None:
        if self.config.pair_burst <= 0 or self.config.pair_interval_s <= 0:
            return None
        key = (phone_number_id, to)
        bucket = self._pairs.get(key)
        if bucket is None:
            bucket = self._pairs[key] = TokenBucket(*_pair_bucket(self.config), now)
        return bucket

    # ---- the customer-service window ----------------------------------------------------------

    def open_window(self, phone_number_id: str, wa_id: str, at: float) -> None:
        """The user wrote at Unix time ``at``: the window runs ``window_s`` from their latest message."""
        key = (phone_number_id, wa_id)
        self._windows[key] = max(at, self._windows.get(key, at))

    def window_open(self, phone_number_id: str, wa_id: str, now: float) -> bool:
        opened = self._windows.get((phone_number_id, wa_id))
        return opened is not None and now - opened < self.config.window_s

    def window_refusal(self, phone_number_id: str, wa_id: str, kind: str, now: float) -> int | None:
        if not self.config.window or kind == "template":
            return None
        return None if self.window_open(phone_number_id, wa_id, now) else WINDOW_CODE


@dataclass(frozen=True)
class LimitViolation:
    """The worst stretch of accepted sends that no bucket of the configured limit allows."""

    limit: Literal["throughput", "pair"]
    phone_number_id: str
    to: str | None
    window_start: float
    window_end: float
    sends: int
    allowed: float
    violating_sends: int

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def violations(attempts: Iterable[SendAttempt], config: LimitConfig) -> list[LimitViolation]:
    """Every throughput or pair limit the accepted sends broke (empty: none was)."""
    by_number: dict[str, list[float]] = defaultdict(list)
    by_pair: dict[tuple[str, str], list[float]] = defaultdict(list)
    for attempt in attempts:
        if not attempt.accepted:
            continue
        by_number[attempt.phone_number_id].append(attempt.monotonic)
        if not attempt.is_read and attempt.to is not None:
            by_pair[(attempt.phone_number_id, attempt.to)].append(attempt.monotonic)
    found: list[LimitViolation] = []
    for number, times in by_number.items():
        rate = config.rate_of(number)
        if rate > 0:
            found += _worst("throughput", number, None, times, *_throughput_bucket(rate))
    if config.pair_burst > 0 and config.pair_interval_s > 0:
        for (number, to), times in by_pair.items():
            found += _worst("pair", number, to, times, *_pair_bucket(config))
    return found


def _worst(
    limit: Literal["throughput", "pair"],
    number: str,
    to: str | None,
    times: list[float],
    rate: float,
    burst: float,
) -> list[LimitViolation]:
    # Stretch [i, j] breaks the bucket when (j - i + 1) > burst + rate * (t_j - t_i), i.e. when
    # a_j - a_i + 1 > burst with a_k = k - rate * t_k: keep the smallest a_i seen so far.
    times = sorted(times)
    best_i, best_a = 0, 0.0 - rate * times[0]
    worst: tuple[float, int, int] | None = None
    violating = 0
    for j, t in enumerate(times):
        a = j - rate * t
        if a < best_a:
            best_i, best_a = j, a
        excess = a - best_a + 1 - burst
        if excess > _EPSILON:
            violating += 1
            if worst is None or excess > worst[0]:
                worst = (excess, best_i, j)
    if worst is None:
        return []
    _, i, j = worst
    return [
        LimitViolation(
            limit=limit,
            phone_number_id=number,
            to=to,
            window_start=times[i],
            window_end=times[j],
            sends=j - i + 1,
            allowed=burst + rate * (times[j] - times[i]),
            violating_sends=violating,
        )
    ]
