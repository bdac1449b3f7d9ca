"""The error tree shared by the services.

TasklaneError
├── PermanentError      retrying cannot help: the message goes to the dead-letter queue
└── TransientError      retry with backoff; after the delivery limit it is dead-lettered too
    └── PublishError    the broker did not confirm a publish in time
"""

from __future__ import annotations


class TasklaneError(Exception):
    """Base of every error raised on purpose by Tasklane code."""


class PermanentError(TasklaneError):
    """The input can never be processed (bad contract, unknown type, violated invariant)."""


class TransientError(TasklaneError):
    """The input is fine but a dependency failed; the same input may succeed later."""


class PublishError(TransientError):
    """A publish was not confirmed by the broker (unreachable, unroutable, nacked or timed out)."""
