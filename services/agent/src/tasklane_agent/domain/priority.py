"""A task's priority, and the order lists show it in (high first)."""

from __future__ import annotations

from typing import Literal

Priority = Literal["low", "normal", "high"]
PRIORITY_RANK: dict[Priority, int] = {"high": 0, "normal": 1, "low": 2}
