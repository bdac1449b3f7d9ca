"""What one Graph API answer does to the message, its number and its recipient, inside the settle
transaction. ``errors`` decides the action; this module carries it out.

Effects on a number or a recipient (throttle, hold, pause, pair back-off) are collected while a
batch is settled and applied at its end, numbers then recipients, each in key order: the claim
locks in the same order, so settles and claims never deadlock.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from opentelemetry import context as otel_context
from sqlalchemy.ext.asyncio import AsyncSession

from tasklane_common.logging import get_logger
from tasklane_common.messaging import Outbox, deterministic_id
from tasklane_common.messaging.contracts.sender import SenderAlert
from tasklane_common.telemetry import extract_context
from tasklane_sender import holds, pacing, templates, tracking, windows
from tasklane_sender.errors import Action, backoff_s
from tasklane_sender.graph import SendOutcome
from tasklane_sender.identifiers import MAY_HAVE_BEEN_DELIVERED, MAYBE_ACCEPTED, NOT_SENT, REFUSED
from tasklane_sender.repository import OutboundMessage, OutboundRepository
from tasklane_sender.settings import SenderSettings

log = get_logger(__name__)

READ = pacing.READ


@dataclass
class Tally:
    """What a batch did, for the dispatcher's counters and its wake-up."""

    sent: int = 0
    failed: int = 0
    retried: int = 0


@dataclass
class _NumberEffect:
    code: int | None
    reason: str
    action: Action
    wait_s: float = 0.0
    # For THROTTLE: the number's ``throttled_at`` as the claims of the refused sends saw it.
    seen: set[datetime | None] = field(default_factory=set)


# What a probe's answer says about its number's throughput (``holds.end_probe``).
PROBE_PASSED, PROBE_RELEASED, PROBE_REFUSED = "passed", "released", "refused"


@dataclass
class Effects:
    numbers: dict[str, _NumberEffect] = field(default_factory=dict)
    pairs: set[tuple[str, str]] = field(default_factory=set)
    # Recipients whose pair slot goes back: their message reached nobody (``holds.pair_refund``).
    refunds: set[tuple[str, str]] = field(default_factory=set)
    probes: dict[str, str] = field(default_factory=dict)

    # A pause outranks a hold, which outranks a throttle.
    _RANK = {Action.PAUSE: 3, Action.HOLD: 2, Action.THROTTLE: 1}

    def on_number(self, phone_number_id: str, effect: _NumberEffect) -> None:
        current = self.numbers.get(phone_number_id)
        if current is not None and current.action is effect.action is Action.THROTTLE:
            current.seen |= effect.seen
        elif current is None or self._RANK[effect.action] > self._RANK[current.action]:
            self.numbers[phone_number_id] = effect

    def on_probe(self, message: OutboundMessage, outcome: SendOutcome) -> None:
        throttled = outcome.rule is not None and outcome.rule.action is Action.THROTTLE
        if outcome.verdict == "sent":
            verdict = PROBE_PASSED
        elif outcome.verdict == "error" and throttled:
            verdict = PROBE_REFUSED
        else:
            verdict = PROBE_RELEASED
        self.probes[message.phone_number_id] = verdict


def _maybe_accepted_before(message: OutboundMessage) -> bool:
    return message.last_error is not None and MAYBE_ACCEPTED in message.last_error


def _with_delivery_note(message: OutboundMessage, outcome: SendOutcome, reason: str) -> str:
    """End a failure's reason with what the user may have got: nothing (the request never left,
    or Meta refused every attempt), or possibly the message (an answer was lost on the way)."""
    if NOT_SENT in reason or MAY_HAVE_BEEN_DELIVERED in reason:
        return reason
    if outcome.may_have_arrived or _maybe_accepted_before(message):
        return f"{reason}; {MAY_HAVE_BEEN_DELIVERED}"
    if outcome.http_status is not None:
        return f"{reason}; {REFUSED}"
    return f"{reason}; {NOT_SENT}"


@contextmanager
def _traced(trace_headers: dict[str, Any]) -> Iterator[None]:
    """Make the events emitted meanwhile join the trace of the send they settle."""
    token = otel_context.attach(extract_context(trace_headers))
    try:
        yield
    finally:
        otel_context.detach(token)


