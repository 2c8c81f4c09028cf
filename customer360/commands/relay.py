"""The outbox relay: delivers what is pending, in the background of `serve` or once from the CLI."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

from customer360 import tracing
from customer360.commands.delivery import Deliverer
from customer360.store.database import STORE_UNREACHABLE
from customer360.store.locks import LockBusy

log = logging.getLogger("customer360.outbox")

# Far enough ahead to include any backoff the relay may have scheduled.
RETRY_HORIZON = timedelta(days=1)


async def every(
    interval_seconds: float, work: Callable[[], Awaitable[object]], name: str, stop: asyncio.Event | None = None
) -> None:
    """Run `work` every `interval_seconds` until `stop` is set (the pass under way finishes first);
    one bad pass is logged, never the end of the loop."""
    stop = stop or asyncio.Event()
    while not stop.is_set():
        try:
            with tracing.span(f"pass {name}", {"c360.pass": name}):
                await work()
        except STORE_UNREACHABLE as error:  # a database restart is expected, not a bug: no traceback each pass
            log.warning("%s pass skipped: the store is not reachable (%s)", name, type(error).__name__)
        except LockBusy:  # another process holds what this pass needs: the next pass finds it free
            log.info("%s pass skipped: a lock it needs is busy", name)
        except Exception:  # a background loop must outlive any one failure; its work stays pending
            log.exception("%s pass failed", name)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), interval_seconds)


async def drain(deliverer: Deliverer, max_passes: int = 10) -> int:
    """Deliver everything pending, whatever its retry time, until nothing is left or a pass makes no
    progress (for `customer360 outbox run`: an operator asking means "now")."""
    tried = 0
    for _ in range(max_passes):
        count = await deliverer.run_due(now=datetime.now(UTC) + RETRY_HORIZON)
        tried += count
        if count == 0:
            break
    return tried
