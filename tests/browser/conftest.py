"""Browser tests: Playwright for Python driving Debian's Chromium (browsers cannot be downloaded
here, so ``make test`` installs the ``chromium`` package and the tests launch its binary).

One browser for the whole session; each test gets a fresh context (its own cookies). Every
context records each request its pages make, and refuses any to another origin, the way a
cluster without internet would: a page that needed a CDN renders broken and the test sees it.
"""

from __future__ import annotations

import os
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, async_playwright

# --import-mode=importlib does not put test directories on sys.path; the helper module here has
# a name unique in the repository, so exposing it is safe.
sys.path.insert(0, str(Path(__file__).parent))

CHROMIUM = "/usr/bin/chromium"


@pytest.fixture(scope="session")
async def browser() -> AsyncIterator[Browser]:
    if not os.path.exists(CHROMIUM):  # noqa: ASYNC240 (once per session, before any I/O)
        pytest.fail(f"{CHROMIUM} is missing: `apt-get install -y chromium` (make test does it)")
    async with async_playwright() as pw:
        chromium = await pw.chromium.launch(executable_path=CHROMIUM, headless=True)
        try:
            yield chromium
        finally:
            await chromium.close()
