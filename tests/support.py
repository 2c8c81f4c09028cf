"""Helpers for the API tests: the app running over ASGI, a GraphQL call, settings variants."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import replace

import httpx
from asgi_lifespan import LifespanManager
from starlette.applications import Starlette

from customer360.app import create_app
from customer360.demo.backoffice_server import listening_socket, serve_on_loopback
from customer360.demo.council import free_port as free_port  # a port outside the ephemeral range, for a subprocess
from customer360.schema import schema as schemas
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


@contextmanager
def schemas_of_their_own() -> Iterator[None]:
    """Apps created inside get schemas built afresh rather than the one the process shares
    (`schema.build_schema` builds each once per process), so a test may alter them — rewire a field, swap
    the execution context — without altering every other app's, and what it altered is never handed on."""
    schemas._built.cache_clear()
    try:
        yield
    finally:
        schemas._built.cache_clear()
