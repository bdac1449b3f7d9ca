"""What the sender tells and lets the control plane do (tasklane_common.control): its breakers and
numbers in every heartbeat, and pausing or resuming a number on an operator's command."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from tasklane_common.logging import get_logger
from tasklane_common.messaging.contracts.runtime import ControlCommand
from tasklane_common.runtime import ServiceRuntime
from tasklane_sender import holds
from tasklane_sender.metrics import AUTH_CODES

log = get_logger(__name__)
# A heartbeat is no inventory: the numbers needing attention first, then the others, bounded.
MAX_NUMBERS = 200


def register(
    runtime: ServiceRuntime,
    breaker_states: Callable[[], dict[str, str]],
    wake_dispatcher: Callable[[], None],
) -> None:
    control = runtime.control

    async def breakers() -> dict[str, str]:
        return breaker_states()

    async def numbers() -> list[dict[str, Any]]:
        async with runtime.db.read() as session:
            found = await holds.overview(session, datetime.now(UTC))
        for number in found:
            # Analytics cannot tell Meta's codes apart; the auth pause is its own (critical) alert.
            number["pause_auth"] = bool(number["paused"]) and number["pause_code"] in AUTH_CODES
        found.sort(key=lambda n: (not n["paused"], n["held_until"] is None, n["phone_number_id"]))
        return found[:MAX_NUMBERS]

    async def pause(command: ControlCommand) -> None:
        await _steer(command, paused=True)

    async def resume(command: ControlCommand) -> None:
        await _steer(command, paused=False)

    async def _steer(command: ControlCommand, *, paused: bool) -> None:
        number = command.target
        if not number:
            return
        now = datetime.now(UTC)
        async with runtime.db.transaction() as session:
            if not await holds.known(session, number):
                log.warning("control_unknown_number", phone_number_id=number, action=command.action)
                return
            if paused:
                reason = f"paused by {command.actor}"
                changed = await holds.pause(session, number, now=now, code=None, reason=reason)
            else:
                unpaused = await holds.resume(session, number, now=now)
                changed = await holds.lift_hold(session, number, now=now) or unpaused
            # Every replica gets the command; the one whose update changed the row records it.
            if changed:
                await control.emit(session, control.audit_of(command, target_type="number", target_id=number))
        if changed:
            runtime.relay_notify()
            log.warning("number_steered", phone_number_id=number, paused=paused, principal=command.actor)
            if not paused:
                wake_dispatcher()

    control.report("breakers", breakers)
    control.report("numbers", numbers)
    control.command("number.pause", pause)
    control.command("number.resume", resume)
