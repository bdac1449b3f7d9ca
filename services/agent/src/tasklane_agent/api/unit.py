"""One API request, one transaction: what the workspace changes, its events and the notices to
teammates are committed together (the outbox), so a change is never visible without them nor
announced without having happened. The relay is woken after the commit, so they leave at once.

Every request gets an admin-scope ``Workspace`` (no actor): the same tools, events, reminders and
rules as a WhatsApp user's, over every task of an organisation (or of all of them).
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

from fastapi import HTTPException
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from tasklane_agent.api.errors import http_error
from tasklane_agent.effects import publish_effects
from tasklane_agent.reminders.planner import ReminderPlanner
from tasklane_agent.settings import AgentSettings
from tasklane_agent.storage.profiles import ProfileRepository
from tasklane_agent.workspace import Workspace, WorkspaceError
from tasklane_common.db.failures import is_bad_input, is_outage
from tasklane_common.logging import get_logger
from tasklane_common.messaging.envelope import Event
from tasklane_common.messaging.outbox import Outbox
from tasklane_common.runtime import ServiceRuntime

log = get_logger(__name__)

Clock = Callable[[], datetime]


class Work:
    """What a route gets inside its transaction: the session's profiles and (once the
    organisation is known) its workspace."""

    def __init__(self, session: AsyncSession, now: datetime, seed: str, settings: AgentSettings) -> None:
        self.session = session
        self.now = now
        self.seed = seed
        self.profiles = ProfileRepository(session)
        self._settings = settings
        self._workspace: Workspace | None = None

    def workspace(self, org_id: str | None = None) -> Workspace:
        """The request's workspace, over ``org_id``'s tasks (every organisation's when None)."""
        if self._workspace is None:
            self._workspace = Workspace(
                self.session,
                None,
                now=self.now,
                seed=self.seed,
                org_id=org_id,
                planner=ReminderPlanner(self.session, self._settings.reminders),
            )
        return self._workspace

    async def publish(self, outbox: Outbox) -> None:
        """The workspace's events and teammates' notices, into the outbox of this transaction."""
        if self._workspace is None:
            return

        async def add(event: Event, event_id: str) -> Any:
            return await outbox.add(self.session, event, event_id=event_id)

        await publish_effects(self._workspace.core.effects, add, seed=self.seed, now=self.now)


class Units:
    """Opens the unit of work of each request (``change`` for writes, ``read`` for reads)."""

    def __init__(self, runtime: ServiceRuntime, settings: AgentSettings, clock: Clock) -> None:
        self.runtime = runtime
        self.settings = settings
        self.clock = clock

    def now(self) -> datetime:
        return self.clock().astimezone(UTC)

    @asynccontextmanager
    async def change(self, seed: str | None = None) -> AsyncIterator[Work]:
        """``seed``: what new ids and event ids derive from (an idempotency key's hash); random
        otherwise, so two identical requests are two changes with distinct events."""
        outbox = self.runtime.outbox
        assert outbox is not None, "the agent's schema has an outbox"
        work_seed = seed or str(uuid.uuid4())
        try:
            async with self.runtime.db.transaction() as session:
                work = Work(session, self.now(), work_seed, self.settings)
                yield work
                await work.publish(outbox)
        except WorkspaceError as exc:
            raise http_error(exc) from None
        except IntegrityError:
            # A concurrent request made the same thing first (a name, an idempotent create).
            raise HTTPException(409, "conflicting change (it may exist already); retry") from None
        except (DBAPIError, OSError) as exc:
            if is_bad_input(exc):
                raise HTTPException(422, "a value the database cannot store") from None
            if not is_outage(exc):
                raise
            log.error("api_database_unavailable", error=type(exc).__name__)
            raise HTTPException(503, "database unavailable, retry") from None
        if self.runtime.relay is not None:
            self.runtime.relay.notify()

    @asynccontextmanager
    async def read(self, org_id: str | None = None) -> AsyncIterator[Workspace]:
        try:
            async with self.runtime.db.read() as session:
                yield Workspace(session, None, now=self.now(), seed="read", org_id=org_id)
        except WorkspaceError as exc:
            raise http_error(exc) from None
        except (DBAPIError, OSError) as exc:
            if is_bad_input(exc):
                raise HTTPException(422, "a value the database cannot store") from None
            if not is_outage(exc):
                raise
            log.error("api_database_unavailable", error=type(exc).__name__)
            raise HTTPException(503, "database unavailable, retry") from None
