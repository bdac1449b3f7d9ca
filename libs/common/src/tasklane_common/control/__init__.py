"""The control plane every service runs (docs/operations.md): heartbeats describing each replica,
operators' commands received by every replica, and the paused state each service keeps in its
own schema so that it holds for replicas started later and across restarts."""

from tasklane_common.control.pauses import consumer_pauses_table
from tasklane_common.control.plane import ControlPlane, command_routing_key, heartbeat_routing_key

__all__ = ["ControlPlane", "command_routing_key", "consumer_pauses_table", "heartbeat_routing_key"]
