"""The gateway store (real PostgreSQL) going away: readiness says so, and `serve` waits for it.

The machine's PostgreSQL is shared, so it is never stopped here: the gateway reaches it through a
TCP proxy the test owns, and "PostgreSQL down" is that proxy closed (a refused connection, exactly
what a stopped server gives).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import replace
from datetime import UTC, datetime

from customer360.commands.relay import every
from customer360.store.database import create_engine
from customer360.store.outbox import OutboxStore
from tests.services import fresh_postgres_database
from tests.support import free_port, running_app


class TcpProxy:
    """Forwards a loopback port to PostgreSQL while open; closed, it refuses and drops every connection."""

    def __init__(self, port: int, upstream: tuple[str, int] = ("127.0.0.1", 5432)) -> None:
        self.port = port
        self._upstream = upstream
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()

    async def open(self) -> None:
        self._server = await asyncio.start_server(self._forward, "127.0.0.1", self.port)

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
            self._server = None
        for writer in list(self._writers):
            writer.close()
        self._writers.clear()

    async def _forward(self, client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        upstream_reader, upstream_writer = await asyncio.open_connection(*self._upstream)
        self._writers |= {client_writer, upstream_writer}
        await asyncio.gather(self._pump(client_reader, upstream_writer), self._pump(upstream_reader, client_writer))

    async def _pump(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(OSError, asyncio.IncompleteReadError):
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        writer.close()
        self._writers.discard(writer)


def through(url: str, port: int) -> str:
    return url.replace("@127.0.0.1:5432/", f"@127.0.0.1:{port}/")


async def test_readyz_answers_503_with_json_while_postgresql_is_down(demo_settings):
    async with fresh_postgres_database() as url:
        proxy = TcpProxy(free_port())
        await proxy.open()
        try:
            async with running_app(replace(demo_settings, database_url=through(url, proxy.port))) as (_app, client):
                assert (await client.get("/readyz")).status_code == 200
                await proxy.close()
                down = await client.get("/readyz")
                assert down.status_code == 503
                assert down.json()["status"] == "unavailable" and down.json()["store"] == "down"
                await proxy.open()
                assert (await client.get("/readyz")).status_code == 200, "ready again once the store is back"
        finally:
            await proxy.close()


async def test_the_gateway_started_before_its_store_waits_for_it(demo_settings, caplog):
    """Started while PostgreSQL refuses connections, the gateway waits (one line per attempt, no
    traceback) and starts once it answers, instead of exiting."""
    caplog.set_level(logging.WARNING, logger="customer360.runtime")
    async with fresh_postgres_database() as url:
        proxy = TcpProxy(free_port())
        settings = replace(demo_settings, database_url=through(url, proxy.port))
        try:

            async def store_back_later() -> None:
                await asyncio.sleep(2.0)
                await proxy.open()

            opening = asyncio.create_task(store_back_later())
            async with running_app(settings) as (_app, client):
                assert opening.done(), "the gateway must not have started before its store"
                ready = await client.get("/readyz")
                assert ready.status_code == 200 and ready.json()["store"] == "up"
        finally:
            await proxy.close()
    waits = [r for r in caplog.records if "not reachable yet" in r.getMessage()]
    assert waits, "each wait is logged"
    assert all(r.exc_info is None for r in caplog.records if r.name == "customer360.runtime"), "no traceback spam"


async def test_background_passes_log_one_line_not_a_traceback_while_the_store_is_down(caplog):
    """`serve`'s loops (outbox relay, reconciliation, arrivals) outlive a database restart quietly."""
    caplog.set_level(logging.WARNING, logger="customer360.outbox")
    engine = create_engine(f"postgresql+asyncpg://postgres@127.0.0.1:{free_port()}/nowhere")  # nothing listens
    store = OutboxStore(engine)
    loop = asyncio.create_task(every(0.05, lambda: store.due(datetime.now(UTC)), "outbox relay"))
    try:
        await asyncio.sleep(0.5)
    finally:
        loop.cancel()
        await asyncio.gather(loop, return_exceptions=True)
        await engine.dispose()
    skipped = [r for r in caplog.records if "the store is not reachable" in r.getMessage()]
    assert len(skipped) >= 2, "every pass is tried again"
    assert all(r.exc_info is None for r in caplog.records), "no traceback per pass"