class Settlement:
    def __init__(
        self, session: AsyncSession, outbox: Outbox, settings: SenderSettings, *, now: datetime
    ) -> None:
        self.session = session
        self.repo = OutboundRepository(session)
        self.outbox = outbox
        self.settings = settings
        self.now = now
        self.effects = Effects()
        self.tally = Tally()

    async def settle_many(
        self, items: Sequence[tuple[OutboundMessage, SendOutcome, dict[str, Any]]]
    ) -> list[OutboundMessage | None]:
        """``settle`` for a batch of answers, each with the trace context of its send. The common
        case, accepted messages, takes a handful of statements for the whole batch (PostgreSQL)."""
        results: list[OutboundMessage | None] = [None] * len(items)
        bulk = [
            i
            for i, (message, outcome, _) in enumerate(items)
            if outcome.verdict == "sent" and outcome.wamid is not None and message.kind != READ
        ]
        if self.repo.dialect != "postgresql":
            bulk = []
        if bulk:
            marked = await self.repo.mark_sent_many(
                [(items[i][0], items[i][1].wamid or "") for i in bulk], now=self.now
            )
            settled = [(i, marked[items[i][0].reply_id]) for i in bulk if items[i][0].reply_id in marked]
            await tracking.emit_sent_many(
                self.session, self.outbox, [(message, items[i][2]) for i, message in settled], at=self.now
            )
            early = await self.repo.claim_unknown_statuses_many([m.wamid for _, m in settled if m.wamid])
            for i, message in settled:
                self.tally.sent += 1
                if message.wamid in early:
                    with _traced(items[i][2]):
                        message = await tracking.reconcile(
                            self.session, self.outbox, message, now=self.now, early=early[message.wamid]
                        )
                results[i] = message
        done = set(bulk)
        for i, (message, outcome, trace_headers) in enumerate(items):
            if i not in done:
                with _traced(trace_headers):
                    results[i] = await self.settle(message, outcome)
        for message, outcome, _ in items:
            if message.probe:
                self.effects.on_probe(message, outcome)
        return results

    async def settle(self, message: OutboundMessage, outcome: SendOutcome) -> OutboundMessage | None:
        """Record ``outcome`` for ``message``; None when its lease was lost to another worker."""
        if outcome.verdict == "sent":
            return await self._sent(message, outcome.wamid)
        if outcome.verdict == "blocked":
            self._refund(message)
            return await self._wait(message, outcome, at=outcome.retry_at or self.now, count=False)
        if outcome.verdict == "failed" or outcome.rule is None:
            return await self._fail(message, outcome, outcome.reason)
        s = self.settings
        rule = outcome.rule
        match rule.action:
            case Action.RETRY | Action.RETRY_ONCE:
                again = message.attempts < s.max_attempts
                if rule.action is Action.RETRY_ONCE and message.error_code == outcome.error_code:
                    return await self._fail(message, outcome, f"failed twice in a row: {outcome.reason}")
                if not again:
                    return await self._fail(
                        message, outcome, f"gave up after {message.attempts} attempts: {outcome.reason}"
                    )
                delay = backoff_s(message.attempts, initial=s.backoff_initial_s, maximum=s.backoff_max_s)
                if outcome.ambiguous:
                    # Meta may have accepted it: give its `sent` status (which names the reply)
                    # time to arrive and settle the message before it is sent a second time.
                    delay = max(delay, s.ambiguous_retry_s)
                log.info(
                    "send_retry_scheduled",
                    reply_id=message.reply_id,
                    attempt=message.attempts,
                    error_code=outcome.error_code,
                    http_status=outcome.http_status,
                    retry_in_s=round(delay, 2),
                    reason=outcome.reason,
                )
                return await self._wait(message, outcome, at=self.now + timedelta(seconds=delay), count=True)
            case Action.THROTTLE | Action.PAUSE:
                # Nothing wrong with this message: it waits for its number, attempt unspent.
                self._refund(message)
                self.effects.on_number(
                    message.phone_number_id,
                    _NumberEffect(
                        outcome.error_code, outcome.reason, rule.action, seen={message.throttled_at_claim}
                    ),
                )
                return await self._wait(message, outcome, at=self.now, count=False)
            case Action.PAIR:
                self.effects.pairs.add((message.phone_number_id, message.to))
                return await self._wait(message, outcome, at=self.now, count=False)
            case Action.HOLD:
                wait_s = float(getattr(s, rule.wait_setting or "spam_limit_wait_s"))
                self.effects.on_number(
                    message.phone_number_id,
                    _NumberEffect(outcome.error_code, outcome.reason, rule.action, wait_s),
                )
                if message.attempts >= s.max_attempts:
                    return await self._fail(
                        message, outcome, f"gave up after {message.attempts} attempts: {outcome.reason}"
                    )
                return await self._wait(message, outcome, at=self.now, count=True)
            case Action.WINDOW:
                if templates.fallback(message, s) is None:
                    return await self._fail(
                        message, outcome, windows.refusal_reason(message, s, outcome.reason)
                    )
                requeued = await windows.requeue_as_template(
                    self.session, message, s, reason=outcome.reason, now=self.now
                )
                if requeued is not None:
                    log.info("resent_as_template", reply_id=message.reply_id, after="131047")
                    self.tally.retried += 1
                return requeued
            case _:
                return await self._fail(message, outcome, outcome.reason)

    def _refund(self, message: OutboundMessage) -> None:
        if message.kind != READ:
            self.effects.refunds.add((message.phone_number_id, message.to))

    async def _sent(self, message: OutboundMessage, wamid: str | None) -> OutboundMessage | None:
        if wamid is not None:
            await self.repo.lock_wamid(wamid)
        settled = await self.repo.mark_sent(message, wamid=wamid, now=self.now)
        if settled is not None:
            self.tally.sent += 1
            if settled.kind != READ and wamid is not None:
                await tracking.emit(
                    self.session, self.outbox, settled, "sent", at=self.now, causation_id=message.causation_id
                )
                settled = await tracking.reconcile(self.session, self.outbox, settled, now=self.now)
        return settled

    async def _wait(
        self, message: OutboundMessage, outcome: SendOutcome, *, at: datetime, count: bool
    ) -> OutboundMessage | None:
        error = outcome.reason
        if _maybe_accepted_before(message) and MAYBE_ACCEPTED not in error:
            error = f"{error} (an earlier attempt: {MAYBE_ACCEPTED})"
        settled = await self.repo.reschedule(
            message, at=at, error=error, code=outcome.error_code, now=self.now, count_attempt=count
        )
        if settled is not None and outcome.verdict != "blocked":
            self.tally.retried += 1
        return settled

    async def _fail(
        self, message: OutboundMessage, outcome: SendOutcome, reason: str
    ) -> OutboundMessage | None:
        reason = _with_delivery_note(message, outcome, reason)
        settled = await self.repo.mark_failed(message, error=reason, code=outcome.error_code, now=self.now)
        if settled is None:
            return None
        self.tally.failed += 1
        if message.kind != READ:
            await tracking.emit(
                self.session,
                self.outbox,
                settled,
                "failed",
                at=self.now,
                causation_id=message.causation_id,
                error_code=outcome.error_code,
                reason=reason,
            )
        log.warning(
            "send_failed",
            reply_id=message.reply_id,
            kind=message.kind,
            error_code=outcome.error_code,
            http_status=outcome.http_status,
            reason=reason,
        )
        return settled

    async def apply_effects(self) -> None:
        """Carry out what the batch's answers said about numbers and recipients (see module doc)."""
        s, now = self.settings, self.now
        for pnid in sorted(set(self.effects.numbers) | set(self.effects.probes)):
            effect = self.effects.numbers.get(pnid)
            probe = self.effects.probes.get(pnid)
            if effect is None or effect.action is not Action.THROTTLE:
                if probe is not None:
                    await holds.end_probe(self.session, pnid, now=now, passed=probe == PROBE_PASSED)
                if effect is None:
                    continue
            if effect.action is Action.PAUSE:
                if await holds.pause(self.session, pnid, now=now, code=effect.code, reason=effect.reason):
                    log.error(
                        "number_paused", phone_number_id=pnid, error_code=effect.code, reason=effect.reason
                    )
                    await self._alert("critical", "number_paused", pnid, effect)
            elif effect.action is Action.HOLD:
                held = await holds.hold(
                    self.session,
                    pnid,
                    now=now,
                    wait_s=effect.wait_s,
                    code=effect.code or 0,
                    reason=effect.reason,
                )
                if held:
                    log.warning(
                        "number_held", phone_number_id=pnid, error_code=effect.code, wait_s=effect.wait_s
                    )
                    await self._alert("warning", "number_held", pnid, effect)
            else:
                until = await holds.throttle(
                    self.session,
                    pnid,
                    now=now,
                    code=effect.code,
                    reason=effect.reason,
                    initial_s=s.backoff_initial_s,
                    max_s=s.throttle_max_s,
                    seen=effect.seen,
                )
                if until is not None:
                    log.info(
                        "number_throttled",
                        phone_number_id=pnid,
                        error_code=effect.code,
                        until=until.isoformat(),
                    )
                elif probe is not None:
                    # Only refusals of sends claimed before the last strike (the probe, claimed
                    # alone after it, is always news): the probe's own answer decides.
                    await holds.end_probe(self.session, pnid, now=now, passed=probe == PROBE_PASSED)
        limits = pacing.Limits.of(s)
        for pnid, to in sorted(self.effects.pairs | self.effects.refunds):
            if (pnid, to) not in self.effects.pairs:
                await holds.pair_refund(self.session, pnid, to, now=now, limits=limits)
                continue
            until = await holds.pair_strike(
                self.session,
                pnid,
                to,
                now=now,
                limits=limits,
                initial_s=s.backoff_initial_s,
                max_s=s.backoff_max_s,
            )
            log.info("recipient_throttled", phone_number_id=pnid, to=to, until=until.isoformat())

    async def _alert(self, severity: str, alert: str, phone_number_id: str, effect: _NumberEffect) -> None:
        event = SenderAlert(
            severity=severity,
            alert=alert,
            phone_number_id=phone_number_id,
            error_code=effect.code,
            reason=effect.reason,
            at=self.now,
        )
        await self.outbox.add(
            self.session,
            event,
            correlation_id=f"number-{phone_number_id}",
            event_id=deterministic_id("sender", alert, phone_number_id, self.now.isoformat()),
        )
