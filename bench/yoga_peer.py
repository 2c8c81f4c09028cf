"""GraphQL Yoga (Node) as a peer of the gateway: the server bench/run.py starts beside its Python baselines.

Issue 25's table has a row an independent harness measured, "GraphQL Yoga (Node), same shape, cache off /
response cache". bench/yoga/server.mjs is that peer: Yoga serving the published schema and answering the
captured `me` document from memory, with (`--response-cache`) or without Yoga's response cache. Its packages
are pinned by bench/yoga/package-lock.json and installed, when missing, by `npm ci --prefix bench/yoga`.
Without node or npm, or when the install fails, the run goes on without the peer rows and says why.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

YOGA_DIR = Path(__file__).resolve().parent / "yoga"
SERVER = YOGA_DIR / "server.mjs"
INSTALLED_MARK = YOGA_DIR / "node_modules" / "graphql-yoga" / "package.json"
CONFIGURATIONS = {False: "GraphQL Yoga (Node), cache off", True: "GraphQL Yoga (Node), response cache"}


def unavailable(*, install: bool = True) -> str | None:
    """Why the peer cannot run here (None: it can); with `install`, runs `npm ci` first if its packages are missing."""
    if shutil.which("node") is None:
        return "no `node` on PATH"
    if INSTALLED_MARK.exists():
        return None
    if not install:
        return "bench/yoga's packages are not installed (`npm ci --prefix bench/yoga`)"
    npm = shutil.which("npm")
    if npm is None:
        return "no `npm` on PATH to install bench/yoga's packages"
    done = subprocess.run(
        [npm, "ci", "--prefix", str(YOGA_DIR), "--no-audit", "--no-fund"],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    if done.returncode != 0 or not INSTALLED_MARK.exists():
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        return f"`npm ci --prefix bench/yoga` failed ({done.returncode}): {last}"
    return None


def command(*, host: str, port: int, document: Path, response_cache: bool) -> list[str]:
    """The peer's command line: `document` is a captured `{"data": {"me": ...}}` answer."""
    node = shutil.which("node") or "node"
    flags = ["--response-cache"] if response_cache else []
    return [node, str(SERVER), "--host", host, "--port", str(port), "--document", str(document), *flags]


def environment() -> dict[str, str]:
    """A production Node process, as a council would run one (libraries skip their development-only checks)."""
    return {**os.environ, "NODE_ENV": "production"}


def versions() -> str:
    """Node's, Yoga's and its response cache's versions, as installed (for the report)."""
    node = subprocess.run([shutil.which("node") or "node", "--version"], capture_output=True, text=True, check=False)
    installed = {
        name: json.loads((YOGA_DIR / "node_modules" / name / "package.json").read_text())["version"]
        for name in ("graphql-yoga", "@graphql-yoga/plugin-response-cache", "graphql")
    }
    return f"Node {node.stdout.strip()}, " + ", ".join(f"{name} {version}" for name, version in installed.items())
