"""``python -m tasklane_simulator``: serve the simulator on its configured host and port."""

from __future__ import annotations

import uvicorn

from tasklane_common.logging import configure_logging
from tasklane_common.settings import LoggingSettings
from tasklane_simulator.app import create_app
from tasklane_simulator.settings import SimulatorSettings


def main() -> None:
    settings = SimulatorSettings()
    configure_logging(LoggingSettings())
    uvicorn.run(
        create_app(settings), host=settings.host, port=settings.port, log_config=None, access_log=False
    )


if __name__ == "__main__":
    main()
