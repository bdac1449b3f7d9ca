"""Business phone numbers as the gateway's integrations configure them, and the access token each
one sends with.

The gateway publishes ``NumberConfigured`` on every change (queue ``sender.integrations``). The
token travels and rests sealed with the shared secrets key (``tasklane_common.secrets``, associated
data = phone_number_id): it is stored as received and opened only in memory, when a message is
sent. ``version`` grows with every change, so an older event delivered late changes nothing.

A number without a row (or a row without a token) sends with the sender's own
``WHATSAPP_ACCESS_TOKEN``: the zero-config single-app default keeps working.

Tokens are cached per replica for ``number_cache_ttl_s``. Only one replica consumes each event
(competing consumers); it forgets its cached entry at once, the others when theirs expires.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from tasklane_common.db.dialect import upsert_insert
from tasklane_common.db.engine import Database
from tasklane_common.logging import configure_logging, get_logger
from tasklane_common.messaging.contracts.gateway import NumberConfigured
from tasklane_common.secrets import SecretBox, SecretsError
from tasklane_sender.identifiers import TOKEN_INVALID, UnusableToken, valid_token
from tasklane_sender.settings import SenderSettings
from tasklane_sender.tables import SCHEMA, numbers

log = get_logger(__name__)

STATES = frozenset({"active", "disabled", "deleted"})


async def store(
    session: AsyncSession, event: NumberConfigured, *, now: datetime, box: SecretBox | None = None
) -> bool:
    """Keep ``event`` unless a newer (or the same) version is already stored; True if kept.

    A token that opens (with ``box``) but cannot be sent in a header is kept all the same, with
    a warning: the number's messages then fail at once with that reason, rather than going out
    with another number's token or failing attempt after attempt."""
    if event.state not in STATES:
        log.warning("number_state_unknown", phone_number_id=event.phone_number_id, state=event.state)
    values = {
        "app_id": event.app_id,
        "waba_id": event.waba_id,
        "display_phone_number": event.display_phone_number,
        "access_token_sealed": event.access_token_encrypted,
        "state": event.state,
        "version": event.version,
        "throughput_per_s": event.throughput_per_s,
        "updated_at": now,
    }
    insert = upsert_insert(session, numbers).values(phone_number_id=event.phone_number_id, **values)
    result = await session.execute(
        insert.on_conflict_do_update(
            index_elements=[numbers.c.phone_number_id],
            set_={key: getattr(insert.excluded, key) for key in values},
            where=numbers.c.version < insert.excluded.version,
        )
    )
    kept = bool(result.rowcount)  # type: ignore[attr-defined]
    if kept and event.access_token_encrypted is not None and box is not None and box.configured:
        try:
            usable = valid_token(box.open(event.access_token_encrypted, aad=event.phone_number_id))
        except SecretsError:
            usable = True  # reported (and paused) when a message needs it, see ``_open``
        if not usable:
            log.warning("number_token_invalid", phone_number_id=event.phone_number_id, reason=TOKEN_INVALID)
    log.info(
        "number_configured" if kept else "number_configuration_stale",
        phone_number_id=event.phone_number_id,
        version=event.version,
        state=event.state,
        token_set=event.access_token_encrypted is not None,
    )
    return kept


@dataclass(frozen=True)
class _Entry:
    expires: float
    token: str | None
    throughput_per_s: int | None
    error: str | None = None
    # The token opened but cannot go into an HTTP header (``identifiers``).
    unusable: bool = False


