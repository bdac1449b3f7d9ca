"""The whole system's health in the seed's ``HealthStatus`` shape, from every replica's own
readiness (carried by its heartbeat) and the broker's queue depths.

* ``unhealthy``: a service has no live replica, or none of its replicas is ready.
* ``degraded``: some replica is not ready, a breaker is open, a queue is paused, dead letters
  wait, or more than ``ERROR_RATE_DEGRADED`` of the deliveries handled lately failed.
* ``healthy`` otherwise.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from tasklane_analytics.operations.fleet import Fleet
from tasklane_common.messaging.topology import ALL_QUEUES, dead_letter_queue

SERVICES = ("gateway", "agent", "sender", "analytics")
ERROR_RATE_DEGRADED = 0.05


def _breaker_status(states: list[str]) -> str:
    if any(s == "open" for s in states):
        return "open"
    if any(s == "half-open" for s in states):
        return "half-open"
    return "closed"


def system_health(fleet: Fleet, depths: dict[str, tuple[int, int]] | None) -> dict[str, Any]:
    live = fleet.live()
    problems: list[str] = []
    fatal: list[str] = []
    services: dict[str, Any] = {}
    for service in SERVICES:
        replicas = [s for s in live if s.latest.service == service]
        ready = [s for s in replicas if s.latest.readiness.get("status") == "ok"]
        services[service] = {"replicas": len(replicas), "ready": len(ready)}
        if not ready:
            fatal.append(f"{service}: no ready replica")
        elif len(ready) < len(replicas):
            problems.append(f"{service}: {len(replicas) - len(ready)} replica(s) not ready")

    db_down = sorted(
        {
            s.latest.service
            for s in live
            if s.latest.readiness.get("checks", {}).get("database", {}).get("status") != "up"
        }
    )
    mq_down = sorted(
        {
            s.latest.service
            for s in live
            if s.latest.readiness.get("checks", {}).get("message_queue", {}).get("status") != "up"
        }
    )
    # Breakers are per replica (in memory): the worst state any sender replica holds, by number.
    whatsapp: dict[str, str] = {}
    for report in fleet.reports("sender", "breakers"):
        for number, state in (report or {}).items():
            if state != "closed" or number not in whatsapp:
                whatsapp[number] = state
    ai_states = [str(r.get("state", "closed")) for r in fleet.reports("agent", "ai") if isinstance(r, dict)]
    whatsapp_status = _breaker_status(list(whatsapp.values()))
    ai_status = _breaker_status(ai_states)
    if whatsapp_status != "closed":
        problems.append(f"whatsappApi breaker {whatsapp_status}")
    if ai_status != "closed":
        problems.append(f"aiProcessing breaker {ai_status}")

    in_flight = 0
    paused: list[str] = []
    for seen in live:
        for c in seen.latest.consumers:
            in_flight += c.in_flight
            if c.paused:
                paused.append(f"{seen.latest.service}:{c.queue}")
    rates = [
        (seen.rate(c.queue, "processed") or 0.0, seen.rate(c.queue, "failed") or 0.0)
        for seen in live
        for c in seen.latest.consumers
    ]
    ok_per_s = sum(r[0] for r in rates)
    failed_per_s = sum(r[1] for r in rates)
    error_rate = failed_per_s / (ok_per_s + failed_per_s) if ok_per_s + failed_per_s > 0 else 0.0
    if error_rate > ERROR_RATE_DEGRADED:
        problems.append(f"error rate {error_rate:.1%}")
    if paused:
        problems.append(f"paused: {', '.join(sorted(set(paused)))}")

    size = dead = 0
    if depths is not None:
        size = sum(depths.get(q.name, (0, 0))[0] for q in ALL_QUEUES)
        dead = sum(depths.get(dead_letter_queue(q.name), (0, 0))[0] for q in ALL_QUEUES)
    if db_down:
        fatal.append(f"database unreachable from {', '.join(db_down)}")
    if mq_down or depths is None:
        problems.append("message queue unreachable" + (f" from {', '.join(mq_down)}" if mq_down else ""))

    status = "unhealthy" if fatal else "degraded" if problems else "healthy"
    oldest = min((s.latest.started_at for s in live), default=None)
    now = datetime.now(UTC)
    return {
        "status": status,
        "timestamp": now.isoformat(),
        "uptime": round((now - oldest).total_seconds(), 1) if oldest else 0.0,
        "checks": {
            "database": {"status": "down" if db_down else "up", "unreachableFrom": db_down},
            "circuitBreakers": {
                "whatsappApi": {
                    "status": whatsapp_status,
                    "open": sorted(n for n, s in whatsapp.items() if s != "closed"),
                },
                "aiProcessing": {"status": ai_status},
            },
            # Tasklane keeps no shared cache: each service's state lives in its own schema.
            "cache": {"status": "not_used"},
            "messageQueue": {
                "status": "down" if (mq_down or depths is None) else "up",
                "size": size,
                "processing": in_flight,
                "deadLetters": dead,
                "paused": sorted(set(paused)),
            },
            "errorRate": {
                "status": "high" if error_rate > ERROR_RATE_DEGRADED else "ok",
                "value": round(error_rate, 4),
                "processedPerSecond": round(ok_per_s, 3),
                "failedPerSecond": round(failed_per_s, 3),
            },
        },
        "services": services,
        "problems": fatal + problems,
    }
