"""``make chaos``: faults injected into a running ``make run`` stack while signed webhooks flow,
and a soak mode; what reached the users is counted from outside (the simulator's record of the
Graph API calls and the agent's REST API), never from the services' own logs."""
