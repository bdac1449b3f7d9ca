"""Who a user is to the agent: the number they write to, their name, language and timezone.

A profile is created from the first message and refreshed by later ones. Until the user says
otherwise, the timezone comes from the phone number's country (and area, where a country spans
several zones: phonenumbers knows which) and the language from the country too; what the user
writes then moves the language, and "set my timezone to ..." pins the zone.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import phonenumbers
from phonenumbers import timezone as phone_timezones
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from tasklane_agent.domain import Profile
from tasklane_agent.domain.language import Lang
from tasklane_agent.domain.names import name_key
from tasklane_agent.storage.tables import profiles
from tasklane_common.db.dialect import upsert_insert

_SPANISH = frozenset(
    {"ES", "MX", "AR", "CO", "CL", "PE", "VE", "EC", "GT", "CU", "BO", "DO", "HN", "PY", "SV", "NI", "CR",
     "PA", "UY", "PR", "GQ"}
)  # fmt: skip
_PORTUGUESE = frozenset(["BR", "PT", "AO", "MZ", "CV", "GW", "ST", "TL"])
UNKNOWN_ZONE = "Etc/Unknown"
_BSUID_COUNTRY = re.compile(r"^([A-Z]{2})\.")


# The zone most of a country's people live in, by calling code: used when the number's own area
# spans several zones (a Spanish mobile: Madrid or the Canaries) or is not assigned yet.
_MAIN_ZONE = {
    1: "America/New_York", 7: "Europe/Moscow", 34: "Europe/Madrid", 44: "Europe/London",
    49: "Europe/Berlin", 52: "America/Mexico_City", 54: "America/Argentina/Buenos_Aires",
    55: "America/Sao_Paulo", 56: "America/Santiago", 57: "America/Bogota", 61: "Australia/Sydney",
    62: "Asia/Jakarta", 351: "Europe/Lisbon", 593: "America/Guayaquil",
}  # fmt: skip


# Among the zones one area spans, the one most of its people are in.
_MOST_PEOPLE = ("America/Anchorage",)


def from_phone(address: str, default_timezone: str) -> tuple[Lang, str, str]:
    """(language, timezone, timezone source) guessed from a wa_id such as ``34600111222``."""
    bsuid = _BSUID_COUNTRY.match(address)
    if bsuid is not None:
        # A business-scoped id names no number, only the user's country ("US.1349..."): its
        # example number stands in for it.
        example = phonenumbers.example_number(bsuid.group(1))
        if example is None:
            return "en", default_timezone, "default"
        address = f"{example.country_code}{example.national_number}"
    try:
        number = phonenumbers.parse("+" + address.lstrip("+"))
    except phonenumbers.NumberParseException:
        return "en", default_timezone, "default"
    code = number.country_code or 0
    region = phonenumbers.region_code_for_number(number) or phonenumbers.region_code_for_country_code(code)
    lang: Lang = "es" if region in _SPANISH else "pt" if region in _PORTUGUESE else "en"
    zones = [z for z in phone_timezones.time_zones_for_number(number) if z != UNKNOWN_ZONE]
    main = _MAIN_ZONE.get(code)
    if len(zones) == 1:
        return lang, zones[0], "country"
    if main is not None and (not zones or main in zones):
        return lang, main, "country"
    if zones:
        # Several zones, none the country's main one (Alaska: Adak or Anchorage): where most
        # people live, when we know it; the tz database's first otherwise.
        return lang, next((z for z in _MOST_PEOPLE if z in zones), zones[0]), "country"
    return lang, default_timezone, "default"


def _profile(row: Any) -> Profile:
    return Profile(
        user_id=row.user_id,
        org_id=row.org_id,
        address=row.address,
        name=row.name,
        lang=row.lang,
        lang_source=row.lang_source,
        timezone=row.timezone,
        timezone_source=row.timezone_source,
        updated_at=row.updated_at.replace(tzinfo=UTC) if row.updated_at.tzinfo is None else row.updated_at,
    )


class ProfileRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, user_id: str) -> Profile | None:
        row = (await self.session.execute(select(profiles).where(profiles.c.user_id == user_id))).first()
        return _profile(row) if row is not None else None

    async def meet(
        self,
        *,
        user_id: str,
        org_id: str,
        address: str,
        name: str | None,
        default_timezone: str,
        now: datetime,
    ) -> Profile:
        """The user's profile, created from their phone number on first contact; the address,
        organisation and display name follow what WhatsApp tells us now."""
        lang, zone, zone_source = from_phone(address, default_timezone)
        at = now.astimezone(UTC)
        insert = upsert_insert(self.session, profiles).values(
            user_id=user_id,
            org_id=org_id,
            address=address,
            name=name,
            name_key=name_key(name) if name else None,
            lang=lang,
            lang_source="country",
            timezone=zone,
            timezone_source=zone_source,
            created_at=at,
            updated_at=at,
        )
        refresh: dict[str, Any] = {"org_id": org_id, "address": address, "updated_at": at}
        if name:
            refresh.update(name=name, name_key=name_key(name))
        # One round trip: the row as it is after the upsert (new, or refreshed).
        upsert = insert.on_conflict_do_update(index_elements=["user_id"], set_=refresh).returning(profiles)
        return _profile((await self.session.execute(upsert)).one())

    async def update(self, user_id: str, now: datetime, **values: str) -> None:
        await self.session.execute(
            profiles.update()
            .where(profiles.c.user_id == user_id)
            .values(**values, updated_at=now.astimezone(UTC))
        )

    async def named_among(self, user_ids: set[str], name: str) -> list[Profile]:
        """Those of ``user_ids`` whose display name is ``name`` or starts with it as a word ("Ana"
        → "Ana Souza"): a user's teammates, never the number's other users."""
        key = name_key(name)
        if not key or not user_ids:
            return []
        rows = await self.session.execute(
            select(profiles)
            .where(
                profiles.c.user_id.in_(sorted(user_ids)),
                (profiles.c.name_key == key) | profiles.c.name_key.startswith(key + " ", autoescape=True),
            )
            .order_by(profiles.c.name_key, profiles.c.user_id)
            .limit(10)
        )
        return [_profile(r) for r in rows]

    async def by_address(self, org_id: str, address: str) -> Profile | None:
        row = (
            await self.session.execute(
                select(profiles).where(profiles.c.org_id == org_id, profiles.c.address == address).limit(1)
            )
        ).first()
        return _profile(row) if row is not None else None

    async def many(self, user_ids: list[str]) -> dict[str, Profile]:
        if not user_ids:
            return {}
        rows = await self.session.execute(select(profiles).where(profiles.c.user_id.in_(user_ids)))
        return {r.user_id: _profile(r) for r in rows}
