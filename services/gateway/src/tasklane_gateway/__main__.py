"""``python -m tasklane_gateway [serve|migrate|rotate-secrets]``."""

from tasklane_common.cli import main
from tasklane_gateway.app import MIGRATIONS, create_app
from tasklane_gateway.commands import rotate_secrets
from tasklane_gateway.settings import GatewaySettings
from tasklane_gateway.tables import SCHEMA

if __name__ == "__main__":
    main(
        GatewaySettings,
        create_app,
        logical_schema=SCHEMA,
        migrations=MIGRATIONS,
        commands={"rotate-secrets": rotate_secrets},
    )
