"""A NUL byte or an out-of-range number is the request's fault, not an outage: admin reads answered
503 "database unavailable, retry" for a NUL in a filter, which a client would retry forever."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import create_async_engine

from tasklane_common.db.failures import is_bad_input, is_outage

POSTGRES = "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"


async def _error_of(url: str, sql: str, **params: object) -> DBAPIError:
    engine = create_async_engine(url)
    try:
        with pytest.raises(DBAPIError) as caught:
            async with engine.connect() as conn:
                await conn.execute(text(sql), params)
        return caught.value
    finally:
        await engine.dispose()


async def test_a_nul_byte_in_text_is_bad_input_not_an_outage() -> None:
    exc = await _error_of(POSTGRES, "SELECT CAST(:v AS text) = 'x'", v="a\x00b")
    assert is_bad_input(exc)
    assert not is_outage(exc)


async def test_a_division_by_zero_style_data_error_is_bad_input() -> None:
    exc = await _error_of(POSTGRES, "SELECT CAST(:v AS integer)", v="not a number")
    assert is_bad_input(exc)
    assert not is_outage(exc)


async def _connect(url: str) -> None:
    engine = create_async_engine(url)
    try:
        async with engine.connect():
            pass
    finally:
        await engine.dispose()


async def test_an_unreachable_database_is_an_outage() -> None:
    with pytest.raises(OSError, match=r".") as caught:
        await _connect("postgresql+asyncpg://postgres@127.0.0.1:1/postgres")
    assert is_outage(caught.value)
