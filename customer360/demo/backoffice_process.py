"""The demo council's HTTP back offices (Open311, payments) in a process of their own.

A real council's back offices run elsewhere, so by default (`C360_DEMO_BACKOFFICES=process`)
`customer360 serve` starts one `customer360 demo backoffices` child before uvicorn starts its
workers: every worker calls that one child (its URL reaches them in `C360_DEMO_BACKOFFICE_URL`),
and the gateway's CPU and memory are the gateway's alone. Both sides are here:

- `serve_backoffices` is the child: it serves until SIGINT or SIGTERM, or until the process that
  started it is gone (so a gateway killed with SIGKILL leaves no back office behind).
- `running_backoffice_process` is the parent's side: start the child, wait until it answers, stop
  it on the way out, also when this process is sent SIGTERM.

The child reads the same settings from the environment it inherits: the data dir, and the gateway's
public URL (`C360_PUBLIC_URL`) that payment webhooks go to.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from types import FrameType

import httpx
import uvicorn

from customer360 import tracing
from customer360.demo import council
from customer360.demo.backoffice_server import (
    GATEWAY_PATH,
    HEALTH_PATH,
    OPEN311_PATH,
    PAYMENTS_PATH,
    SHUTDOWN_GRACE_SECONDS,
    listening_socket,
)
from customer360.settings import Settings

BACKOFFICE_URL_ENV = "C360_DEMO_BACKOFFICE_URL"
# Importing the app and opening its databases takes a second or two; a loaded CI machine, more.
STARTUP_TIMEOUT_SECONDS = 60.0
# Longer than the child's own graceful shutdown, after which it is killed.
STOP_TIMEOUT_SECONDS = SHUTDOWN_GRACE_SECONDS + 5.0
ORPHAN_CHECK_SECONDS = 1.0

log = logging.getLogger("customer360.demo.backoffices")


class BackofficesDidNotStart(RuntimeError):
    """The child exited, or did not answer in time; the message says which."""


async def serve_backoffices(
    settings: Settings, *, host: str = "127.0.0.1", port: int = 0, parent_pid: int | None = None
) -> None:
    """Serve the back offices on `host:port` (0: a free port) until SIGINT, SIGTERM or `parent_pid` is gone.

    Raises OSError when the port cannot be had.
    """
    listener = listening_socket(host, port)
    url_host = f"[{host}]" if ":" in host else host
    url = f"http://{url_host}:{listener.getsockname()[1]}"
    engines = council.DemoEngines.open(settings)
    traced = tracing.start("customer360-demo-backoffices")  # a process of their own: their own spans, if wanted
    try:
        config = uvicorn.Config(
            council.backoffice_app(settings, engines, url),
            log_config=None,
            access_log=False,  # as in `serve`: access logs would carry query strings (payment searches by email)
            lifespan="off",
            timeout_graceful_shutdown=SHUTDOWN_GRACE_SECONDS,
        )
        server = _StoppingServer(config)
        watch = asyncio.create_task(_stop_when_orphaned(server, parent_pid)) if parent_pid else None
        log.info("demo back offices: Open311 at %s%s, payments at %s%s", url, OPEN311_PATH, url, PAYMENTS_PATH)
        await server.serve(sockets=[listener])
        if watch:
            watch.cancel()
    finally:
        listener.close()
        await engines.dispose()
        if traced:
            await asyncio.to_thread(tracing.stop)


class _StoppingServer(uvicorn.Server):
    """Stops gracefully on SIGINT or SIGTERM as uvicorn does, then returns (uvicorn would re-raise the signal)."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        previous = {sig: signal.signal(sig, self.handle_exit) for sig in (signal.SIGINT, signal.SIGTERM)}
        try:
            yield
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)


async def _stop_when_orphaned(server: uvicorn.Server, parent_pid: int) -> None:
    while os.getppid() == parent_pid:
        await asyncio.sleep(ORPHAN_CHECK_SECONDS)
    log.warning("the process that started the demo back offices (pid %d) is gone: stopping", parent_pid)
    server.should_exit = True


