"""The offline rule parser, one package: ``message`` reads a whole message through the steps in
order; each other module reads one kind of request (``tasks``, ``done``, ``lists``, ``move``,
``questions``, ``indirect``, ``team``, ``zones``, ``smalltalk``), ``followup`` reads a message
against the conversation, and ``en``/``es``/``pt`` hold each language's patterns."""

from tasklane_agent.nlu.parse.message import draft_task, read, understand

__all__ = ["draft_task", "read", "understand"]
