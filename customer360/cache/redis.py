"""A Redis cache shared by every worker and machine.

Values are personal data, so they are encrypted and authenticated (Fernet: AES-128-CBC with an
HMAC-SHA256) before they leave the process, and always carry a TTL. The HMAC also means a value
we unpickle is one we wrote ourselves. Last known copies (stale-if-error, `cache/base.py`) are values
like any other: encrypted, and gone when their own TTL, the stale window, runs out.
"""

from __future__ import annotations

import pickle
from collections.abc import Mapping, Sequence
from typing import Any

import redis.asyncio as redis
from cryptography.fernet import Fernet, InvalidToken

KEY_PREFIX = "c360:cache:"


class RedisCache:
    layer = "redis"

    def __init__(self, client: redis.Redis, encryption_key: bytes) -> None:
        self._client = client
        self._fernet = Fernet(encryption_key)

    @classmethod
    def from_url(cls, url: str, encryption_key: bytes) -> RedisCache:
        return cls(redis.Redis.from_url(url, socket_timeout=1.0, socket_connect_timeout=1.0), encryption_key)

    async def get_many(self, keys: Sequence[str]) -> dict[str, Any]:
        if not keys:
            return {}
        try:
            values = await self._client.mget([KEY_PREFIX + key for key in keys])
        except redis.RedisError:
            return {}  # a cache that is down is a cache miss, never a failed request
        found = {}
        for key, value in zip(keys, values, strict=True):
            if value is None:
                continue
            try:
                found[key] = pickle.loads(self._fernet.decrypt(value))  # authenticated: only our own writes decrypt
            except InvalidToken:
                continue
        return found

    async def set_many(self, items: Mapping[str, Any], ttl_seconds: float) -> None:
        if not items:
            return
        milliseconds = max(int(ttl_seconds * 1000), 1)
        try:
            async with self._client.pipeline(transaction=False) as pipe:
                for key, value in items.items():
                    pipe.set(KEY_PREFIX + key, self._fernet.encrypt(pickle.dumps(value)), px=milliseconds)
                await pipe.execute()
        except redis.RedisError:
            return

    async def delete_many(self, keys: Sequence[str]) -> None:
        if keys:
            try:
                await self._client.delete(*[KEY_PREFIX + key for key in keys])
            except redis.RedisError:
                return

    async def close(self) -> None:
        await self._client.aclose()
