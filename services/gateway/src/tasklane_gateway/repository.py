"""Persistence of the gateway: the dedup ledger of webhook items and the sender-to-user map."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Table, select, update
from sqlalchemy.dialects.postgresql import Insert as PgInsert
from sqlalchemy.dialects.sqlite import Insert as SqliteInsert
from sqlalchemy.ext.asyncio import AsyncSession

from tasklane_common.db.dialect import upsert_insert
from tasklane_gateway.tables import processed_webhook_items, users

# Rows per INSERT: two parameters each keeps far below every driver's parameter limit.
_CHUNK = 1000


class GatewayRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def _insert(self, table: Table) -> PgInsert | SqliteInsert:
        insert: PgInsert | SqliteInsert = upsert_insert(self.session, table)
        return insert

    async def claim_items(self, keys: Sequence[str], received_at: datetime) -> set[str]:
        """Record ``keys`` as processed; return those that were not already.

        On PostgreSQL a concurrent transaction claiming the same key waits for this one to end:
        if this one rolls back (publish failed), the other claims the key instead of skipping it.
        Keys are claimed in sorted order so that two overlapping batches cannot deadlock.
        """
        fresh: set[str] = set()
        ordered = sorted(set(keys))
        t = processed_webhook_items
        for start in range(0, len(ordered), _CHUNK):
            chunk = ordered[start : start + _CHUNK]
            stmt = (
                self._insert(t)
                .values([{"key": k, "received_at": received_at} for k in chunk])
                .on_conflict_do_nothing()
                .returning(t.c.key)
            )
            fresh.update((await self.session.execute(stmt)).scalars())
        return fresh

    async def user_for(
        self, phone_number_id: str, wa_id: str, profile_name: str | None, now: datetime
    ) -> str:
        """The user behind ``wa_id`` on our number ``phone_number_id``, created on first contact."""
        found = (
            await self.session.execute(
                select(users.c.user_id, users.c.profile_name).where(
                    users.c.phone_number_id == phone_number_id, users.c.wa_id == wa_id
                )
            )
        ).first()
        if found is not None:
            if profile_name and profile_name != found.profile_name:
                await self.session.execute(
                    update(users).where(users.c.user_id == found.user_id).values(profile_name=profile_name)
                )
            return str(found.user_id)
        created = (
            await self.session.execute(
                self._insert(users)
                .values(
                    user_id=str(uuid.uuid4()),
                    phone_number_id=phone_number_id,
                    wa_id=wa_id,
                    profile_name=profile_name,
                    created_at=now,
                )
                .on_conflict_do_nothing()
                .returning(users.c.user_id)
            )
        ).scalar_one_or_none()
        if created is not None:
            return str(created)
        # A concurrent first contact won the insert (we waited for its commit): use its row.
        return str(
            (
                await self.session.execute(
                    select(users.c.user_id).where(
                        users.c.phone_number_id == phone_number_id, users.c.wa_id == wa_id
                    )
                )
            ).scalar_one()
        )
