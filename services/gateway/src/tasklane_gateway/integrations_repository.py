"""Persistence of the integrations: Meta apps and business phone numbers, secrets as stored
(sealed). Nothing here opens or seals a secret; ``integrations`` does."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncSession

from tasklane_gateway.tables import apps, phone_numbers

DELETED = "deleted"


def _aware(value: datetime) -> datetime:
    # SQLite hands back naive datetimes; everything here is UTC.
    return value if value.tzinfo else value.replace(tzinfo=UTC)


@dataclass(frozen=True)
class AppRecord:
    app_id: str
    name: str
    app_secret: str | None  # sealed
    verify_token: str | None  # sealed
    created_at: datetime
    updated_at: datetime

    @classmethod
    def from_row(cls, row: RowMapping) -> AppRecord:
        return cls(
            app_id=row["app_id"],
            name=row["name"],
            app_secret=row["app_secret"],
            verify_token=row["verify_token"],
            created_at=_aware(row["created_at"]),
            updated_at=_aware(row["updated_at"]),
        )


@dataclass(frozen=True)
class NumberRecord:
    phone_number_id: str
    app_id: str
    waba_id: str | None
    display_phone_number: str | None
    access_token: str | None  # sealed
    state: str
    version: int
    throughput_per_s: int | None
    auto_register: bool
    created_at: datetime
    updated_at: datetime

    @classmethod
    def from_row(cls, row: RowMapping) -> NumberRecord:
        return cls(
            phone_number_id=row["phone_number_id"],
            app_id=row["app_id"],
            waba_id=row["waba_id"],
            display_phone_number=row["display_phone_number"],
            access_token=row["access_token"],
            state=row["state"],
            version=int(row["version"]),
            throughput_per_s=row["throughput_per_s"],
            auto_register=bool(row["auto_register"]),
            created_at=_aware(row["created_at"]),
            updated_at=_aware(row["updated_at"]),
        )


class IntegrationsRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    # -- apps

    async def get_app(self, app_id: str, *, for_update: bool = False) -> AppRecord | None:
        query = select(apps).where(apps.c.app_id == app_id)
        if for_update:
            query = query.with_for_update()
        row = (await self.session.execute(query)).mappings().first()
        return AppRecord.from_row(row) if row is not None else None

    async def list_apps(self, *, for_update: bool = False) -> list[AppRecord]:
        query = select(apps).order_by(apps.c.app_id)
        if for_update:
            query = query.with_for_update()
        return [AppRecord.from_row(r) for r in (await self.session.execute(query)).mappings()]

    async def insert_app(self, values: dict[str, Any]) -> None:
        await self.session.execute(insert(apps).values(**values))

    async def update_app(self, app_id: str, values: dict[str, Any]) -> None:
        await self.session.execute(update(apps).where(apps.c.app_id == app_id).values(**values))

    async def delete_app(self, app_id: str) -> None:
        await self.session.execute(delete(apps).where(apps.c.app_id == app_id))

    async def count_live_numbers(self, app_id: str) -> int:
        query = select(func.count()).where(phone_numbers.c.app_id == app_id, phone_numbers.c.state != DELETED)
        return int((await self.session.execute(query)).scalar_one())

    # -- phone numbers

    async def get_number(self, phone_number_id: str, *, for_update: bool = False) -> NumberRecord | None:
        query = select(phone_numbers).where(phone_numbers.c.phone_number_id == phone_number_id)
        if for_update:
            query = query.with_for_update()
        row = (await self.session.execute(query)).mappings().first()
        return NumberRecord.from_row(row) if row is not None else None

    async def list_numbers(
        self, *, app_id: str | None = None, include_deleted: bool = False, for_update: bool = False
    ) -> list[NumberRecord]:
        query = select(phone_numbers).order_by(phone_numbers.c.phone_number_id)
        if app_id is not None:
            query = query.where(phone_numbers.c.app_id == app_id)
        if not include_deleted:
            query = query.where(phone_numbers.c.state != DELETED)
        if for_update:
            query = query.with_for_update()
        return [NumberRecord.from_row(r) for r in (await self.session.execute(query)).mappings()]

    async def insert_number(self, values: dict[str, Any]) -> None:
        await self.session.execute(insert(phone_numbers).values(**values))

    async def update_number(self, phone_number_id: str, values: dict[str, Any]) -> None:
        await self.session.execute(
            update(phone_numbers).where(phone_numbers.c.phone_number_id == phone_number_id).values(**values)
        )
