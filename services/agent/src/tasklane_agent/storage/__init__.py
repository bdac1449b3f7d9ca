"""The agent's persistence: its tables and one small repository per kind of row. Repositories
take a session and never commit; the turn or the request that uses them does."""
