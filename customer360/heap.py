"""A served worker's heap, frozen once its start-up is done (`customer360 serve` only).

After start-up a worker holds about 225,000 long-lived objects (two schemas, their Strawberry and
graphql-core types, the runtime's pools and caches). CPython's full (generation 2) collection walks every
one of them, 100-580 ms on this shared machine, in the middle of whichever requests are in flight; cold
`me` requests leave enough survivors that one came every 165-190 of them. `gc.freeze()` moves what
start-up left into a permanent generation that no collection walks again: a full collection then walks
only what requests made since, about 10 ms (docs/performance.md, "A frozen heap in `serve`"). Collecting
first means the start-up's own garbage is freed, not frozen.

Only `serve` pays for it: a `gc.collect()` at every app start would cost the test suite, which starts
hundreds of apps (`create_app` does not do this; `create_served_app` in app.py does).
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import AsyncIterator, Callable
from typing import Any

from starlette.applications import Starlette


def frozen_once_started(app: Starlette) -> Starlette:
    """`app`, whose lifespan freezes the heap once the app's own start-up has finished."""
    started: Callable[[Any], contextlib.AbstractAsyncContextManager[Any]] = app.router.lifespan_context

    @contextlib.asynccontextmanager
    async def lifespan(app: Any) -> AsyncIterator[Any]:
        async with started(app) as state:
            freeze_heap()
            yield state

    app.router.lifespan_context = lifespan
    return app


def freeze_heap() -> None:
    """Free start-up's garbage, then keep every object left out of all later collections."""
    gc.collect()
    gc.freeze()
