"""The live read model of every replica of every service, from their heartbeats.

Each analytics replica receives every heartbeat on a queue of its own and keeps the latest two
per replica (two, for rates). A replica not heard from for ``STALE_AFTER`` heartbeat intervals is
gone (stopped, crashed, partitioned) and leaves the model; never sooner than ``MIN_STALE_S``, so
that a busy event loop sending a heartbeat late does not make a live replica vanish. State, not
history: nothing here is stored, and a restarted analytics knows the whole fleet again after one
interval.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from tasklane_common.errors import PermanentError
from tasklane_common.logging import get_logger
from tasklane_common.messaging.broker import Delivery
from tasklane_common.messaging.contracts.runtime import ReplicaHeartbeat
from tasklane_common.messaging.envelope import Envelope

log = get_logger(__name__)
STALE_AFTER = 3
MIN_STALE_S = 15.0


@dataclass
class Seen:
    latest: ReplicaHeartbeat
    previous: ReplicaHeartbeat | None
    received_at: datetime

    def rate(self, queue: str, field: str) -> float | None:
        """Per second, between the two latest heartbeats."""
        if self.previous is None:
            return None
        now = next((c for c in self.latest.consumers if c.queue == queue), None)
        before = next((c for c in self.previous.consumers if c.queue == queue), None)
        seconds = (self.latest.at - self.previous.at).total_seconds()
        if now is None or before is None or seconds <= 0:
            return None
        return max(0.0, float(getattr(now, field) - getattr(before, field)) / seconds)


class Fleet:
    def __init__(self) -> None:
        self._replicas: dict[tuple[str, str], Seen] = {}

    async def on_heartbeat(self, delivery: Delivery) -> None:
        try:
            beat = Envelope.from_bytes(delivery.body).open(ReplicaHeartbeat)
        except PermanentError as exc:
            log.warning("heartbeat_invalid", error=str(exc)[:300])
            return
        self.record(beat)

    def record(self, beat: ReplicaHeartbeat, now: datetime | None = None) -> None:
        key = (beat.service, beat.replica)
        known = self._replicas.get(key)
        if known is not None and beat.at <= known.latest.at:
            return  # a late copy
        self._replicas[key] = Seen(beat, known.latest if known else None, now or datetime.now(UTC))

    def live(self, now: datetime | None = None) -> list[Seen]:
        now = now or datetime.now(UTC)
        alive: list[Seen] = []
        for key, seen in list(self._replicas.items()):
            stale = max(seen.latest.interval_s * STALE_AFTER, MIN_STALE_S)
            if now - seen.received_at > timedelta(seconds=stale):
                del self._replicas[key]
            else:
                alive.append(seen)
        return sorted(alive, key=lambda s: (s.latest.service, s.latest.replica))

    def of(self, service: str) -> list[Seen]:
        return [s for s in self.live() if s.latest.service == service]

    def reports(self, service: str, name: str) -> list[Any]:
        return [s.latest.reports[name] for s in self.of(service) if name in s.latest.reports]
