"""Persistence of contacts: phone-to-user mappings, the mapping version, unregistered senders.

Functions take the caller's session; the caller's transaction commits (or rolls back) them.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, Row, delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from tasklane_common.db.dialect import upsert_insert
from tasklane_gateway.tables import mapping_version, phone_numbers, unregistered_contacts, users

# Identifiers per IN (...) list: far below every driver's parameter limit.
_CHUNK = 400
_VERSION_ROW = 1


def aware(value: datetime) -> datetime:
    """SQLite hands timestamps back without their zone; they were written in UTC."""
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


@dataclass(frozen=True)
class Contact:
    """A user as the gateway knows them on one of our numbers."""

    user_id: str
    phone_number_id: str
    wa_id: str | None
    bsuid: str | None
    username: str | None
    profile_name: str | None
    source: str
    created_at: datetime
    updated_at: datetime

    def lookup_keys(self) -> list[tuple[str, str, str]]:
        """The lookup keys that lead to this user."""
        out = []
        if self.wa_id:
            out.append(("w", self.phone_number_id, self.wa_id))
        if self.bsuid:
            out.append(("b", self.phone_number_id, self.bsuid))
        return out

    def as_dict(self) -> dict[str, Any]:
        return {
            "user_id": self.user_id,
            "phone_number_id": self.phone_number_id,
            "wa_id": self.wa_id,
            "bsuid": self.bsuid,
            "username": self.username,
            "profile_name": self.profile_name,
            "source": self.source,
            "created_at": self.created_at.isoformat(),
            "updated_at": self.updated_at.isoformat(),
        }


def _contact(row: Row[Any]) -> Contact:
    m = row._mapping
    return Contact(
        user_id=str(m["user_id"]),
        phone_number_id=m["phone_number_id"],
        wa_id=m["wa_id"],
        bsuid=m["bsuid"],
        username=m["username"],
        profile_name=m["profile_name"],
        source=m["source"],
        created_at=aware(m["created_at"]),
        updated_at=aware(m["updated_at"]),
    )


# --- mapping version -----------------------------------------------------------------------


async def current_version(session: AsyncSession) -> int:
    found = (
        await session.execute(select(mapping_version.c.version).where(mapping_version.c.id == _VERSION_ROW))
    ).scalar_one_or_none()
    return int(found or 0)


async def bump_version(session: AsyncSession) -> None:
    """Every replica drops its cached lookups at its next webhook (once this commits)."""
    insert = upsert_insert(session, mapping_version).values(id=_VERSION_ROW, version=1)
    await session.execute(
        insert.on_conflict_do_update(
            index_elements=[mapping_version.c.id], set_={"version": mapping_version.c.version + 1}
        )
    )


# --- users -----------------------------------------------------------------------------------


async def find_matching(
    session: AsyncSession, phone_number_id: str, wa_ids: Iterable[str], bsuids: Iterable[str]
) -> list[Contact]:
    """The users of ``phone_number_id`` holding any of these wa_ids or business-scoped ids."""
    found: dict[str, Contact] = {}
    for column, values in ((users.c.wa_id, sorted(set(wa_ids))), (users.c.bsuid, sorted(set(bsuids)))):
        for start in range(0, len(values), _CHUNK):
            chunk = values[start : start + _CHUNK]
            rows = await session.execute(
                select(users).where(users.c.phone_number_id == phone_number_id, column.in_(chunk))
            )
            found.update((c.user_id, c) for c in map(_contact, rows))
    return list(found.values())


async def get(session: AsyncSession, user_id: str) -> Contact | None:
    row = (await session.execute(select(users).where(users.c.user_id == user_id))).first()
    return _contact(row) if row is not None else None


async def find(
    session: AsyncSession, phone_number_id: str, *, wa_id: str | None, bsuid: str | None
) -> Contact | None:
    """The user holding ``wa_id``, else the one holding ``bsuid``."""
    for column, value in ((users.c.wa_id, wa_id), (users.c.bsuid, bsuid)):
        if value:
            row = (
                await session.execute(
                    select(users).where(users.c.phone_number_id == phone_number_id, column == value)
                )
            ).first()
            if row is not None:
                return _contact(row)
    return None


async def insert(
    session: AsyncSession,
    *,
    phone_number_id: str,
    wa_id: str | None,
    bsuid: str | None,
    username: str | None,
    profile_name: str | None,
    source: str,
    now: datetime,
    if_absent: bool,
    user_id: str | None = None,
) -> Contact | None:
    """A new user (``user_id``, or a random one). With ``if_absent``, None instead of an error when
    the id, the wa_id or the business-scoped id is taken (a concurrent first contact won)."""
    values = {
        "user_id": user_id or str(uuid.uuid4()),
        "phone_number_id": phone_number_id,
        "wa_id": wa_id,
        "bsuid": bsuid,
        "username": username,
        "profile_name": profile_name,
        "source": source,
        "created_at": now,
        "updated_at": now,
    }
    stmt = upsert_insert(session, users).values(**values)
    if if_absent:
        stmt = stmt.on_conflict_do_nothing()
    row = (await session.execute(stmt.returning(*users.c))).first()
    return _contact(row) if row is not None else None


async def update_user(session: AsyncSession, user_id: str, values: dict[str, Any]) -> Contact | None:
    row = (
        await session.execute(
            update(users).where(users.c.user_id == user_id).values(**values).returning(*users.c)
        )
    ).first()
    return _contact(row) if row is not None else None


async def delete_user(session: AsyncSession, user_id: str) -> Contact | None:
    row = (await session.execute(delete(users).where(users.c.user_id == user_id).returning(*users.c))).first()
    return _contact(row) if row is not None else None


@dataclass(frozen=True)
class Page:
    items: list[dict[str, Any]]
    total: int


async def list_users(
    session: AsyncSession,
    *,
    phone_number_id: str | None = None,
    wa_id: str | None = None,
    bsuid: str | None = None,
    username: str | None = None,
    source: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> Page:
    conditions: list[ColumnElement[bool]] = []
    for column, value in (
        (users.c.phone_number_id, phone_number_id),
        (users.c.wa_id, wa_id),
        (users.c.bsuid, bsuid),
        (users.c.username, username),
        (users.c.source, source),
    ):
        if value is not None:
            conditions.append(column == value)
    total = (await session.execute(select(func.count()).select_from(users).where(*conditions))).scalar_one()
    rows = await session.execute(
        select(users)
        .where(*conditions)
        .order_by(users.c.created_at.desc(), users.c.user_id)
        .limit(limit)
        .offset(offset)
    )
    return Page([_contact(r).as_dict() for r in rows], int(total))


async def auto_register_of(session: AsyncSession, phone_number_id: str) -> bool | None:
    """The number's own setting, if it is registered in the integrations."""
    found = (
        await session.execute(
            select(phone_numbers.c.auto_register).where(phone_numbers.c.phone_number_id == phone_number_id)
        )
    ).scalar_one_or_none()
    return None if found is None else bool(found)


