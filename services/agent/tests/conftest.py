"""The agent's test helper modules (conversation_runner, fake_openai, date_checks) are imported by
name; with ``--import-mode=importlib`` pytest does not put this folder on ``sys.path`` itself."""

from __future__ import annotations

import sys
from pathlib import Path

HERE = str(Path(__file__).parent)
if HERE not in sys.path:
    sys.path.insert(0, HERE)
