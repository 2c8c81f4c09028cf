"""An in-process cache: a bounded LRU with expiry. Objects are kept as they are (no copies)."""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from typing import Any


class MemoryCache:
    layer = "memory"

    def __init__(self, max_entries: int = 50_000) -> None:
        self._entries: OrderedDict[str, tuple[float, Any]] = OrderedDict()
        self._max_entries = max_entries

    async def get_many(self, keys: Sequence[str]) -> dict[str, Any]:
        now = time.monotonic()
        found = {}
        for key in keys:
            entry = self._entries.get(key)
            if entry is None:
                continue
            expires, value = entry
            if expires < now:
                del self._entries[key]
                continue
            self._entries.move_to_end(key)
            found[key] = value
        return found

    async def set_many(self, items: Mapping[str, Any], ttl_seconds: float) -> None:
        expires = time.monotonic() + ttl_seconds
        for key, value in items.items():
            self._entries[key] = (expires, value)
            self._entries.move_to_end(key)
        while len(self._entries) > self._max_entries:
            self._entries.popitem(last=False)

    async def delete_many(self, keys: Sequence[str]) -> None:
        for key in keys:
            self._entries.pop(key, None)

    async def close(self) -> None:
        self._entries.clear()
