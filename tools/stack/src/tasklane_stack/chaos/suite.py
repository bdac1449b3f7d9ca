"""``make chaos``: every fault in turn against the running stack, then the table."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

from tasklane_stack.bench import _machine
from tasklane_stack.chaos import infra, report
from tasklane_stack.chaos.faults import FAULTS, Fault
from tasklane_stack.chaos.runner import Options, Result, check_stack, run_fault

SECTION = "chaos:faults"


def command(options: Options, faults: list[Fault]) -> str:
    """The ``make chaos`` line that repeats this run."""
    parts = ["make chaos", f"N={options.messages}", f"RATE={options.rate:g}"]
    if [f.name for f in faults] != [f.name for f in FAULTS]:
        parts.append("FAULTS=" + ",".join(f.name for f in faults))
    return " ".join(parts)


def _shared_servers_up() -> str | None:
    if not infra.pg_up():
        return "PostgreSQL is not answering pg_isready"
    if not infra.tcp_up(5672):
        return "RabbitMQ is not accepting connections"
    return None


def _findings(results: list[Result]) -> str:
    lines = []
    for r in results:
        c = r.counts
        if c.clean:
            continue
        duplicated = dict(list(c.duplicated.items())[:10])
        tasks_duplicated = dict(list(c.tasks_duplicated.items())[:10])
        lines.append(
            f"- **{r.fault.name}**: users without a reply {c.lost[:10]}, users replied more than once "
            f"{duplicated}, tasks lost (message index) {c.tasks_lost[:10]}, tasks duplicated "
            f"{tasks_duplicated} (all ids in `.run/chaos/{r.fault.name}.json`)"
        )
    return "\n".join(lines)


def section(results: list[Result], options: Options, faults: list[Fault], started: datetime) -> str:
    table = report.fault_table((r.fault.name, r.counts) for r in results)
    notes = "\n".join(f"- `{r.fault.name}`: {r.fault.what}; {r.note}" for r in results)
    findings = _findings(results) or "Nothing lost, nothing duplicated."
    return (
        f"Run of {started.strftime('%Y-%m-%d %H:%M UTC')} on {_machine()}, with\n\n"
        f"```\n{command(options, faults)}\n```\n\n"
        f"{table}\n"
        f"What each fault did:\n\n{notes}\n\n{findings}\n"
    )


async def run_suite(options: Options, faults: list[Fault], output: Path) -> int:
    problem = await check_stack()
    if problem:
        print(problem)
        return 1
    started = datetime.now(UTC)
    results: list[Result] = []
    print(f"{len(faults)} fault(s), {options.messages} messages each at {options.rate:g}/s")
    for fault in faults:
        print(f"{fault.name}: {fault.what}")
        result = await run_fault(fault, options)
        results.append(result)
        print(report.fault_row(fault.name, result.counts))
        problem = _shared_servers_up() or await check_stack()
        if problem:
            print(f"stopping: after {fault.name}, {problem}")
            break
        await asyncio.sleep(3.0)
    print()
    print(report.fault_table((r.fault.name, r.counts) for r in results))
    report.write_section(output, SECTION, section(results, options, faults, started))
    print(f"written to {output}")
    return 0 if all(r.counts.clean for r in results) and len(results) == len(faults) else 2
