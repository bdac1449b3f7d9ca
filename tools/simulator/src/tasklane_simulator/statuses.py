"""Which status webhooks an accepted send produces, and in what order (Meta's status reference).

Text, media, interactive and templates: ``sent``, ``delivered``, ``read``; audio adds ``played``;
reactions only ``sent``; a send that fails after being accepted gets a single ``failed`` with
``errors[]``. Pricing rides on ``sent`` and on ``delivered`` (on ``read`` when ``delivered`` was
skipped). Timestamps follow the order the events happened in, whatever order they are posted in.
Fidelity faults (see :mod:`tasklane_simulator.faults`): ``delivered`` skipped (read implies it),
one status posted twice, the statuses posted out of order.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tasklane_simulator import faults, payloads
from tasklane_simulator.errors import status_error
from tasklane_simulator.faults import FaultPlan
from tasklane_simulator.validation import is_bsuid


@dataclass(frozen=True)
class StatusStep:
    status: str
    timestamp: int
    errors: list[dict[str, Any]] | None = None
    pricing: dict[str, Any] | None = None


def plan(kind: str, *, async_error: int | None, plan_faults: FaultPlan, now: float) -> list[StatusStep]:
    """The status webhooks of one accepted send, in posting order."""
    start = int(now)
    if async_error is not None:
        details = faults.error_answer(async_error)["error"].get("error_data", {}).get("details", "")
        return [StatusStep("failed", start + 1, errors=[status_error(async_error, details)])]
    if kind == "reaction":
        names = ["sent"]
    elif kind == "audio":
        names = ["sent", "delivered", "read", "played"]
    else:
        names = ["sent", "delivered", "read"]
    if "read" in names and plan_faults.status_draw(faults.SKIP_DELIVERED):
        names.remove("delivered")
    price = payloads.pricing_of(template=kind == "template")
    priced = {"sent", "delivered" if "delivered" in names else "read"}
    steps = [
        StatusStep(name, start + i, pricing=price if name in priced else None) for i, name in enumerate(names)
    ]
    if len(steps) > 1 and plan_faults.status_draw(faults.REORDER_STATUSES):
        shuffled = list(steps)
        plan_faults.rng.shuffle(shuffled)
        steps = shuffled if shuffled != steps else steps[::-1]
    if plan_faults.status_draw(faults.DUPLICATE_STATUS):
        steps.append(plan_faults.rng.choice(steps))
    return steps


def recipient_fields(recipient: str) -> tuple[str | None, str | None]:
    """How a status names its recipient, as (``recipient_id``, ``recipient_user_id``): a phone
    number's digits in the first; a business-scoped user id (a send by ``recipient``) in the
    second, with no ``recipient_id`` (Meta does not give away the number of a user who hides it)."""
    return (None, recipient) if is_bsuid(recipient) else (recipient, None)


def webhook(
    step: StatusStep,
    *,
    wamid: str,
    recipient: str,
    biz_opaque_callback_data: str | None,
    phone_number_id: str,
    display_phone_number: str,
    waba_id: str,
) -> dict[str, Any]:
    recipient_id, recipient_user_id = recipient_fields(recipient)
    return payloads.status_webhook(
        wamid=wamid,
        status=step.status,
        recipient_id=recipient_id,
        recipient_user_id=recipient_user_id,
        phone_number_id=phone_number_id,
        display_phone_number=display_phone_number,
        waba_id=waba_id,
        errors=step.errors,
        timestamp=step.timestamp,
        biz_opaque_callback_data=biz_opaque_callback_data,
        pricing=step.pricing if step.pricing is not None else False,
    )
