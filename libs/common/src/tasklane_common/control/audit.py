"""The ``audit.recorded`` event every service sends to analytics' audit trail.

Analytics keeps no phone number in clear, and these events also land in its event log: so a
target that may be a user's (a mapping, a contact) is masked here, at the source, and so is
every text of ``details``; the business's own things (its phone number ids, apps, queues, dead
letters) keep their ids, which operators need.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from tasklane_common.logging import scrub_text
from tasklane_common.messaging.contracts.runtime import AuditRecorded

BUSINESS_TARGETS = frozenset(
    {"app", "phone_number", "number", "integration", "queue", "dead_letter", "secrets", "audit_log", "api"}
)


def masked_target(target_type: str | None, target_id: str | None) -> str | None:
    if not target_id:
        return None
    if target_type in BUSINESS_TARGETS:
        return target_id[:256]
    return scrub_text(target_id)[:256]


def scrubbed(value: Any) -> Any:
    """``value`` with every text scrubbed of phone numbers and credentials."""
    if isinstance(value, dict):
        return {str(k): scrubbed(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [scrubbed(v) for v in value]
    return scrub_text(value) if isinstance(value, str) else value


def audit_event(
    *,
    service: str,
    at: datetime,
    actor: str | None,
    role: str | None,
    action: str,
    target_type: str | None,
    target_id: str | None,
    outcome: str,
    source: str | None = None,
    details: dict[str, Any] | None = None,
) -> AuditRecorded:
    return AuditRecorded(
        service=service,
        at=at,
        actor=actor[:200] if actor else None,
        role=role,
        action=action[:100],
        target_type=target_type[:64] if target_type else None,
        target_id=masked_target(target_type, target_id),
        outcome=outcome[:32],
        source=source[:200] if source else None,
        details=scrubbed(details) if details is not None else None,
    )
