"""The cross-service tests share one way to build each service on the real broker and database
(``services_apps``)."""

from __future__ import annotations

import sys
from pathlib import Path

# The suite runs with --import-mode=importlib, which does not put test directories on sys.path;
# the helper module here has a name unique in the repository, so exposing it is safe.
sys.path.insert(0, str(Path(__file__).parent))
