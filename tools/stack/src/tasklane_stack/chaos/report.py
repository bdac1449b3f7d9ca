"""The fault table, printed and kept in docs/reliability.md between markers (each run replaces
its section, with the command that produced it; the prose around it stays)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path

from tasklane_stack.chaos.counting import Counts

FAULT_HEADER = (
    "| fault | N | replied once | lost | duplicated | tasks lost/dup | webhook non-200 "
    "| status webhooks non-200 (never accepted) | recovery s | last reply after last post s |\n"
    "|---|---|---|---|---|---|---|---|---|---|\n"
)


def non_200(answers: Mapping[int, int]) -> str:
    """``12 (0: 9, 503: 3)``; 0 is a POST that got no answer (refused or timed out)."""
    total = sum(answers.values())
    if not total:
        return "0"
    return f"{total} ({', '.join(f'{code}: {n}' for code, n in sorted(answers.items()))})"


def fault_row(name: str, counts: Counts) -> str:
    recovery = "-" if counts.recovery_s is None else f"{counts.recovery_s:.1f}"
    tail = "-" if counts.tail_s is None else f"{counts.tail_s:.1f}"
    return (
        f"| {name} | {counts.n} | {counts.replied_once} | {len(counts.lost)} | {len(counts.duplicated)} "
        f"| {len(counts.tasks_lost)}/{len(counts.tasks_duplicated)} | {non_200(counts.webhook_non_200)} "
        f"| {counts.status_non_200} ({counts.statuses_unaccepted}) | {recovery} | {tail} |"
    )


def fault_table(rows: Iterable[tuple[str, Counts]]) -> str:
    return FAULT_HEADER + "\n".join(fault_row(name, counts) for name, counts in rows) + "\n"


def replace_section(text: str, section: str, body: str) -> str:
    """``text`` with the part between ``<!-- section -->`` and ``<!-- /section -->`` replaced by
    ``body`` (the markers kept); the section is appended when the markers are missing."""
    begin, end = f"<!-- {section} -->", f"<!-- /{section} -->"
    block = f"{begin}\n{body.rstrip()}\n{end}"
    start = text.find(begin)
    stop = text.find(end, start + len(begin)) if start >= 0 else -1
    if start < 0 or stop < 0:
        return text.rstrip("\n") + "\n\n" + block + "\n"
    return text[:start] + block + text[stop + len(end) :]


def write_section(path: Path, section: str, body: str) -> None:
    text = path.read_text() if path.exists() else "# Reliability\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(replace_section(text, section, body))
