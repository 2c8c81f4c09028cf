"""Debian's chromium driven by Playwright, for the browser tests (no browser is downloaded).

Locally a test skips when chromium or Playwright is missing; under CI=true that is a failure (CI
installs both: see .ci/run).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from tests.services import unavailable

CHROMIUM = Path(os.environ.get("C360_TEST_CHROMIUM", "/usr/bin/chromium"))
AXE = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"  # vendored: no network at test time


@asynccontextmanager
async def chromium() -> AsyncIterator[Any]:
    """A headless chromium browser (Playwright's `Browser`)."""
    try:
        from playwright.async_api import async_playwright
    except ImportError:
        unavailable("Playwright is not installed (pip install playwright; its browsers are not needed)")
    if not CHROMIUM.exists() and not shutil.which("chromium"):
        unavailable(f"chromium is not installed at {CHROMIUM} (apt-get install chromium)")
    async with async_playwright() as playwright:
        # --no-sandbox: CI runs as root in a container, where chromium's sandbox cannot start.
        browser = await playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=["--no-sandbox"])
        try:
            yield browser
        finally:
            await browser.close()


async def axe_violations(page: Any) -> list[dict[str, Any]]:
    """axe-core's violations on the page as it is now (every rule axe runs by default)."""
    if not await page.evaluate("typeof window.axe !== 'undefined'"):
        await page.add_script_tag(path=str(AXE))
    result = await page.evaluate("async () => await axe.run(document)")
    return [
        {"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]][:3]}
        for v in result["violations"]
    ]
