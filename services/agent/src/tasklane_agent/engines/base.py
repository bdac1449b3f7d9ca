"""What every engine receives and returns.

An engine reads one message (``Context``) and answers with ``EngineReply``: the messages to send
back (text, reply buttons or a list, as WhatsApp allows) and what it understood. It acts through
``context.workspace`` only, and leaves what the next message may refer to in ``context.state``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Protocol
from zoneinfo import ZoneInfo

from tasklane_agent.domain import ConversationState, Profile, Turn
from tasklane_agent.domain.language import Lang
from tasklane_agent.workspace import Workspace

if TYPE_CHECKING:
    from tasklane_agent.nlu.commands import Understanding

# WhatsApp's interactive limits: 3 reply buttons (20 characters each), 10 list rows (24/72).
MAX_BUTTONS = 3
MAX_ROWS = 10


@dataclass(frozen=True)
class Button:
    id: str
    title: str


@dataclass(frozen=True)
class Row:
    id: str
    title: str
    description: str = ""


@dataclass(frozen=True)
class Outgoing:
    """One message to the user: plain text, text with buttons, or text with a list of choices."""

    text: str
    buttons: tuple[Button, ...] = ()
    rows: tuple[Row, ...] = ()
    list_button: str = ""  # the label of the button that opens the list


@dataclass
class Context:
    workspace: Workspace
    profile: Profile
    state: ConversationState
    now: datetime  # aware, in the user's timezone
    text: str
    lang: Lang  # the language of this message (replies use it)
    # The id of the button or list row the user picked, for interactive replies.
    choice_id: str | None = None
    history: Sequence[Turn] = ()
    # The most tasks one list answer shows (settings.list_limit).
    list_limit: int = 20
    _understood: Understanding | None = field(default=None, init=False, repr=False)

    def understood(self) -> Understanding:
        """The rule parser's reading of the message alone, made once: the router (is this an
        answer to the offline engine's question?) and the offline engine both need it."""
        if self._understood is None:
            # Imported here: engines that never need the rule parser (a test's fake) skip loading it.
            from tasklane_agent.nlu.parse import understand

            self._understood = understand(self.text, self.now, self.lang)
        return self._understood

    @property
    def tz(self) -> ZoneInfo:
        tz = self.now.tzinfo
        assert isinstance(tz, ZoneInfo)
        return tz


@dataclass
class EngineReply:
    intent: str
    messages: list[Outgoing] = field(default_factory=list)
    engine: str = "rules"


class Engine(Protocol):
    name: str

    async def respond(self, context: Context) -> EngineReply: ...


class EngineUnavailable(Exception):
    """The engine could not answer (endpoint down, too slow, breaker open): use the next one."""
