from typing import cast

from alembic import context
from alembic.runtime.environment import EnvironmentContext

from tasklane_common.db.migrations import run_env
from tasklane_gateway.tables import metadata

# alembic.context is a module-level proxy of the EnvironmentContext running this script.
run_env(cast(EnvironmentContext, context), metadata)
