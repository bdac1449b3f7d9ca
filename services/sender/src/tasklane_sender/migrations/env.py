from alembic import context

from tasklane_common.db.migrations import run_env
from tasklane_sender.tables import metadata

run_env(context, metadata)
