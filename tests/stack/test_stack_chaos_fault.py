"""One real fault of ``make chaos``, small: a ``make run`` stack of its own (free ports, its own
broker namespace and schemas), the agent SIGKILLed while 20 users write, restarted; every user
gets exactly one reply and has exactly one task, counted from outside."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tasklane_common.testing import amqp_url, cleanup_run, database_url, new_run_id
from tasklane_stack.chaos import infra
from tasklane_stack.chaos.faults import select
from tasklane_stack.chaos.runner import Options, check_stack, run_fault
from tasklane_stack.processes import PROCS, RUN_DIR, pid_of, start_all, stop_all

pytestmark = pytest.mark.e2e


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
async def stack(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[None]:
    run_id = new_run_id()
    monkeypatch.chdir(tmp_path)  # .run/ (pid files, logs, the chaos details) lives here
    monkeypatch.setenv("TASKLANE_AMQP_URL", amqp_url())
    monkeypatch.setenv("TASKLANE_DATABASE_URL", database_url())
    monkeypatch.setenv("TASKLANE_NAMESPACE", f"{run_id}.")
    for proc in PROCS:
        monkeypatch.setenv(f"{proc.env_prefix}PORT", str(_free_port()))
        if proc.name != "simulator":
            monkeypatch.setenv(f"{proc.env_prefix}DATABASE__SCHEMA_NAME", f"{run_id}_{proc.name}")
            monkeypatch.setenv(f"{proc.env_prefix}LOGGING__LEVEL", "WARNING")
    try:
        assert start_all() == 0, "the stack did not start; see .run/*.log"
        yield
    finally:
        # Nothing of this stack is kept, so no drain to wait for (a graceful stop takes a minute).
        for proc in PROCS:
            if pid_of(proc.name) is not None:
                infra.kill(proc.name)
        stop_all()  # forgets the pid files
        await cleanup_run(run_id)


async def test_the_agent_killed_mid_stream_loses_and_repeats_nothing(stack: None) -> None:
    assert await check_stack() is None
    agent_before = pid_of("agent")
    [fault] = select("agent-kill")

    result = await run_fault(fault, Options(messages=20, rate=20.0, down_s=0.5, settle_s=2.0))

    assert pid_of("agent") not in (None, agent_before)  # it really was killed and restarted
    counts = result.counts
    assert counts.replied_once == 20
    assert (counts.lost, counts.duplicated) == ([], {})
    assert (counts.tasks_lost, counts.tasks_duplicated) == ([], {})
    assert (RUN_DIR / "chaos" / "agent-kill.json").is_file()
