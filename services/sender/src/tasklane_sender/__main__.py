"""``python -m tasklane_sender [serve|migrate|rotate-secrets]``."""

from tasklane_common.cli import main
from tasklane_sender.app import MIGRATIONS, create_app
from tasklane_sender.numbers import rotate_command
from tasklane_sender.settings import SenderSettings
from tasklane_sender.tables import SCHEMA

if __name__ == "__main__":
    main(
        SenderSettings,
        create_app,
        logical_schema=SCHEMA,
        migrations=MIGRATIONS,
        commands={"rotate-secrets": rotate_command},
    )
