"""Gateway commands beside ``serve`` and ``migrate``: ``python -m tasklane_gateway rotate-secrets``."""

from __future__ import annotations

import getpass
import sys

from sqlalchemy.exc import SQLAlchemyError

from tasklane_common.db.engine import Database
from tasklane_common.logging import configure_logging
from tasklane_common.secrets import SecretBox, SecretsError
from tasklane_gateway import audit
from tasklane_gateway.errors import AdminError
from tasklane_gateway.integrations import Integrations
from tasklane_gateway.settings import GatewaySettings
from tasklane_gateway.tables import SCHEMA


async def rotate_secrets(settings: GatewaySettings) -> int:
    """Re-seal every stored secret with ``TASKLANE_SECRETS_KEY``; the keys they were sealed with
    must be readable (current or in ``TASKLANE_SECRETS_PREVIOUS_KEYS``). One transaction: either
    every row is re-sealed or none. Afterwards the previous keys can be retired."""
    configure_logging(settings.logging)
    try:
        box = SecretBox.from_env()
    except SecretsError as exc:
        print(f"rotate-secrets: {exc}", file=sys.stderr)
        return 2
    db = Database(settings.database, logical_schema=SCHEMA)
    try:
        async with db.transaction() as session:
            result = await Integrations(box, None).rotate(session)
            await audit.record(
                session,
                actor=f"cli:{getpass.getuser()}",
                role=None,
                action="secrets.rotate",
                target_type="secrets",
                target_id=None,
                details=result.as_dict(),
            )
    except AdminError as exc:
        print(f"rotate-secrets: {exc.message}", file=sys.stderr)
        return 1
    except (SQLAlchemyError, OSError) as exc:
        print(f"rotate-secrets: database error ({type(exc).__name__})", file=sys.stderr)
        return 1
    finally:
        await db.dispose()
    print(
        f"rotate-secrets: {result.resealed} secret(s) re-sealed with key {box.current_key_id} "
        f"({result.apps} app(s), {result.numbers} phone number(s) checked)"
    )
    return 0