# --- unregistered contacts -----------------------------------------------------------------


async def note_unregistered(
    session: AsyncSession,
    *,
    phone_number_id: str,
    sender: str,
    wa_id: str | None,
    bsuid: str | None,
    profile_name: str | None,
    messages: int,
    now: datetime,
) -> datetime | None:
    """Count ``messages`` from an unknown sender; return when they were last prompted. The row
    stays locked until the transaction ends, so concurrent webhooks decide one after the other."""
    t = unregistered_contacts
    stmt = upsert_insert(session, t).values(
        phone_number_id=phone_number_id,
        sender=sender,
        wa_id=wa_id,
        bsuid=bsuid,
        profile_name=profile_name,
        first_seen_at=now,
        last_seen_at=now,
        last_prompted_at=None,
        message_count=messages,
    )
    stmt = stmt.on_conflict_do_update(
        index_elements=[t.c.phone_number_id, t.c.sender],
        set_={
            "last_seen_at": now,
            "message_count": t.c.message_count + messages,
            "wa_id": func.coalesce(stmt.excluded.wa_id, t.c.wa_id),
            "bsuid": func.coalesce(stmt.excluded.bsuid, t.c.bsuid),
            "profile_name": func.coalesce(stmt.excluded.profile_name, t.c.profile_name),
        },
    )
    prompted = (await session.execute(stmt.returning(t.c.last_prompted_at))).scalar_one()
    return aware(prompted) if prompted is not None else None


async def mark_prompted(session: AsyncSession, phone_number_id: str, sender: str, now: datetime) -> None:
    t = unregistered_contacts
    await session.execute(
        update(t)
        .where(t.c.phone_number_id == phone_number_id, t.c.sender == sender)
        .values(last_prompted_at=now)
    )


async def forget_unregistered(session: AsyncSession, contact: Contact) -> None:
    """A mapping now exists for this sender: it is no longer unregistered."""
    t = unregistered_contacts
    senders = [s for s in (contact.wa_id, contact.bsuid) if s]
    matches: list[ColumnElement[bool]] = [t.c.sender.in_(senders)] if senders else []
    if contact.wa_id:
        matches.append(t.c.wa_id == contact.wa_id)
    if contact.bsuid:
        matches.append(t.c.bsuid == contact.bsuid)
    if matches:
        await session.execute(delete(t).where(t.c.phone_number_id == contact.phone_number_id, or_(*matches)))


async def list_unregistered(
    session: AsyncSession, *, phone_number_id: str | None, limit: int, offset: int
) -> Page:
    t = unregistered_contacts
    conditions = [t.c.phone_number_id == phone_number_id] if phone_number_id is not None else []
    total = (await session.execute(select(func.count()).select_from(t).where(*conditions))).scalar_one()
    rows = await session.execute(
        select(t).where(*conditions).order_by(t.c.last_seen_at.desc(), t.c.sender).limit(limit).offset(offset)
    )
    items = []
    for row in rows:
        m = row._mapping
        items.append(
            {
                "phone_number_id": m["phone_number_id"],
                "sender": m["sender"],
                "wa_id": m["wa_id"],
                "bsuid": m["bsuid"],
                "profile_name": m["profile_name"],
                "first_seen_at": aware(m["first_seen_at"]).isoformat(),
                "last_seen_at": aware(m["last_seen_at"]).isoformat(),
                "last_prompted_at": (
                    aware(m["last_prompted_at"]).isoformat() if m["last_prompted_at"] else None
                ),
                "message_count": m["message_count"],
            }
        )
    return Page(items, int(total))
