"""One connection pool per HTTP back office, behind the one client every HTTP back office is called with.

httpcore's pool re-examines every connection it holds whenever a request joins or leaves it (each idle
one's keep-alive with a readability check of its socket), so with one pool for every back office a call
costs more the more connections the others hold: at 16 cold `me`s at once (two HTTP calls each) a call
cost the gateway 2.9 ms of CPU with one pool, 1.8 ms with a pool per back office (docs/performance.md).
The client stays one `httpx.AsyncClient`, so its event hooks (tracing's `traceparent`), timeouts and
error types are what they were; only where a request's connection comes from changes. Where the
environment names a proxy, the runtime gives the client none of this (`runtime.back_office_client`):
httpx honours a proxy from the environment only with its own transports.
"""

from __future__ import annotations

import ssl
from collections.abc import Iterable

import httpx


class PoolPerBackOffice(httpx.AsyncBaseTransport):
    """Routes a request to the pool of the back office whose base URL it starts with; any other URL (none
    configured yet, a URL from an answer) to a pool of its own. Each pool keeps `limits` by itself."""

    def __init__(self, base_urls: Iterable[str], *, verify: ssl.SSLContext, limits: httpx.Limits) -> None:
        # Longest first: a base URL under another's (`/council` and `/council/pay`) gets its own requests.
        # Each as httpx writes a request's URL (host in lower case, no default port), which is what is matched.
        prefixes = sorted({str(httpx.URL(url.rstrip("/") + "/")) for url in base_urls}, key=len, reverse=True)
        self._pools = [(prefix, httpx.AsyncHTTPTransport(verify=verify, limits=limits)) for prefix in prefixes]
        self._elsewhere = httpx.AsyncHTTPTransport(verify=verify, limits=limits)

    def pool_for(self, url: httpx.URL) -> httpx.AsyncHTTPTransport:
        address = str(url)
        return next((pool for prefix, pool in self._pools if address.startswith(prefix)), self._elsewhere)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        return await self.pool_for(request.url).handle_async_request(request)

    async def aclose(self) -> None:
        for _, pool in self._pools:
            await pool.aclose()
        await self._elsewhere.aclose()
