"""The demo council's HTTP back offices as one app, and serving an app on a loopback port of this event loop.

URL layout of `create_demo_backoffice_app(..., public_url=P)` served at base URL B:

- Open311 GeoReport v2: base URL `B/open311/v2` (e.g. `B/open311/v2/services.json`).
- GOV.UK Pay-shaped payments: base URL `B/pay` (e.g. `B/pay/v1/payments`); the payments app is told
  its public URL is `P/pay`, so `_links.self` is `P/pay/v1/payments/{id}` and a payment's `next_url`
  (the hosted payment page) is `P/pay/pay/{id}`.
- GOV.UK Notify-compatible messages (`demo/notify_app.py`): at the root of B (`B/v2/notifications...`),
  as the official client joins `/v2/...` to its base URL's origin; `B/notify` lists what was "sent".
- `B/healthz`: 200 once the server answers (what `customer360 serve` waits for, `backoffice_process.py`).
- `PUT B/gateway` (`Authorization: Bearer <the payments API key>`, JSON `{"public_url": U}`): where the
  gateway is reached; payment webhooks go to `U/webhooks/payments` from then on. `serve` sends it when
  it finds back offices already running (`--backoffice-port`), so back offices started by hand, or by
  another replica, send webhooks to the gateway that uses them, whatever `C360_PUBLIC_URL` they had.

`P` is where a browser reaches the back office (a resident follows `next_url`); `B` is where the
gateway calls it. They are the same when nothing sits in between.

They run inside the gateway (`council.running_backoffices`, `C360_DEMO_BACKOFFICES=inline`) or in a
process of their own (`customer360 demo backoffices`, which `serve` starts by default).
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import socket
from collections.abc import AsyncIterator, Iterator

import httpx
import uvicorn
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Mount, Route
from starlette.types import ASGIApp

from customer360.demo.open311_app import create_open311_app
from customer360.demo.payments_app import create_payments_app

OPEN311_PATH = "/open311/v2"
PAYMENTS_PATH = "/pay"
HEALTH_PATH = "/healthz"
GATEWAY_PATH = "/gateway"
# Long enough for an in-flight call to finish; short enough that a test never hangs on a kept-alive client.
SHUTDOWN_GRACE_SECONDS = 5


def create_demo_backoffice_app(
    street_scene_engine: AsyncEngine,
    payments_engine: AsyncEngine,
    *,
    public_url: str,
    api_key: str,
    open311_api_key: str,
    open311_extensions: bool = False,
    webhook_url: str | None = None,
    webhook_secret: bytes | None = None,
    webhook_copies: int = 1,
    notify_app: ASGIApp | None = None,
) -> Starlette:
    """The webhook arguments go to the payment provider (`create_payments_app`); without a URL it sends none.

    The Open311 server is plain GeoReport v2 unless `open311_extensions` (see `open311_app`).
    """
    payments_public_url = f"{public_url.rstrip('/')}{PAYMENTS_PATH}"
    payments_app = create_payments_app(
        payments_engine,
        public_url=payments_public_url,
        api_key=api_key,
        webhook_url=webhook_url,
        webhook_secret=webhook_secret,
        webhook_copies=webhook_copies,
    )

    async def point_webhooks(request: Request) -> Response:
        if not secrets.compare_digest(request.headers.get("authorization", "").encode(), f"Bearer {api_key}".encode()):
            return PlainTextResponse("the payments API key is needed", status_code=401)
        try:
            public_url = httpx.URL(str((await request.json())["public_url"]))
        except (ValueError, KeyError, TypeError, httpx.InvalidURL):
            return PlainTextResponse('send {"public_url": "http(s)://..."}', status_code=400)
        if public_url.scheme not in ("http", "https") or not public_url.host:
            return PlainTextResponse("public_url must be an http(s) URL", status_code=400)
        payments_app.state.webhooks.send_to(f"{str(public_url).rstrip('/')}/webhooks/payments")
        return Response(status_code=204)

    app = Starlette(
        routes=[
            Route(HEALTH_PATH, _healthy),
            Route(GATEWAY_PATH, point_webhooks, methods=["PUT"]),
            Mount(
                OPEN311_PATH,
                app=create_open311_app(street_scene_engine, api_key=open311_api_key, extensions=open311_extensions),
            ),
            Mount(PAYMENTS_PATH, app=payments_app),
            *([Mount("", app=notify_app)] if notify_app else []),  # last: it answers at the root
        ]
    )
    app.state.webhooks = payments_app.state.webhooks  # `drain()` waits for webhooks in flight
    return app


async def _healthy(_request: Request) -> PlainTextResponse:
    return PlainTextResponse("ok")


class _EmbeddedServer(uvicorn.Server):
    """A uvicorn server that leaves signals to its host process: it lives and dies with a context manager,
    and stops as soon as it is told to (`stop`), not at uvicorn's next 0.1 s tick: every app the tests
    start stops its back offices."""

    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self._stopping = asyncio.Event()

    def stop(self) -> None:
        self.should_exit = True
        self._stopping.set()

    async def main_loop(self) -> None:
        counter = 0
        while not await self.on_tick(counter):  # uvicorn's tick: its Date header, once a second
            counter = (counter + 1) % 864000
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), 0.1)

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def listening_socket(host: str, port: int) -> socket.socket:
    """A bound TCP listener for uvicorn. TCP_NODELAY is set here because connections accepted from a
    socket we bind ourselves do not get it on the standard asyncio loop: without it every small answer
    waits for the client's delayed ACK, 40 ms a call on Linux."""
    listener = socket.create_server((host, port), family=socket.AF_INET6 if ":" in host else socket.AF_INET)
    listener.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return listener


@contextlib.asynccontextmanager
async def serve_on_loopback(
    app: ASGIApp, host: str = "127.0.0.1", port: int = 0, *, listener: socket.socket | None = None
) -> AsyncIterator[str]:
    """Serve `app` with uvicorn on this event loop; yields its base URL (port 0 picks a free port).
    A caller that must know the port before the app starts binds `listener` itself and passes it."""
    # Binding here, not in uvicorn, makes a taken port an OSError for the caller: uvicorn would sys.exit().
    listener = listener or listening_socket(host, port)
    bound_port = listener.getsockname()[1]
    config = uvicorn.Config(
        app, log_level="warning", log_config=None, lifespan="off", timeout_graceful_shutdown=SHUTDOWN_GRACE_SECONDS
    )
    server = _EmbeddedServer(config)
    task = asyncio.create_task(server.serve(sockets=[listener]))
    try:
        while not server.started:
            if task.done():
                task.result()  # raises why it stopped
                raise RuntimeError(f"the back-office server on {host}:{bound_port} stopped before it started")
            await asyncio.sleep(0.01)
        url_host = f"[{host}]" if ":" in host else host
        yield f"http://{url_host}:{bound_port}"
    finally:
        server.stop()
        await task
        listener.close()
