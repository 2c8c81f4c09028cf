"""A request id on every request: the client's `X-Request-ID` when it is sane, a fresh one otherwise.

It is echoed in the response, kept on the scope (`state["request_id"]`) and in a context variable
that the log formatter adds to every line logged while the request runs. The variable is left set when
the request ends: the server runs each request in a task of its own, and its own lines about the
request (an error's traceback, logged after the app has returned) then carry the id too. Only a request
made inside another (the portal calling the API in-process) puts the outer request's id back.
"""

from __future__ import annotations

import re
import uuid
from contextvars import ContextVar

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

HEADER = "x-request-id"
request_id_var: ContextVar[str | None] = ContextVar("customer360_request_id", default=None)
_SANE = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


class RequestIds:
    def __init__(self, app: ASGIApp) -> None:
        self._app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        supplied = dict(scope["headers"]).get(HEADER.encode(), b"").decode("latin-1")
        request_id = supplied if _SANE.match(supplied) else uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id
        token = request_id_var.set(request_id)

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message)["X-Request-ID"] = request_id
            await send(message)

        outer = token.old_value
        try:
            await self._app(scope, receive, send_with_id)
        finally:
            if outer is not token.MISSING and outer is not None:
                request_id_var.reset(token)
