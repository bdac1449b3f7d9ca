"""``make demo``: chat with Tasklane as a WhatsApp user, in the terminal."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

from tasklane_common.secrets import KEY_ENV
from tasklane_stack.embedded import embedded_stack
from tasklane_stack.processes import DEV_PSEUDONYM_KEY, DEV_SECRETS_KEY, PSEUDONYM_KEY_ENV

DEMO_USER = "15551230000"
BANNER = """Tasklane — chatting as WhatsApp user +{user}
(embedded mode: in-process transport, SQLite in {data}).
Try: "Create a task to review the quarterly reports by Friday", "What are my tasks?". Ctrl-D to quit.
"""


async def _read_line(prompt: str) -> str | None:
    loop = asyncio.get_running_loop()
    try:
        return await loop.run_in_executor(None, input, prompt)
    except EOFError:
        return None


async def run_demo(data_dir: Path) -> int:
    interactive = sys.stdin.isatty()
    # The demo's own data is sealed with the local stack's development key (a deployment sets
    # its own), so integrations work in the demo too and their secrets survive a restart.
    os.environ.setdefault(KEY_ENV, DEV_SECRETS_KEY)
    os.environ.setdefault(PSEUDONYM_KEY_ENV, DEV_PSEUDONYM_KEY)
    async with embedded_stack(data_dir) as stack:
        if interactive:
            print(BANNER.format(user=DEMO_USER, data=data_dir))
        while True:
            if interactive:
                line = await _read_line("you> ")
            else:
                raw = await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
                line = raw.rstrip("\n") if raw else None
            if line is None:
                break
            if not line.strip():
                continue
            if not interactive:
                print(f"you> {line}")
            try:
                replies = await stack.chat(line, from_=DEMO_USER)
            except TimeoutError:
                replies = ["(no reply within 15 s)"]
            for reply in replies:
                print("tasklane> " + reply.replace("\n", "\n          "))
            sys.stdout.flush()
    return 0
