"""Analytics: records every event of the system and answers analysts' questions about them."""