class NumberDirectory:
    """Per-number access tokens and throughput limits, cached; the tokens only ever in memory."""

    def __init__(self, db: Database, settings: SenderSettings, box: SecretBox | None = None) -> None:
        self._db = db
        self._ttl = settings.number_cache_ttl_s
        self._box = box
        self._default = settings.access_token.get_secret_value() if settings.access_token else None
        self._cache: dict[str, _Entry] = {}

    @property
    def box(self) -> SecretBox:
        if self._box is None:
            self._box = SecretBox.from_env()
        return self._box

    def forget(self, phone_number_id: str | None = None) -> None:
        """Drop the cached entry of a number (all when None): the next lookup reads the database."""
        if phone_number_id is None:
            self._cache.clear()
        else:
            self._cache.pop(phone_number_id, None)

    async def token_for(self, phone_number_id: str) -> str | None:
        """The bearer token to send from ``phone_number_id`` with (None: none configured at all).
        Raises ``SecretsError`` when the stored token cannot be opened with the configured keys:
        sending with another token instead would only be refused, or worse, accepted; and
        ``UnusableToken`` when it opened but cannot be sent in a header."""
        entry = await self._entry(phone_number_id)
        if entry.error is not None:
            raise SecretsError(entry.error)
        if entry.unusable:
            raise UnusableToken()
        return entry.token

    async def throughput_per_s(self, phone_number_id: str) -> int | None:
        """The number's own throughput limit, if the gateway set one."""
        return (await self._entry(phone_number_id)).throughput_per_s

    async def _entry(self, phone_number_id: str) -> _Entry:
        now = time.monotonic()
        entry = self._cache.get(phone_number_id)
        if entry is not None and entry.expires > now:
            return entry
        async with self._db.read() as session:
            row = (
                await session.execute(
                    select(numbers.c.access_token_sealed, numbers.c.throughput_per_s).where(
                        numbers.c.phone_number_id == phone_number_id
                    )
                )
            ).first()
        entry = self._open(phone_number_id, row.access_token_sealed if row else None, now)
        if row is not None:
            entry = _Entry(entry.expires, entry.token, row.throughput_per_s, entry.error, entry.unusable)
        self._cache[phone_number_id] = entry
        return entry

    def _open(self, phone_number_id: str, sealed: str | None, now: float) -> _Entry:
        expires = now + self._ttl
        if sealed is None:
            return _Entry(expires, self._default, None)
        try:
            token = self.box.open(sealed, aad=phone_number_id)
        except SecretsError as exc:
            # The reason names keys, never the token.
            log.error("number_token_unreadable", phone_number_id=phone_number_id, reason=str(exc))
            return _Entry(
                expires,
                None,
                None,
                f"the access token stored for number {phone_number_id} cannot be opened: {exc}",
            )
        if not valid_token(token):
            # Kept out of memory: only the fact that it is unusable matters from now on.
            return _Entry(expires, None, None, unusable=True)
        return _Entry(expires, token, None)


async def rotate_secrets(db: Database, box: SecretBox | None = None) -> int:
    """Re-seal every stored token with the current key; returns how many changed. Tokens sealed
    with a key that is neither current nor previous stop the rotation (nothing is half-done)."""
    box = box or SecretBox.from_env()
    if not box.configured:
        raise SecretsError("cannot rotate: TASKLANE_SECRETS_KEY is not set")
    changed = 0
    async with db.transaction() as session:
        rows = (
            await session.execute(
                select(numbers.c.phone_number_id, numbers.c.access_token_sealed)
                .where(numbers.c.access_token_sealed.is_not(None))
                .with_for_update()
            )
        ).all()
        for phone_number_id, sealed in rows:
            if not box.needs_rotation(sealed):
                continue
            await session.execute(
                update(numbers)
                .where(numbers.c.phone_number_id == phone_number_id)
                .values(access_token_sealed=box.rotate(sealed, aad=phone_number_id))
            )
            changed += 1
    log.info("secrets_rotated", table="numbers", rows=changed)
    return changed


async def rotate_command(settings: SenderSettings) -> int:
    """``python -m tasklane_sender rotate-secrets``: run with the new key in ``TASKLANE_SECRETS_KEY``
    and the old ones in ``TASKLANE_SECRETS_PREVIOUS_KEYS``; exit status 1 if it could not."""
    configure_logging(settings.logging)
    db = Database(settings.database, logical_schema=SCHEMA)
    try:
        changed = await rotate_secrets(db)
    except SecretsError as exc:
        log.error("secrets_rotation_failed", reason=str(exc))
        return 1
    finally:
        await db.dispose()
    print(f"re-sealed {changed} access token(s) with the current key")
    return 0
