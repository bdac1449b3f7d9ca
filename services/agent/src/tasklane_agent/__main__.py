"""``python -m tasklane_agent [serve|migrate]``."""

from tasklane_agent.app import MIGRATIONS, create_app
from tasklane_agent.settings import AgentSettings
from tasklane_agent.storage.tables import SCHEMA
from tasklane_common.cli import main

if __name__ == "__main__":
    main(AgentSettings, create_app, logical_schema=SCHEMA, migrations=MIGRATIONS)
