"""Persistence of the gateway: the dedup ledger of webhook items (contacts: ``contacts_repository``)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Table
from sqlalchemy.dialects.postgresql import Insert as PgInsert
from sqlalchemy.dialects.sqlite import Insert as SqliteInsert
from sqlalchemy.ext.asyncio import AsyncSession

from tasklane_common.db.dialect import upsert_insert
from tasklane_gateway.tables import processed_webhook_items

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
