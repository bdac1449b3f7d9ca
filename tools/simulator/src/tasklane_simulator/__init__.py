"""A WhatsApp Cloud API simulator: the Graph API for our sender, the webhook source for our gateway."""
