"""The languages the assistant speaks. Telling which one a message is in is understanding's job
(``nlu.language``); which one a user is answered in is part of their profile."""

from __future__ import annotations

from typing import Literal

Lang = Literal["en", "es", "pt"]
LANGS: tuple[Lang, ...] = ("en", "es", "pt")
