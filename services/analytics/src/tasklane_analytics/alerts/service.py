"""The alerts of one analytics replica: a background round every ``interval_s`` (observe, apply
to the shared state, notify what is due), and the listing the API and the console show.

Every replica runs the round; the state's row locks keep them from telling the same thing
twice (``state``). A round that fails (the database away) is logged and the next one tries.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

from tasklane_analytics.alerts import conditions, state
from tasklane_analytics.alerts.catalogue import Severity
from tasklane_analytics.alerts.notifier import DeliveryError, WebhookNotifier
from tasklane_analytics.alerts.settings import AlertSettings
from tasklane_analytics.alerts.tables import alert_state
from tasklane_analytics.operations.fleet import MIN_STALE_S
from tasklane_analytics.operations.service import Operations
from tasklane_common.background import cancel
from tasklane_common.logging import get_logger
from tasklane_common.runtime import ServiceRuntime

log = get_logger(__name__)
Lifespan = Callable[[Any], AbstractAsyncContextManager[None]]


class AlertService:
    def __init__(self, runtime: ServiceRuntime, settings: AlertSettings) -> None:
        self.runtime = runtime
        self.settings = settings
        self.ops: Operations | None = None
        self.evaluated_at: datetime | None = None
        self._webhooks = conditions.WebhookWindow()
        self._task: asyncio.Task[None] | None = None
        self._started: float | None = None
        self._notifier: WebhookNotifier | None = None
        keep = timedelta(hours=settings.keep_resolved_h)
        c = alert_state.c
        runtime.retain(
            alert_state, aged_by=c.resolved_at, key=c.fingerprint, keep=keep, only=c.resolved_at.is_not(None)
        )

    def watch(self, ops: Operations) -> None:
        """The fleet and the broker this replica observes (installed after the service's app)."""
        self.ops = ops

    @property
    def warmup_s(self) -> float:
        if self.settings.warmup_s is not None:
            return self.settings.warmup_s
        return max(3 * self.runtime.settings.control_interval_s, min(MIN_STALE_S, 5.0))

    # -- lifecycle -----------------------------------------------------------------------------

    def start(self) -> None:
        if not self.settings.enabled or self.ops is None:
            return
        if self.settings.webhook_url is not None:
            self._notifier = WebhookNotifier(self.settings)
        self._started = asyncio.get_running_loop().time()
        self._task = asyncio.create_task(self._run(), name="alerts")

    async def stop(self) -> None:
        await cancel(self._task)
        self._task = None
        if self._notifier is not None:
            await self._notifier.close()
            self._notifier = None

    async def _run(self) -> None:
        assert self._started is not None
        await asyncio.sleep(max(0.0, self._started + self.warmup_s - asyncio.get_running_loop().time()))
        while True:
            try:
                await self.round()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the next round tries again
                log.warning("alerts_round_failed", error=f"{type(exc).__name__}: {exc}")
            await asyncio.sleep(self.settings.interval_s)

    # -- one round -----------------------------------------------------------------------------

    async def round(self, now: datetime | None = None) -> int:
        """Observe, apply, notify; answers how many notifications went out."""
        await self.evaluate(now)
        return await self.notify(now)

    async def observe(self, now: datetime) -> conditions.Observed:
        assert self.ops is not None, "watch() first"
        depths = await self.ops.depths()
        observed = conditions.from_fleet(self.ops.fleet, depths, self.settings, self._webhooks, now)
        for name, source in (
            ("dead letters", conditions.from_dead_letters),
            ("rollups", conditions.from_rollups),
        ):
            try:
                async with self.runtime.db.read() as session:
                    observed |= await source(session, self.settings, now)
            except Exception as exc:
                # Their rules are unknown this round, neither fired nor resolved.
                log.warning("alerts_source_failed", source=name, error=type(exc).__name__)
        return observed

    async def evaluate(self, now: datetime | None = None) -> None:
        now = now or datetime.now(UTC)
        observed = await self.observe(now)
        async with self.runtime.db.transaction() as session:
            await state.apply(session, observed, self.settings, now)
        self.evaluated_at = now

    async def notify(self, now: datetime | None = None) -> int:
        if self._notifier is None:
            return 0
        sent = 0
        tried: set[str] = set()
        while True:
            now_ = now or datetime.now(UTC)
            async with self.runtime.db.transaction() as session:
                alert = await state.claim_due(session, self.settings, now_, tried=tried)
                if alert is None:
                    return sent
                tried.add(alert.fingerprint)
                try:
                    await self._notifier.send(alert)
                except DeliveryError as exc:
                    log.warning("alert_notify_failed", alert=alert.name, state=alert.state, error=str(exc))
                    continue
                await state.mark_notified(session, alert, now_)
            sent += 1
            log.info("alert_notified", alert=alert.name, state=alert.state, labels=alert.labels)

    async def alerts(self, *, resolved_hours: float, severity: Severity | None = None) -> list[state.Alert]:
        since = datetime.now(UTC) - timedelta(hours=resolved_hours)
        async with self.runtime.db.read() as session:
            return await state.listing(session, resolved_since=since, severity=severity)


def with_alerts(lifespan: Lifespan, alerts: AlertService) -> Lifespan:
    """``lifespan`` with the alerts' rounds running inside it (after migrations, before the stop)."""

    @asynccontextmanager
    async def wrapped(app: object = None) -> AsyncIterator[None]:
        async with lifespan(app):
            alerts.start()
            try:
                yield
            finally:
                await alerts.stop()

    return wrapped
