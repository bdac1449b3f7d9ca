"""The simulator's sense of time: real by default, a manual clock for exact limit tests."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Protocol


class Clock(Protocol):
    def monotonic(self) -> float: ...

    def time(self) -> float:
        """Unix seconds (wall clock)."""
        ...


class SystemClock:
    def monotonic(self) -> float:
        return time.monotonic()

    def time(self) -> float:
        return time.time()


class ManualClock:
    """A clock that only moves when told to: limits and windows become exact in tests."""

    def __init__(self, start: float = 1_000.0, wall: float | None = None) -> None:
        self._now = start
        self._wall_offset = (wall if wall is not None else time.time()) - start

    def monotonic(self) -> float:
        return self._now

    def time(self) -> float:
        return self._now + self._wall_offset

    def advance(self, seconds: float) -> None:
        self._now += seconds


def wall(clock: Clock) -> datetime:
    return datetime.fromtimestamp(clock.time(), UTC)
