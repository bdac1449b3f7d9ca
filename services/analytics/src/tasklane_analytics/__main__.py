"""``python -m tasklane_analytics [serve|migrate]``."""

from tasklane_analytics.app import MIGRATIONS, create_app
from tasklane_analytics.settings import AnalyticsSettings
from tasklane_analytics.tables import SCHEMA
from tasklane_common.cli import main

if __name__ == "__main__":
    main(AnalyticsSettings, create_app, logical_schema=SCHEMA, migrations=MIGRATIONS)
