"""Database helpers: schema-scoped metadata, the async engine, transactions and migrations."""

from tasklane_common.db.engine import Database
from tasklane_common.db.metadata import service_metadata

__all__ = ["Database", "service_metadata"]
