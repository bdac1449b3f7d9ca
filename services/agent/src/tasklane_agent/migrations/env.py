from alembic import context

from tasklane_agent.storage.tables import metadata
from tasklane_common.db.migrations import run_env

run_env(context, metadata)
