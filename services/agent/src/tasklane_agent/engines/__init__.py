"""Engines turn a user's message into actions on their workspace and replies: the offline rules
engine (default) and an optional LLM engine on the same tools."""
