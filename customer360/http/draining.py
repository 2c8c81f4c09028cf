"""Draining on SIGTERM: a replica leaves its load balancer before it stops listening.

Told SIGTERM, uvicorn closes its listening socket at once, then finishes the requests it has. Behind
a load balancer that checks `/readyz` every second or so, requests would still be sent to a replica
that refuses them until the checks notice. So while a worker serves, its SIGTERM handler (uvicorn's)
is wrapped: the first SIGTERM only marks the worker draining (`/readyz` answers 503 and every request
is still served); `seconds` later uvicorn's own handler runs and it shuts down as usual: stops
listening, finishes what is in flight (`timeout_graceful_shutdown`), then the lifespan stops the
background loops. A second SIGTERM stops at once, as without draining.
"""

from __future__ import annotations

import contextlib
import logging
import signal
import threading
from collections.abc import Iterator
from types import FrameType

log = logging.getLogger("customer360.draining")


class Drain:
    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.draining = False

    @contextlib.contextmanager
    def on_sigterm(self) -> Iterator[None]:
        """While inside, SIGTERM drains first. Nothing changes with `seconds` 0, off the main thread
        (signals reach only it), or when nothing handles SIGTERM (no server to stop: an app run in-process)."""
        server_handler = signal.getsignal(signal.SIGTERM)
        on_main_thread = threading.current_thread() is threading.main_thread()
        if self.seconds <= 0 or not on_main_thread or not callable(server_handler):
            yield
            return

        def drain_first(sig: int, frame: FrameType | None) -> None:
            if self.draining:  # asked twice: stop now
                server_handler(sig, frame)
                return
            self.draining = True
            log.info("SIGTERM: draining for %.1f s (readiness answers 503), then stopping", self.seconds)
            # A timer thread, not the event loop: a signal handler may run between any two bytecodes of
            # the loop, and uvicorn's handler only sets flags that its main loop reads every 0.1 s.
            stop = threading.Timer(self.seconds, server_handler, (sig, frame))
            stop.daemon = True
            stop.start()

        signal.signal(signal.SIGTERM, drain_first)
        try:
            yield
        finally:
            if signal.getsignal(signal.SIGTERM) is drain_first:
                signal.signal(signal.SIGTERM, server_handler)
