"""The raw event log: every event once, scrubbed of message text and phone numbers, kept for a
retention period (the rollups outlive it)."""
