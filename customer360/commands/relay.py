"""The outbox relay: delivers what is pending, in the background of `serve` or once from the CLI."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta

from customer360.commands.delivery import Deliverer

log = logging.getLogger("customer360.outbox")

# Far enough ahead to include any backoff the relay may have scheduled.
RETRY_HORIZON = timedelta(days=1)


async def relay_forever(deliverer: Deliverer, interval_seconds: float) -> None:
    """A pass every `interval_seconds`; one bad pass is logged, never the end of the relay."""
    while True:
        try:
            await deliverer.run_due()
        except Exception:  # the relay must outlive any one failure; the row stays pending
            log.exception("outbox relay pass failed")
        await asyncio.sleep(interval_seconds)


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
