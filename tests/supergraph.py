"""Composing subgraphs with Apollo's own `@apollo/composition` and running a real Hive Gateway in front of
them (both from tests/federation, installed by `npm ci --prefix tests/federation`). Without node, or
before `npm ci`, the tests skip; in CI (which installs both) they fail instead."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path
from typing import NoReturn

import pytest

HERE = Path(__file__).parent / "federation"
GATEWAY_START_SECONDS = 30
GATEWAY_NODE = 20  # @graphql-hive/gateway-runtime's `engines` (Debian 13 ships Node 20; Debian 12 ships 18)


def node(*, for_gateway: bool = False) -> str:
    found = shutil.which("node")
    if found is None or not (HERE / "node_modules" / "@graphql-hive" / "gateway-runtime").is_dir():
        _missing("node and tests/federation's npm packages are needed: `npm ci --prefix tests/federation`")
    if for_gateway:
        version = subprocess.run([found, "--version"], capture_output=True, text=True, check=True).stdout
        if int(version.strip().lstrip("v").split(".")[0]) < GATEWAY_NODE:
            _missing(f"the gateway needs Node {GATEWAY_NODE} or later, not {version.strip()}")
    return found


def _missing(why: str) -> NoReturn:
    """A skip on a developer's machine; in CI, which installs both (.ci/run), a failure."""
    if os.environ.get("CI"):
        pytest.fail(why)
    pytest.skip(why)


def compose(tmp_path: Path, **subgraphs: str | tuple[str, str]) -> dict:
    """`name=sdl` or `name=(sdl, url the gateway reaches it at)`: {"supergraphSdl": ...} or {"errors": [...]}."""
    arguments = []
    for name, given in subgraphs.items():
        sdl, url = given if isinstance(given, tuple) else (given, None)
        (tmp_path / f"{name}.graphql").write_text(sdl)
        arguments.append(f"{name}={tmp_path / f'{name}.graphql'}" + (f"={url}" if url else ""))
    done = subprocess.run(
        [node(), str(HERE / "compose.mjs"), *arguments], capture_output=True, text=True, timeout=120, check=False
    )
    return json.loads(done.stdout)


@contextlib.asynccontextmanager
async def running_gateway(tmp_path: Path, supergraph_sdl: str, subgraph_secret: str | None) -> AsyncIterator[str]:
    """A Hive Gateway on a free loopback port (tests/federation/gateway.mjs); yields its GraphQL URL. It
    forwards each client's `Authorization` to every subgraph, and the secret to customer360."""
    supergraph = tmp_path / "supergraph.graphql"
    supergraph.write_text(supergraph_sdl)
    log = tmp_path / "gateway.log"
    env = {**os.environ, "SUBGRAPH_SECRET": subgraph_secret or ""}
    with log.open("wb") as errors:
        process = await asyncio.create_subprocess_exec(
            node(for_gateway=True),
            str(HERE / "gateway.mjs"),
            str(supergraph),
            "0",
            stdout=subprocess.PIPE,
            stderr=errors,
            env=env,
        )
        try:
            assert process.stdout is not None
            line = ""
            async with asyncio.timeout(GATEWAY_START_SECONDS):
                while not line.startswith("listening on "):  # past anything else it prints first
                    read = await process.stdout.readline()
                    assert read, f"the gateway stopped before listening: {log.read_text()}"
                    line = read.decode()
            yield f"http://127.0.0.1:{int(line.split()[-1])}/graphql"
        finally:
            if process.returncode is None:
                process.terminate()
                try:
                    async with asyncio.timeout(5):
                        await process.wait()
                except TimeoutError:
                    process.kill()
                    await process.wait()
