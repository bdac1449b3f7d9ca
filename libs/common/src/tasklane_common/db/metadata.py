"""Schema-scoped SQLAlchemy metadata.

Tables are declared against the service's logical schema name (``agent``, ``sender``...). At run
time the engine translates it: to the configured PostgreSQL schema (tests use a unique one per
run), or to no schema at all on SQLite, which has none.
"""

from __future__ import annotations

from sqlalchemy import MetaData

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def service_metadata(logical_schema: str) -> MetaData:
    return MetaData(schema=logical_schema, naming_convention=NAMING_CONVENTION)
