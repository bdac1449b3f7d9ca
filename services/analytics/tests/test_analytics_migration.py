"""Upgrading an event log written before analytics kept things private scrubs it in place: the
texts and phone numbers go, people become pseudonyms, and a NUL byte no longer breaks JSONB."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from pydantic import SecretStr
from sqlalchemy import text

from tasklane_analytics.app import MIGRATIONS
from tasklane_analytics.eventlog.privacy import Pseudonymizer
from tasklane_analytics.settings import AnalyticsSettings
from tasklane_common.db import Database
from tasklane_common.db.migrations import upgrade
from tasklane_common.testing import cleanup_run, new_run_id, real_settings

KEY = "migration-test-pseudonym-key"
AT = datetime(2026, 11, 20, 10, 30, tzinfo=UTC)


@pytest.fixture
async def old_log() -> AsyncIterator[tuple[Database, AnalyticsSettings]]:
    rid = new_run_id()
    settings = real_settings(AnalyticsSettings, rid, "analytics", pseudonym_key=SecretStr(KEY))
    db = Database(settings.database, logical_schema="analytics")
    try:
        await upgrade(db, MIGRATIONS, "0003", settings=settings)
        legacy = {
            "wamid": "wamid.legacy",
            "phone_number_id": "106540352242922",
            "user_id": "5511977776666",
            "wa_id": "5511977776666",
            "profile_name": "Joana Legacy",
            "message_type": "text",
            "text": "pay the rent\u0000 to Joana",
            "sent_at": "2026-11-20T10:29:58+00:00",
            "received_at": "2026-11-20T10:30:00+00:00",
            "raw": {"from": "5511977776666", "text": {"body": "pay the rent"}},
        }
        async with db.transaction() as session:
            await session.execute(
                text(
                    f'INSERT INTO "{db.schema}".events (event_id, type, version, occurred_at, occurred_ms, '
                    "correlation_id, producer, payload, recorded_at) VALUES ('e1', 'message.received', 1, "
                    ":at, :ms, 'e1', 'gateway', CAST(:payload AS json), :at)"
                ),
                {"at": AT, "ms": int(AT.timestamp() * 1000), "payload": json.dumps(legacy)},
            )
        yield db, settings
    finally:
        await db.dispose()
        await cleanup_run(rid)


async def test_upgrading_scrubs_the_existing_event_log(old_log: tuple[Database, AnalyticsSettings]) -> None:
    db, settings = old_log
    await upgrade(db, MIGRATIONS, settings=settings)
    async with db.read() as session:
        payload, at_ms, kind = (
            await session.execute(
                text(
                    f'SELECT payload, at_ms, pg_typeof(payload)::text FROM "{db.schema}".events '
                    "WHERE event_id = 'e1'"
                )
            )
        ).one()
    assert kind == "jsonb"
    stored = json.dumps(payload)
    assert "rent" not in stored
    assert "Joana" not in stored
    assert "5511977776666" not in stored
    assert payload["user_id"] == Pseudonymizer(KEY.encode())("5511977776666")
    assert payload["message_type"] == "text"
    assert at_ms == int(AT.timestamp() * 1000)
