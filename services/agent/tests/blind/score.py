"""Pass rates per language, and tasks wrongly completed or deleted, of one blind set's run.

    CONVERSATIONS=services/agent/tests/blind3/locked \\
        pytest services/agent/tests/test_agent_conversations.py \\
        -k test_conversation -q -p no:randomly -rf > run.log
    python services/agent/tests/blind/score.py run.log services/agent/tests/blind3/locked

A wrong target is a task the conversation gives before it starts that ends done while the
expected end state has it open, or gone while it is expected: the assistant acted on a task the
user did not mean (issue 16, acceptance 2). Only counts are printed, so a locked half can be
scored without being read.
"""

from __future__ import annotations

import re
import sys
import tomllib
from pathlib import Path


def score(log: str, folder: Path) -> str:
    failed = set(re.findall(r"FAILED \S+test_conversation\[([^\]]+)\]", log))
    totals: dict[str, int] = {}
    passed: dict[str, int] = {}
    given: dict[str, set[str]] = {}
    for path in sorted(folder.glob("*.toml")):
        for conversation in tomllib.loads(path.read_text())["conversation"]:
            cid, lang = conversation["id"], conversation["id"].split("-")[1]
            totals[lang] = totals.get(lang, 0) + 1
            passed[lang] = passed.get(lang, 0) + (cid not in failed)
            given[cid] = {task["title"].casefold() for task in conversation.get("given", [])}
    wrong = {"completed": 0, "deleted": 0}
    for block in re.split(r"\n_{5,} test_conversation\[", log)[1:]:
        had = given.get(block.split("]", 1)[0], set())
        for title, what in re.findall(r"\n\s+✗ [^:\n]+: expected task '(.+?)': (.*)", block):
            if title.casefold() not in had:
                continue
            if "status 'done' (wanted 'open')" in what:
                wrong["completed"] += 1
            elif "no such task" in what:
                wrong["deleted"] += 1
    rates = " ".join(f"{lang} {passed[lang]}/{totals[lang]}" for lang in sorted(totals))
    return f"{sum(passed.values())}/{sum(totals.values())} ({rates}); wrong targets: {wrong}"


if __name__ == "__main__":
    print(score(Path(sys.argv[1]).read_text(), Path(sys.argv[2])))
