"""Operators' commands, sent from analytics to every replica of a service, and analytics' own
audit rows for them (the owning service audits their execution too)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from fastapi import Request
from sqlalchemy.ext.asyncio import AsyncSession

from tasklane_analytics.operations.tables import audit_trail
from tasklane_common.auth import Principal
from tasklane_common.control import command_routing_key
from tasklane_common.db.dialect import upsert_insert
from tasklane_common.http import request_source
from tasklane_common.messaging.broker import OutgoingMessage
from tasklane_common.messaging.contracts.runtime import ControlCommand
from tasklane_common.messaging.envelope import new_envelope
from tasklane_common.runtime import ServiceRuntime


def source_of(request: Request) -> str | None:
    return request_source(request)


def command(
    *,
    service: str,
    action: str,
    principal: Principal,
    source: str | None,
    queue: str | None = None,
    ids: list[int] | None = None,
    limit: int = 100,
) -> ControlCommand:
    return ControlCommand(
        command_id=str(uuid.uuid4()),
        service=service,
        action=action,
        queue=queue,
        ids=ids,
        limit=limit,
        actor=principal.name,
        role=str(principal.role),
        source=source,
        issued_at=datetime.now(UTC),
    )


async def broadcast(runtime: ServiceRuntime, cmd: ControlCommand) -> None:
    """To every replica of ``cmd.service``; raises PublishError when the broker does not confirm."""
    envelope = new_envelope(cmd, producer=runtime.service)
    await runtime.broker.broadcast(
        OutgoingMessage(
            routing_key=command_routing_key(cmd.service),
            body=envelope.to_bytes(),
            message_id=envelope.id,
        )
    )


async def audit(
    session: AsyncSession,
    *,
    principal: Principal,
    source: str | None,
    action: str,
    target_type: str,
    target_id: str | None,
    outcome: str,
    details: dict[str, Any] | None = None,
) -> None:
    """One row of analytics' own admin action in the trail (in the caller's transaction)."""
    await session.execute(
        upsert_insert(session, audit_trail)
        .values(
            event_id=str(uuid.uuid4()),
            service="analytics",
            at=datetime.now(UTC),
            actor=principal.name,
            role=str(principal.role),
            action=action[:100],
            target_type=target_type,
            target_id=target_id[:256] if target_id else None,
            outcome=outcome[:32],
            source=source,
            details=details,
        )
        .on_conflict_do_nothing()
    )
