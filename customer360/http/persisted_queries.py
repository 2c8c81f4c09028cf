"""Automatic persisted queries: Apollo's `persistedQuery` extension, so clients send a hash, not the document.

The protocol (https://www.apollographql.com/docs/apollo-server/performance/apq): a client sends
`extensions: {"persistedQuery": {"version": 1, "sha256Hash": "<hex>"}}` without `query`. A hash we know
runs its document; one we do not is answered 200 with `PersistedQueryNotFound`, and the client sends
the query with the hash once, which registers it. A document is not personal data, so registrations are
kept in a bounded LRU in each process and, with Redis, in the shared cache, where every worker sees them.

With the trusted-documents allowlist enforced (production) nothing is registered: only the allowlist runs
(`trusted_documents.py`); `customer360.app.GraphQLEndpoint` decides which of the two applies.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from starlette.responses import JSONResponse

from customer360.cache.base import Cache
from customer360.cache.memory import MemoryCache
from customer360.http.responses import refusal
from customer360.http.trusted_documents import sha256

NAMESPACE = "apq"
MAX_ENTRIES = 5_000
TTL_SECONDS = 24 * 60 * 60
_SHA256_HEX = re.compile(r"[0-9a-fA-F]{64}")


class BadPersistedQuery(Exception):
    """A malformed extension, another protocol version, or a hash that is not the query's: a 400."""

    def response(self) -> JSONResponse:
        return refusal(400, str(self), "BAD_PERSISTED_QUERY")


class PersistedQueryNotFound(Exception):
    """A hash nobody has registered here. Answered 200, the status Apollo clients retry with the query on."""

    def __init__(self, operations: int | None = None) -> None:
        super().__init__("PersistedQueryNotFound")
        self.operations = operations  # a batch's length: each operation is answered, none has run

    def response(self) -> JSONResponse:
        error = {"message": "PersistedQueryNotFound", "extensions": {"code": "PERSISTED_QUERY_NOT_FOUND"}}
        if self.operations is None:
            return JSONResponse({"errors": [error]})
        return JSONResponse([{"errors": [error]} for _ in range(self.operations)])


def requested_hash(query: str | None, extensions: Mapping[str, Any] | None) -> str | None:
    """The lower-case sha256 an operation names (None when it names none); raises `BadPersistedQuery`."""
    persisted = (extensions or {}).get("persistedQuery")
    if persisted is None:
        return None
    if not isinstance(persisted, Mapping):
        raise BadPersistedQuery("extensions.persistedQuery must be an object")
    version = persisted.get("version")
    if type(version) is not int or version != 1:
        raise BadPersistedQuery("unsupported persisted query version: only version 1 is supported")
    wanted = persisted.get("sha256Hash")
    if not isinstance(wanted, str) or not _SHA256_HEX.fullmatch(wanted):
        raise BadPersistedQuery("extensions.persistedQuery.sha256Hash must be a sha256 in 64 hex digits")
    if query is not None and sha256(query) != wanted.lower():
        raise BadPersistedQuery("provided sha does not match query")
    return wanted.lower()


class PersistedQueries:
    """Registered documents by their sha256: an LRU in this process, then the shared cache if there is one."""

    def __init__(self, shared: Cache | None = None, *, max_entries: int = MAX_ENTRIES) -> None:
        self._local = MemoryCache(max_entries)
        self._shared = shared

    async def get(self, sha: str) -> str | None:
        key = f"{NAMESPACE}:{sha}"
        text = (await self._local.get_many([key])).get(key)
        if text is not None or self._shared is None:
            return text
        found = (await self._shared.get_many([key])).get(key)
        if not isinstance(found, str):
            return None
        await self._local.set_many({key: found}, TTL_SECONDS)
        return found

    async def register(self, sha: str, text: str) -> None:
        """Keep `text` under `sha`, which the caller has checked it hashes to."""
        key = f"{NAMESPACE}:{sha}"
        if (await self._local.get_many([key])).get(key) == text:
            return  # known here, so written to the shared cache already (another worker re-registers on expiry)
        await self._local.set_many({key: text}, TTL_SECONDS)
        if self._shared is not None:
            await self._shared.set_many({key: text}, TTL_SECONDS)
