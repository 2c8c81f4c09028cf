"""A ceiling on how long one request may run (`C360_REQUEST_TIMEOUT_SECONDS`): past it, the work is
cancelled and the client gets a 504 (or, if the answer had already begun, the connection ends)."""

from __future__ import annotations

import asyncio
import logging

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from customer360.http.responses import refusal

log = logging.getLogger("customer360.http")


class RequestTimeout:
    def __init__(self, app: ASGIApp, *, seconds: float) -> None:
        self._app = app
        self._seconds = seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or self._seconds <= 0:
            await self._app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            async with asyncio.timeout(self._seconds):
                await self._app(scope, receive, tracking_send)
        except TimeoutError:
            log.warning("request to %s %s timed out after %.1f s", scope["method"], scope["path"], self._seconds)
            if started:
                raise
            await refusal(504, "the request took too long", "TIMEOUT")(scope, receive, send)