@contextlib.contextmanager
def running_backoffice_process(
    port: int | None = None, timeout_seconds: float = STARTUP_TIMEOUT_SECONDS
) -> Iterator[str]:
    """`customer360 demo backoffices` as a child on loopback `port` (None: a free one); yields its base
    URL once it answers.

    Raises `BackofficesDidNotStart` when it exits first or does not answer within `timeout_seconds`.
    The child is stopped (SIGTERM, then SIGKILL) on the way out, whatever the reason: SIGTERM to this
    process unwinds the stack first and is delivered again afterwards.
    """
    port = port or council.free_port()
    url = f"http://127.0.0.1:{port}"
    command = [sys.executable, "-m", "customer360", "demo", "backoffices", "--port", str(port)]
    with _sigterm_unwinds():
        child = subprocess.Popen([*command, "--parent-pid", str(os.getpid())])
        try:
            _wait_until_answering(child, url, timeout_seconds)
            log.info("demo back offices in their own process (pid %d) at %s", child.pid, url)
            yield url
        finally:
            _stop(child)


def backoffices_answering(url: str) -> bool:
    """Whether demo back offices already answer at `url` (another replica's, or started by hand)."""
    with contextlib.suppress(httpx.TransportError), httpx.Client(timeout=1.0, trust_env=False) as client:
        return client.get(f"{url}{HEALTH_PATH}").status_code == 200
    return False


def tell_public_url(url: str, public_url: str, api_key: str) -> bool:
    """Tell back offices already running at `url` where this gateway is, so payment webhooks reach it."""
    with contextlib.suppress(httpx.TransportError), httpx.Client(timeout=2.0, trust_env=False) as client:
        response = client.put(
            f"{url}{GATEWAY_PATH}", json={"public_url": public_url}, headers={"Authorization": f"Bearer {api_key}"}
        )
        return response.status_code == 204
    return False


def _wait_until_answering(child: subprocess.Popen[bytes], url: str, timeout_seconds: float) -> None:
    deadline = time.monotonic() + timeout_seconds
    with httpx.Client(timeout=1.0, trust_env=False) as client:  # loopback: never through a proxy
        while True:
            if child.poll() is not None:
                raise BackofficesDidNotStart(
                    f"the demo back offices exited with code {child.returncode} before answering "
                    f"{url}{HEALTH_PATH}; see their messages above"
                )
            with contextlib.suppress(httpx.TransportError):
                if client.get(f"{url}{HEALTH_PATH}").status_code == 200:
                    return
            if time.monotonic() > deadline:
                raise BackofficesDidNotStart(
                    f"the demo back offices (pid {child.pid}) did not answer {url}{HEALTH_PATH} "
                    f"within {timeout_seconds:g} s"
                )
            time.sleep(0.1)


def _stop(child: subprocess.Popen[bytes]) -> None:
    if child.poll() is not None:
        return
    child.terminate()
    try:
        child.wait(timeout=STOP_TIMEOUT_SECONDS)
    except subprocess.TimeoutExpired:
        child.kill()
        child.wait()


class _Terminated(BaseException):
    """SIGTERM arrived: unwind like KeyboardInterrupt does for SIGINT, so `finally` blocks run."""


@contextlib.contextmanager
def _sigterm_unwinds() -> Iterator[None]:
    """While the child runs, SIGTERM raises `_Terminated`; once unwound, it is delivered to the old handler.

    uvicorn (one worker) restores this handler and raises the signal again after its graceful
    shutdown, so a SIGTERM during `uvicorn.run` arrives here too.
    """

    def unwind(_signum: int, _frame: FrameType | None) -> None:
        raise _Terminated

    previous = signal.signal(signal.SIGTERM, unwind)
    try:
        yield
    except _Terminated:
        signal.signal(signal.SIGTERM, previous if previous is not None else signal.SIG_DFL)
        signal.raise_signal(signal.SIGTERM)  # ends the process as SIGTERM did before (default handler)
        raise SystemExit(128 + signal.SIGTERM) from None  # the old handler was one that returns
    finally:
        signal.signal(signal.SIGTERM, previous if previous is not None else signal.SIG_DFL)
