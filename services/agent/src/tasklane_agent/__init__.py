"""Agent: understands users' WhatsApp messages, keeps their tasks and answers them."""
