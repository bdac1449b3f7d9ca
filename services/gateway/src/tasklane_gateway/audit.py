"""The admin audit log: who did what through the gateway's admin API, successes and refusals.

Rows are written in the transaction of the change they describe (so a rolled-back change leaves
no "ok" row), or in their own transaction for refusals. ``details`` never holds a secret: keys
that look like one are dropped here whatever the caller passes, as a last line of defence.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from fastapi import Depends, HTTPException, Request
from sqlalchemy import ColumnElement, func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from tasklane_common.auth import ApiKeyAuth
from tasklane_common.control.audit import audit_event
from tasklane_common.http import request_source
from tasklane_common.logging import SECRET_KEYS
from tasklane_common.messaging.outbox import Outbox
from tasklane_common.runtime import ServiceRuntime
from tasklane_gateway.tables import audit_log, outbox

# The row also travels to analytics' audit trail of every service, in the same transaction.
_FORWARD = Outbox(outbox, producer="gateway")

_MAX_DEPTH = 6
_MAX_TEXT = 500


def _clean(value: Any, depth: int = 0) -> Any:
    """A JSON-safe copy of ``value`` without secret-looking keys (at any depth)."""
    if isinstance(value, dict):
        if depth >= _MAX_DEPTH:
            return "…"
        return {
            str(k): _clean(v, depth + 1)
            for k, v in value.items()
            if not any(s in str(k).lower() for s in SECRET_KEYS)
        }
    if isinstance(value, list | tuple | set):
        if depth >= _MAX_DEPTH:
            return "…"
        return [_clean(v, depth + 1) for v in value]
    if value is None or isinstance(value, bool | int | float):
        return value
    text = value.isoformat() if isinstance(value, datetime) else str(value)
    return text[:_MAX_TEXT]


def clean_details(details: dict[str, Any] | None) -> dict[str, Any] | None:
    if details is None:
        return None
    cleaned = _clean(details)
    assert isinstance(cleaned, dict)
    return cleaned


async def record(
    session: AsyncSession,
    *,
    actor: str,
    role: str | None,
    action: str,
    target_type: str,
    target_id: str | None,
    outcome: str = "ok",
    details: dict[str, Any] | None = None,
    now: datetime | None = None,
    source: str | None = None,
) -> None:
    """Add one audit row to ``session`` (the caller's transaction commits it), and its
    ``audit.recorded`` event to the outbox."""
    at = now or datetime.now(UTC)
    cleaned = clean_details(details)
    await session.execute(
        insert(audit_log).values(
            at=at,
            actor=actor[:200],
            role=role,
            action=action[:100],
            target_type=target_type[:64],
            target_id=target_id[:256] if target_id is not None else None,
            outcome=outcome[:32],
            details=cleaned,
        )
    )
    await _FORWARD.add(
        session,
        audit_event(
            service="gateway",
            at=at,
            actor=actor,
            role=str(role) if role is not None else None,
            action=action,
            target_type=target_type,
            target_id=target_id,
            outcome=outcome,
            source=source,
            details=cleaned,
        ),
    )


@dataclass(frozen=True)
class AuditEntry:
    id: int
    at: datetime
    actor: str
    role: str | None
    action: str
    target_type: str
    target_id: str | None
    outcome: str
    details: dict[str, Any] | None

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "at": self.at.isoformat(),
            "actor": self.actor,
            "role": self.role,
            "action": self.action,
            "target_type": self.target_type,
            "target_id": self.target_id,
            "outcome": self.outcome,
            "details": self.details,
        }


@dataclass(frozen=True)
class AuditPage:
    entries: list[AuditEntry]
    # How many entries match, over all pages.
    total: int


async def list_entries(
    session: AsyncSession,
    *,
    actor: str | None = None,
    action: str | None = None,
    target_type: str | None = None,
    target_id: str | None = None,
    outcome: str | None = None,
    since: datetime | None = None,
    limit: int = 100,
    offset: int = 0,
) -> AuditPage:
    """Newest first, ``limit`` entries after the first ``offset``."""
    conditions: list[ColumnElement[bool]] = []
    if actor is not None:
        conditions.append(audit_log.c.actor == actor)
    if action is not None:
        conditions.append(audit_log.c.action == action)
    if target_type is not None:
        conditions.append(audit_log.c.target_type == target_type)
    if target_id is not None:
        conditions.append(audit_log.c.target_id == target_id)
    if outcome is not None:
        conditions.append(audit_log.c.outcome == outcome)
    if since is not None:
        conditions.append(audit_log.c.at >= since)
    query = select(audit_log).where(*conditions).order_by(audit_log.c.id.desc()).limit(limit).offset(offset)
    rows = (await session.execute(query)).mappings().all()
    total = (
        await session.execute(select(func.count()).select_from(audit_log).where(*conditions))
    ).scalar_one()
    entries = [
        AuditEntry(
            id=int(r["id"]),
            at=r["at"] if r["at"].tzinfo else r["at"].replace(tzinfo=UTC),
            actor=r["actor"],
            role=r["role"],
            action=r["action"],
            target_type=r["target_type"],
            target_id=r["target_id"],
            outcome=r["outcome"],
            details=r["details"],
        )
        for r in rows
    ]
    return AuditPage(entries, int(total))


def dead_letter_audit(runtime: ServiceRuntime) -> Any:
    """``Depends`` for the shared dead-letter router: a replay an operator made, or was refused,
    is recorded here like every other admin action (the router itself, in tasklane_common, knows
    no audit log). The router's own role check decides access."""
    auth = ApiKeyAuth(runtime.settings.auth)

    async def write(request: Request, actor: str, role: str, outcome: str) -> None:
        letter = request.path_params.get("letter_id")
        async with runtime.db.transaction() as session:
            await record(
                session,
                actor=actor,
                role=role,
                action="dead_letter.replay",
                target_type="dead_letter",
                target_id=None if letter is None else str(letter),
                outcome=outcome,
                source=request_source(request),
            )

    async def dependency(request: Request) -> AsyncIterator[None]:
        if request.method in ("GET", "HEAD", "OPTIONS"):
            yield
            return
        try:
            principal = auth.authenticate(request.headers.get("authorization"))
        except HTTPException:
            yield  # unauthenticated: the role check refuses it; there is no one to record
            return
        try:
            yield
        except HTTPException as exc:
            await write(request, principal.name, str(principal.role), f"error {exc.status_code}")
            raise
        await write(request, principal.name, str(principal.role), "ok")

    return Depends(dependency)
