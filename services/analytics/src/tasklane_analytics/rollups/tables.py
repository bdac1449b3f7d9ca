"""The hourly figures and the little state that keeps them exact.

``rollups`` holds one counter per (metric, phone number, UTC hour, dimension): a metric without
a dimension uses ``''``, failures use the error code, pricing the category, response times the
histogram bucket; number ``*`` holds the system-wide counters. Unique users do not add up, so
``hourly_users`` keeps each hour's set of pseudonyms (per number and under ``*``) and periods
count the distinct ones across their hours. ``turns``, ``priced`` and ``deadlines`` remember just enough to
count a turn's response time, a message's pricing category and a task's deadline once.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, Column, DateTime, Index, String, Table

from tasklane_analytics.tables import metadata

# Events with no phone number (tasks) count under this one: "no number".
NO_NUMBER = ""
# Every count is kept twice: under its number and under this one, all numbers together, so that
# a system-wide figure reads one row per hour instead of one per number and hour.
ALL_NUMBERS = "*"

rollups = Table(
    "rollups",
    metadata,
    # In this order: a series reads one metric of one number (or all) over a range of hours.
    Column("metric", String(40), primary_key=True),
    Column("phone_number_id", String(64), primary_key=True),
    Column("hour", DateTime(timezone=True), primary_key=True),
    Column("dim", String(64), primary_key=True),
    Column("value", BigInteger, nullable=False),
)

hourly_users = Table(
    "hourly_users",
    metadata,
    # Number first: a figure reads one number's (or all numbers') users over a range of hours.
    Column("phone_number_id", String(64), primary_key=True),
    Column("hour", DateTime(timezone=True), primary_key=True),
    Column("user", String(40), primary_key=True),
)

turns = Table(
    "turns",
    metadata,
    # The correlation id every event of one conversation turn carries.
    Column("correlation_id", String(200), primary_key=True),
    Column("phone_number_id", String(64), nullable=False, default=NO_NUMBER),
    Column("received_ms", BigInteger),
    Column("first_sent_ms", BigInteger),
    # The response time already in the histogram (so a turn is counted once, and moved if an
    # earlier reply shows up late).
    Column("counted_ms", BigInteger),
    # What ``counted_ms`` was before the last upsert: the count to take back when it moved.
    Column("prev_counted_ms", BigInteger),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Index(None, "received_ms"),
    Index(None, "updated_at"),
)

priced = Table(
    "priced",
    metadata,
    Column("wamid", String(200), primary_key=True),
    Column("phone_number_id", String(64), nullable=False),
    Column("category", String(64), nullable=False),
    # The earliest status seen, and the hour the message is counted in (moved if an earlier
    # status arrives late).
    Column("at_ms", BigInteger, nullable=False),
    Column("hour", DateTime(timezone=True), nullable=False),
    Column("prev_hour", DateTime(timezone=True)),
    Index(None, "hour"),
)

deadlines = Table(
    "deadlines",
    metadata,
    Column("task_id", String(100), primary_key=True),
    Column("due_ms", BigInteger),
    # When the task was completed or deleted (None while open).
    Column("closed_ms", BigInteger),
    Column("overdue_counted", Boolean, nullable=False, default=False),
    Index(None, "due_ms"),
)
