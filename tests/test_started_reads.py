"""A loader's read started before another and awaited after it (`resolvers/customers.started`): its
failure still reaches whoever awaits it, and when nobody does (the other read raised first) asyncio
does not report it as never retrieved, as under the `asyncio.gather` it replaces."""

from __future__ import annotations

import asyncio
import gc
from typing import Any

import pytest

from customer360.resolvers.customers import started


def _failed_read(loop: asyncio.AbstractEventLoop) -> asyncio.Future[Any]:
    read: asyncio.Future[Any] = loop.create_future()
    read.set_exception(RuntimeError("store down"))
    return read


@pytest.mark.parametrize(("kept", "reported"), [(True, 0), (False, 1)])
async def test_a_failed_read_nobody_awaited_is_not_reported_as_never_retrieved(kept: bool, reported: int) -> None:
    loop = asyncio.get_running_loop()
    seen: list[dict[str, Any]] = []
    previous = loop.get_exception_handler()
    loop.set_exception_handler(lambda _loop, context: seen.append(context))
    try:
        read = _failed_read(loop)
        if kept:
            started(read)
        await asyncio.sleep(0)  # the done callbacks run
        del read
        gc.collect()
    finally:
        loop.set_exception_handler(previous)
    assert len(seen) == reported  # the control (not started): asyncio reports it


async def test_whoever_awaits_a_started_read_still_gets_its_failure() -> None:
    read = started(_failed_read(asyncio.get_running_loop()))
    await asyncio.sleep(0)
    with pytest.raises(RuntimeError, match="store down"):
        await read
