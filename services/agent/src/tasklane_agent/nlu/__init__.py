"""Understanding messages: pure functions, no I/O, an injected "now".

    understanding = read("add task pay rent on the 1st", now, "en")   # now: aware, user's tz
    understanding.command   # CreateTask(title="pay rent", due=DueDate(...), ...)
    understanding.lang      # the language to answer in

The rule parser is in :mod:`tasklane_agent.nlu.parse`; the commands it returns, the contract with
the engines, in :mod:`tasklane_agent.nlu.commands`.
"""

from tasklane_agent.domain.language import LANGS, Lang
from tasklane_agent.domain.priority import Priority
from tasklane_agent.nlu.dates import DueDate, find_due
from tasklane_agent.nlu.language import detect
from tasklane_agent.nlu.parse import read, understand
from tasklane_agent.nlu.priority import extract_priority

__all__ = [
    "LANGS",
    "DueDate",
    "Lang",
    "Priority",
    "detect",
    "extract_priority",
    "find_due",
    "read",
    "understand",
]
