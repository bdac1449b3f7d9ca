"""Who is behind a WhatsApp sender: (our phone_number_id, wa_id or business-scoped id) -> user.

Lookups are cached in-process. Every cached entry is tagged with the ``mapping_version`` read at the
start of the webhook's transaction and is used only by a webhook that read the same version; every
change that moves or removes a mapping (admin update or delete, ``user_changed_number``) bumps the
version in its own transaction. So a replica sees another replica's change at its next webhook, the
TTL being only a backstop. Changes that only *add* a key (a new user, a business-scoped id learnt
for a known number) leave the version alone: no cached entry can contradict them, and bumping on
every first contact would empty every cache during a burst of new users.

The cache is filled only after the transaction committed (``Lookup.committed``), so a webhook that
rolled back never leaves behind what it read or wrote.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from tasklane_common.logging import get_logger
from tasklane_common.messaging import deterministic_id
from tasklane_gateway import contacts_repository as repo
from tasklane_gateway.contacts_repository import Contact
from tasklane_gateway.webhook import InboundMessage

log = get_logger(__name__)

Key = tuple[str, str, str]
# Lookup keys kept at most by default (settings: contacts_cache_max_entries).
MAX_CACHED = 5_000


@dataclass(frozen=True)
class Identity:
    """How one message names its sender."""

    phone_number_id: str
    wa_id: str | None
    bsuid: str | None
    username: str | None = None
    profile_name: str | None = None

    @property
    def sender(self) -> str:
        """The wa_id, or the business-scoped id when Meta omitted the phone number."""
        found = self.wa_id or self.bsuid
        assert found is not None, "an identity names its sender"
        return found

    @property
    def ref(self) -> tuple[str, str]:
        return (self.phone_number_id, self.sender)

    def lookup_keys(self) -> list[Key]:
        out: list[Key] = []
        if self.wa_id:
            out.append(("w", self.phone_number_id, self.wa_id))
        if self.bsuid:
            out.append(("b", self.phone_number_id, self.bsuid))
        return out

    @classmethod
    def of(cls, message: InboundMessage) -> Identity:
        return cls(
            phone_number_id=message.phone_number_id,
            wa_id=message.wa_id,
            bsuid=message.bsuid or (None if message.wa_id else message.sender),
            username=message.username,
            profile_name=message.profile_name,
        )


class ContactCache:
    """Recently resolved contacts, for at most ``ttl_s``. Entries are kept in expiry order (the TTL
    is the same for all), so expired ones are dropped from the front as time passes, and beyond
    ``max_entries`` the oldest go first: a stream of first-time senders cannot grow it."""

    def __init__(
        self, ttl_s: float, *, max_entries: int = MAX_CACHED, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._ttl_s = ttl_s
        self._max = max_entries
        self._clock = clock
        self._entries: OrderedDict[Key, tuple[Contact, int, float]] = OrderedDict()
        self.hits = 0
        self.misses = 0

    def get(self, key: Key, version: int) -> Contact | None:
        now = self._clock()
        self._expire(now)
        entry = self._entries.get(key)
        if entry is not None and entry[1] == version and entry[2] > now:
            self.hits += 1
            return entry[0]
        self.misses += 1
        return None

    def put(self, contacts: Iterable[Contact], version: int) -> None:
        if self._ttl_s <= 0:
            return
        now = self._clock()
        expires = now + self._ttl_s
        for contact in contacts:
            for key in contact.lookup_keys():
                self._entries[key] = (contact, version, expires)
                self._entries.move_to_end(key)
        while len(self._entries) > self._max:
            self._entries.popitem(last=False)
        self._expire(now)

    def _expire(self, now: float) -> None:
        while self._entries:
            first = next(iter(self._entries.values()))
            if first[2] > now:
                return
            self._entries.popitem(last=False)

    def __len__(self) -> int:
        self._expire(self._clock())
        return len(self._entries)

    def stats(self) -> dict[str, Any]:
        total = self.hits + self.misses
        return {
            "entries": len(self),
            "hits": self.hits,
            "misses": self.misses,
            "hit_ratio": round(self.hits / total, 3) if total else None,
        }


class ContactBook:
    """One per process: the cache, and a ``Lookup`` per webhook transaction."""

    def __init__(self, ttl_s: float, max_entries: int = MAX_CACHED) -> None:
        self.cache = ContactCache(ttl_s, max_entries=max_entries)

    async def lookup(self, session: AsyncSession) -> Lookup:
        return Lookup(self.cache, session, await repo.current_version(session))


class Lookup:
    """Resolution within one transaction; ``committed()`` once it committed."""

    def __init__(self, cache: ContactCache, session: AsyncSession, version: int) -> None:
        self._cache = cache
        self._session = session
        self.version = version
        # What this transaction knows, by key: read, created or changed here.
        self._known: dict[Key, Contact] = {}
        self._bumped = False

    async def resolve(self, identities: Iterable[Identity], now: datetime) -> dict[tuple[str, str], Contact]:
        """The known users among ``identities`` (by ``Identity.ref``), their details brought up to
        date (business-scoped id or wa_id learnt, username, profile name). Unknown ones are absent."""
        wanted = sorted({i.ref: i for i in identities}.values(), key=lambda i: i.ref)
        misses: dict[str, tuple[set[str], set[str]]] = {}
        for identity in wanted:
            for key in identity.lookup_keys():
                if key in self._known:
                    continue
                cached = self._cache.get(key, self.version)
                if cached is not None:
                    self._known[key] = cached
                else:
                    wa_ids, bsuids = misses.setdefault(identity.phone_number_id, (set(), set()))
                    (wa_ids if key[0] == "w" else bsuids).add(key[2])
        for phone_number_id, (wa_ids, bsuids) in sorted(misses.items()):
            for contact in await repo.find_matching(self._session, phone_number_id, wa_ids, bsuids):
                self._remember(contact)
        # Sorted, so that concurrent webhooks update user rows in the same order.
        out: dict[tuple[str, str], Contact] = {}
        for identity in wanted:
            match = self._match(identity)
            if match is not None:
                out[identity.ref] = await self._refresh(match, identity, now)
        return out

    async def register(self, identity: Identity, now: datetime) -> Contact:
        """Create the user for a first contact (or find the one a concurrent webhook created)."""
        # Events naming the user are published before the commit: if the commit fails, Meta's
        # retry must create the same id. Two replicas racing also compute the same id.
        sender = identity.wa_id or identity.bsuid or ""
        user_ids: list[str | None] = [deterministic_id("user", identity.phone_number_id, sender), None]
        for user_id in user_ids:
            created = await repo.insert(
                self._session,
                phone_number_id=identity.phone_number_id,
                wa_id=identity.wa_id,
                bsuid=identity.bsuid,
                username=identity.username,
                profile_name=identity.profile_name,
                source="auto",
                now=now,
                if_absent=True,
                user_id=user_id,
            )
            if created is not None:
                log.info("user_registered", user_id=created.user_id, wa_id=identity.wa_id, source="auto")
                break
            # A concurrent first contact won the insert (we waited for its commit): use its row.
            created = await repo.find(
                self._session, identity.phone_number_id, wa_id=identity.wa_id, bsuid=identity.bsuid
            )
            if created is not None:
                break
            # Neither: the id is held by a user that has since changed number; take a random one.
        assert created is not None, "a conflicting user exists"
        self._remember(created)
        return created

    async def change_number(self, contact: Contact, new_wa_id: str, now: datetime) -> Contact | None:
        """Meta's ``user_changed_number``: the user keeps its id and now answers to ``new_wa_id``.
        None if another user already holds that number (logged, nothing changed)."""
        if contact.wa_id == new_wa_id:
            return None
        try:
            # A savepoint: a unique violation must not spoil the webhook's transaction.
            async with self._session.begin_nested():
                moved = await repo.update_user(
                    self._session, contact.user_id, {"wa_id": new_wa_id, "updated_at": now}
                )
        except IntegrityError:
            log.warning("number_change_conflict", user_id=contact.user_id, wa_id=new_wa_id)
            return None
        if moved is None:
            return None
        await self.bump()
        self._known.pop(("w", contact.phone_number_id, contact.wa_id or ""), None)
        self._remember(moved)
        log.info("user_number_changed", user_id=moved.user_id, wa_id=new_wa_id)
        return moved

    async def bump(self) -> None:
        if not self._bumped:
            await repo.bump_version(self._session)
            self._bumped = True

    def committed(self) -> None:
        """Share what this transaction read and wrote with the next webhooks of this process."""
        if self._bumped:
            # Our own change bumped the version: whatever we hold is tagged with the old one.
            return
        self._cache.put({c.user_id: c for c in self._known.values()}.values(), self.version)

    def _remember(self, contact: Contact) -> None:
        for key in contact.lookup_keys():
            self._known[key] = contact

    def _match(self, identity: Identity) -> Contact | None:
        by_wa = self._known.get(("w", identity.phone_number_id, identity.wa_id)) if identity.wa_id else None
        by_bsuid = (
            self._known.get(("b", identity.phone_number_id, identity.bsuid)) if identity.bsuid else None
        )
        if by_wa is not None and by_bsuid is not None and by_wa.user_id != by_bsuid.user_id:
            # Two mappings for one person (an admin mapped the number, Meta's id was learnt
            # apart): the phone number's mapping wins, the other is left for an admin to merge.
            log.warning("contact_conflict", user_id=by_wa.user_id, other_user_id=by_bsuid.user_id)
        return by_wa or by_bsuid

    async def _refresh(self, contact: Contact, identity: Identity, now: datetime) -> Contact:
        values: dict[str, Any] = {}
        if identity.username and identity.username != contact.username:
            values["username"] = identity.username
        if identity.profile_name and identity.profile_name != contact.profile_name:
            values["profile_name"] = identity.profile_name
        learnt: dict[str, Any] = {}
        if identity.bsuid and contact.bsuid is None:
            learnt["bsuid"] = identity.bsuid
        if identity.wa_id and contact.wa_id is None:
            learnt["wa_id"] = identity.wa_id
        if not values and not learnt:
            return contact
        updated: Contact | None = None
        if learnt:
            try:
                async with self._session.begin_nested():
                    updated = await repo.update_user(
                        self._session, contact.user_id, {**values, **learnt, "updated_at": now}
                    )
            except IntegrityError:
                # Another user already holds that id: keep both as they are (see _match).
                log.warning("contact_conflict", user_id=contact.user_id, learnt=sorted(learnt))
        if updated is None and values:
            updated = await repo.update_user(self._session, contact.user_id, {**values, "updated_at": now})
        if updated is None:  # deleted meanwhile: use what we had for this message
            return contact
        self._remember(updated)
        return updated
