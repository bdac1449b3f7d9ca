"""Shared plumbing for the Tasklane services: settings, logging, tracing, messaging, database.

Nothing in this package knows about tasks, users or WhatsApp payloads; the event contracts in
``tasklane_common.messaging.contracts`` are the only shared vocabulary between services.
"""
