"""Sender: delivers the agent's replies through the WhatsApp Cloud API and tracks their status."""
