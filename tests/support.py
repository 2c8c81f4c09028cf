"""Helpers for the API tests: the app running over ASGI, a GraphQL call, settings variants."""

from __future__ import annotations

import random
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from pathlib import Path

import httpx
from asgi_lifespan import LifespanManager
from starlette.applications import Starlette

from customer360.app import create_app
from customer360.demo.backoffice_server import listening_socket, serve_on_loopback
from customer360.settings import Settings


@asynccontextmanager
async def running_app(settings: Settings) -> AsyncIterator[tuple[Starlette, httpx.AsyncClient]]:
    app = create_app(settings)
    async with LifespanManager(app, startup_timeout=60) as manager:
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://gateway.test") as client:
            yield app, client


def settings_with(settings: Settings, **changes: object) -> Settings:
    return replace(settings, **changes)  # type: ignore[arg-type]


async def graphql(
    client: httpx.AsyncClient, query: str, token: str | None = None, variables: dict[str, object] | None = None
) -> httpx.Response:
    # Staff reads of a person need a purpose; residents' requests ignore it.
    headers = {"X-Access-Purpose": "automated test"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return await client.post("/graphql", json={"query": query, "variables": variables or {}}, headers=headers)


@asynccontextmanager
async def serving_app(settings: Settings) -> AsyncIterator[tuple[Starlette, httpx.AsyncClient]]:
    """The app on a real loopback port (its lifespan run), for flows that call back into it (webhooks)."""
    # Bound before the app starts: a port only probed as free can be taken meanwhile as the source port
    # of one of the app's own outgoing connections (both come from the same ephemeral range).
    listener = listening_socket("127.0.0.1", 0)
    settings = replace(settings, public_url=f"http://127.0.0.1:{listener.getsockname()[1]}")
    app = create_app(settings)
    async with (
        LifespanManager(app, startup_timeout=60) as manager,
        serve_on_loopback(manager.app, listener=listener) as base_url,
        httpx.AsyncClient(base_url=base_url, timeout=30) as client,
    ):
        yield app, client


# Linux's default when /proc does not say (net.ipv4.ip_local_port_range).
DEFAULT_EPHEMERAL_PORTS = (32768, 60999)


def free_port() -> int:
    """A loopback port nothing listens on now, for a server that binds it later (a subprocess, or one
    started again on the same port). Taken from outside the kernel's ephemeral range: a port probed free
    there can become, before the server binds it, the source port of any outgoing connection (ours, or
    another process's on a busy machine) and the server then fails to start. A server in this process binds
    port 0 itself instead (`listening_socket`, as `serving_app` does)."""
    low, high = _ephemeral_ports()
    below, above = range(max(1024, low - 12000), low), range(high + 1, 65536)
    candidates = below if len(below) >= len(above) else above
    for port in random.sample(candidates, min(200, len(candidates))):
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:  # a server of another test, or of another process, has it
                continue
            return port
    raise RuntimeError(f"no free loopback port in {candidates}")


def _ephemeral_ports() -> tuple[int, int]:
    try:
        low, high = Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()
        return int(low), int(high)
    except (OSError, ValueError):
        return DEFAULT_EPHEMERAL_PORTS
