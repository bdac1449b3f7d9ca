"""Gateway: the WhatsApp Cloud API webhook endpoint. It authenticates Meta's notifications,
deduplicates them and publishes each inbound message and delivery status as an event."""
