"""The analytics schema's metadata and the tables every service has (inbox, dead letters).

The service's own tables live with what they belong to: ``eventlog.tables`` (the raw log) and
``rollups.tables`` (the hourly figures).
"""

from __future__ import annotations

from tasklane_common.db import service_metadata
from tasklane_common.messaging import dead_letters_table, inbox_table

SCHEMA = "analytics"
metadata = service_metadata(SCHEMA)

inbox = inbox_table(metadata)
# What this service's consumers could not handle, until replayed (tasklane_common.messaging.deadletters).
dead_letters = dead_letters_table(metadata)
