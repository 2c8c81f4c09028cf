"""Static assets (the staff dashboard's and the portal's) with `nosniff` and a cache lifetime: their
URLs carry a digest of their content, so a new build is a new URL and a day's caching is safe."""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

ASSET_CACHE = "public, max-age=86400"


class CachedAssets:
    """Static assets with `nosniff` and a cache lifetime (their URLs change whenever they do)."""

    def __init__(self, app: ASGIApp) -> None:
        self._app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [*message.get("headers", [])]
                headers += [(b"x-content-type-options", b"nosniff"), (b"cache-control", ASSET_CACHE.encode())]
                message = {**message, "headers": headers}
            await send(message)

        await self._app(scope, receive, send_with_headers)
