"""413 for a request body larger than `C360_MAX_BODY_BYTES`: refused from its Content-Length when it
says so, otherwise counted as it streams in (a chunked body cannot slip past). A multipart body (an
upload) has its own limit, its files' (`C360_MAX_UPLOAD_BYTES` times the files a request may carry), but
only where an upload can be taken: a `POST /graphql` that carries an Authorization header, and the
portal's photo step. Everywhere else, and for anyone without credentials, a multipart body gets the
ordinary limit, so an anonymous caller cannot make a worker buffer an upload's worth of bytes."""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from customer360.http.responses import refusal


class _TooLarge(Exception):
    pass


# Room in a multipart body for its fields (the GraphQL document, the map, a CSRF token) and part headers.
MULTIPART_OVERHEAD = 64 * 1024


class BodySizeLimit:
    def __init__(
        self,
        app: ASGIApp,
        *,
        max_bytes: int,
        max_multipart_bytes: int | None = None,
        upload_paths: frozenset[str] = frozenset(),
    ) -> None:
        self._app = app
        self._max = max_bytes
        self._max_multipart = max_multipart_bytes if max_multipart_bytes is not None else max_bytes
        self._upload_paths = upload_paths  # a form the portal's own session guards (its photo step)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or self._max <= 0:
            await self._app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        multipart = headers.get(b"content-type", b"").lower().startswith(b"multipart/form-data")
        limit = self._max_multipart if multipart and self._takes_uploads(scope, headers) else self._max
        declared = headers.get(b"content-length")
        if declared is not None:
            try:
                too_large = int(declared) > limit
            except ValueError:
                await refusal(400, "Content-Length is not a number", "BAD_REQUEST")(scope, receive, send)
                return
            if too_large:
                await self._refuse(scope, receive, send, limit)
                return
        received = 0
        started = False

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise _TooLarge
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self._app(scope, counting_receive, tracking_send)
        except _TooLarge:
            if started:
                raise
            await self._refuse(scope, receive, send, limit)

    def _takes_uploads(self, scope: Scope, headers: dict[bytes, bytes]) -> bool:
        if scope.get("method") != "POST":
            return False
        path = scope.get("path", "")
        return (path == "/graphql" and b"authorization" in headers) or path in self._upload_paths

    async def _refuse(self, scope: Scope, receive: Receive, send: Send, limit: int) -> None:
        response = refusal(413, f"the request body is larger than {limit} bytes", "PAYLOAD_TOO_LARGE")
        response.headers["Connection"] = "close"
        await response(scope, receive, send)
