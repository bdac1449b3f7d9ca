"""Understanding messages: pure functions, no I/O, an injected "now".

understanding = understand("add task pay rent on the 1st", now)   # now: aware, user's tz
"""

from tasklane_agent.nlu.dates import DueDate, find_due
from tasklane_agent.nlu.intents import Intent, TaskDraft, Understanding, understand
from tasklane_agent.nlu.priority import Priority, extract_priority

__all__ = [
    "DueDate",
    "Intent",
    "Priority",
    "TaskDraft",
    "Understanding",
    "extract_priority",
    "find_due",
    "understand",
]
