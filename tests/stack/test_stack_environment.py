"""``make run`` keeps every Graph API call on this machine: the sender's sends and the gateway's
test connection both go to the simulator, never to Meta with a development token."""

from __future__ import annotations

import pytest

from tasklane_stack.processes import _environment, port_of


def test_every_graph_api_caller_is_pointed_at_the_simulator(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("TASKLANE_SENDER_GRAPH_BASE_URL", "TASKLANE_GATEWAY_GRAPH_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    env = _environment()
    simulator = f"http://127.0.0.1:{port_of('simulator')}"
    assert env["TASKLANE_SENDER_GRAPH_BASE_URL"] == simulator
    assert env["TASKLANE_GATEWAY_GRAPH_BASE_URL"] == simulator
