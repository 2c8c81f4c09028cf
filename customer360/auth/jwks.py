"""An identity provider's signing keys (JWKS), fetched over HTTP, cached, and refetched on rotation.

- The key set is fetched with an injected `httpx.AsyncClient` (tests hand it a loopback issuer), from
  the configured JWKS URL or, without one, from the `jwks_uri` of the issuer's OpenID discovery document
  (`{issuer}/.well-known/openid-configuration`, whose `issuer` must be the configured one).
- It is reused for `cache_seconds`; a token naming a `kid` the cached set lacks triggers a refetch, at
  most once every `min_refetch_seconds` (a flood of made-up kids cannot hammer the provider).
- Only asymmetric signing keys are kept: `kty` RSA or EC, `use` absent or `sig`. A symmetric (`oct`)
  key published by mistake is ignored, so no token can be checked with HMAC.
- If the provider is unreachable, the last good set keeps serving; with none, verification fails closed.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Mapping
from typing import Any, Protocol

import httpx
import jwt

log = logging.getLogger("customer360.auth.jwks")

ASYMMETRIC_KEY_TYPES = frozenset({"RSA", "EC"})
DEFAULT_CACHE_SECONDS = 300.0
DEFAULT_MIN_REFETCH_SECONDS = 30.0


class KeyUnavailable(Exception):
    """No key for this token: unknown kid, or the provider's keys cannot be fetched."""


class KeySource(Protocol):
    async def key(self, kid: str | None) -> jwt.PyJWK: ...


class StaticKeys:
    """Keys known up front (the demo issuer's own key): no fetching."""

    def __init__(self, jwks: Mapping[str, Any]) -> None:
        self._keys = usable_keys(jwks)

    async def key(self, kid: str | None) -> jwt.PyJWK:
        return _select(self._keys, kid)


class JwksClient:
    """The signing keys of one issuer, read through a cache (see the module docstring)."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        *,
        issuer: str,
        jwks_url: str | None = None,
        cache_seconds: float = DEFAULT_CACHE_SECONDS,
        min_refetch_seconds: float = DEFAULT_MIN_REFETCH_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._http = http
        self._issuer = issuer.rstrip("/")
        self._jwks_url = jwks_url
        self._cache_seconds = cache_seconds
        self._min_refetch_seconds = min_refetch_seconds
        self._clock = clock
        self._keys: dict[str, jwt.PyJWK] = {}
        self._fetched_at: float | None = None
        self._lock = asyncio.Lock()
        self.fetches = 0  # how many times the key set was fetched (for tests and metrics)

    async def key(self, kid: str | None) -> jwt.PyJWK:
        if self._stale():
            await self._refresh(force=False)
        try:
            return _select(self._keys, kid)
        except KeyUnavailable:
            # Perhaps the provider rotated its keys: look again, unless we looked very recently.
            if not await self._refresh(force=True):
                raise
        return _select(self._keys, kid)

    def _stale(self) -> bool:
        return self._fetched_at is None or self._clock() - self._fetched_at >= self._cache_seconds

    async def _refresh(self, *, force: bool) -> bool:
        """Refetch the key set; False when a fetch was not allowed or failed (the old set stays)."""
        async with self._lock:
            now = self._clock()
            if self._fetched_at is not None:
                since = now - self._fetched_at
                if force and since < self._min_refetch_seconds:
                    return False
                if not force and since < self._cache_seconds:
                    return True  # another request refreshed it while we waited for the lock
            try:
                keys = usable_keys(await self._fetch())
            except (httpx.HTTPError, ValueError, KeyError, TypeError) as error:
                log.warning("cannot fetch the signing keys of %s: %s", self._issuer, type(error).__name__)
                # Back off as after a fetch, so an outage is not turned into a request storm.
                self._fetched_at = now - max(self._cache_seconds - self._min_refetch_seconds, 0)
                return False
            self._keys, self._fetched_at = keys, now
            self.fetches += 1
            return True

    async def _fetch(self) -> Mapping[str, Any]:
        url = self._jwks_url or await self._discover()
        response = await self._http.get(url, headers={"Accept": "application/json"})
        response.raise_for_status()
        document = response.json()
        if not isinstance(document, dict) or not isinstance(document.get("keys"), list):
            raise ValueError("not a JWK set")
        return document

    async def _discover(self) -> str:
        response = await self._http.get(f"{self._issuer}/.well-known/openid-configuration")
        response.raise_for_status()
        configuration = response.json()
        if str(configuration.get("issuer", "")).rstrip("/") != self._issuer:
            raise ValueError("the discovery document names another issuer")
        self._jwks_url = str(configuration["jwks_uri"])
        return self._jwks_url


def usable_keys(jwks: Mapping[str, Any]) -> dict[str, jwt.PyJWK]:
    """The asymmetric signing keys of a JWK set, by kid ("" for a key without one)."""
    keys: dict[str, jwt.PyJWK] = {}
    for data in jwks.get("keys", []):
        if not isinstance(data, dict) or data.get("kty") not in ASYMMETRIC_KEY_TYPES:
            continue
        if data.get("use", "sig") != "sig":
            continue
        try:
            key = jwt.PyJWK(data)
        except jwt.PyJWTError:
            continue
        keys[str(data.get("kid", ""))] = key
    return keys


def _select(keys: Mapping[str, jwt.PyJWK], kid: str | None) -> jwt.PyJWK:
    if kid is not None:
        if kid in keys:
            return keys[kid]
        raise KeyUnavailable("the token was signed with an unknown key")
    if len(keys) == 1:  # a provider with one key may leave `kid` out
        return next(iter(keys.values()))
    raise KeyUnavailable("the token names no key")
