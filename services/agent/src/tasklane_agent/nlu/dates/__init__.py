"""Dates and times inside a sentence (``find``), in English (``en``, on parsedatetime), Spanish
and Portuguese (``romance`` with ``es``/``pt``), with the words they share (``words``,
``common``) and repeating dates (``repeat``)."""

from tasklane_agent.nlu.dates.find import DueDate, find_due

__all__ = ["DueDate", "find_due"]
