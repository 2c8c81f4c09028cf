"""Whole answers to a resident's own reads (`{ me { ... } }`), kept for the cache TTL.

A portal page asks the same `me` document again and again; with every source answer already cached,
what is left is GraphQL execution itself (about 10 ms of CPU for a full page). Keeping the answer
makes a repeat one cache lookup.

Each customer has a *generation*: a random token kept in the cache. An answer is stored with the
generation it was computed under, keyed by (customer, document, variables), and read together with
the current generation in one round trip. Anything that changes what a customer sees forgets the
generation (their own mutation, a delivery, a payment settling, a steward's merge), so every answer
stored under it reads as absent at once, whichever worker stored it. A request that read the old
generation and stores its answer late stores it under that old generation: it is never served.

Only answers without errors and without stale values are kept, and only for documents whose every
root field is `me` (see `is_own_read`): nothing staff see, nothing another principal could reach.

The sign-in lookup every resident request starts with (verified email -> golden customer) is kept
the same way, under an *identity epoch* that any change to who is who (a merge, an unmerge, a
matched arrival) renews. The email is in the key only as an HMAC under a shared secret.

Forgetting is a cache delete, so it must not be lost while Redis is away: `cache/redis.py` keeps a
delete it could not send and sends it before anything else reaches Redis, and `cache/guard.py`
keeps a worker that saw the outage from reading what a peer still owes a delete. While Redis is
away nothing is read from it at all, so the resident reads their own write throughout.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import secrets
from collections.abc import Awaitable, Callable, Mapping, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Protocol

from graphql import DocumentNode, GraphQLError, OperationDefinitionNode, OperationType, parse

from customer360.cache.memory import MemoryCache

if TYPE_CHECKING:
    from customer360.cache.base import Cache

GENERATION = "views.generation"
ANSWER = "views.answer"
IDENTITY_EPOCH = "views.identity_epoch"
SIGN_IN = "views.sign_in"
OWN_ROOT_FIELDS = frozenset({"me", "__typename"})
# Answers one worker keeps in memory while Redis is away: bounded, like the in-process cache.
AWAY_ENTRIES = 10_000

log = logging.getLogger("customer360.cache.views")


# While Redis is away, who is who also has a generation in the store, under this name: merges, unmerges and
# arrivals renew it (`forget_sign_ins`), so a sign-in a worker keeps in memory is dropped at once.
IDENTITY = "identity-epoch"
# The generation read with this request's sign-in (customer id, generation), so the kept-answer lookup that
# follows needs no second store read. Set afresh by every sign-in: never carried from another request.
_SIGNED_IN: ContextVar[tuple[str, str] | None] = ContextVar("customer360_signed_in_generation", default=None)
# The identity epoch this request's sign-in was read under (None: not read from the cache, e.g. Redis away), so a
# kept answer's encoded bytes (http/kept_answers.py) can be checked later against the epoch and generation alone.
_SIGN_IN_EPOCH: ContextVar[str | None] = ContextVar("customer360_sign_in_epoch", default=None)


class StoreGenerations(Protocol):
    """Customers' generations in the gateway store (store/view_generations.py), shared by every worker."""

    async def renew(self, customer_ids: Sequence[str]) -> None: ...

    async def current(self, customer_id: str) -> str: ...

    async def current_many(self, ids: Sequence[str]) -> Mapping[str, str]: ...


@dataclass
class AwayFallback:
    """Kept answers in this worker's memory, under the store's generations, while Redis is away."""

    generations: StoreGenerations
    redis_away: Callable[[], bool]
    ttl_seconds: float
    kept: MemoryCache = field(default_factory=lambda: MemoryCache(max_entries=AWAY_ENTRIES))
    sign_ins: MemoryCache = field(default_factory=lambda: MemoryCache(max_entries=AWAY_ENTRIES))

    async def sign_in(self, key: str, email: str, lookup: Callable[[str], Awaitable[str | None]]) -> str | None:
        """The customer `email` signs in to: kept in memory under the store's identity epoch, checked with the
        customer's own generation in one store read (which the kept-answer lookup then reuses)."""
        try:
            kept = (await self.sign_ins.get_many([key])).get(key)
            if isinstance(kept, tuple):
                epoch, customer_id = kept
                now = await self.generations.current_many([IDENTITY, customer_id] if customer_id else [IDENTITY])
                if now.get(IDENTITY, "") == epoch:
                    if customer_id:
                        _SIGNED_IN.set((customer_id, now.get(customer_id, "")))
                    return str(customer_id) or None
            epoch = await self.generations.current(IDENTITY)  # before the lookup: a change after it renews it
        except Exception as error:  # the store is away too: look up, keep nothing
            log.warning("identity epoch unreadable (%s): signing in afresh", type(error).__name__)
            return await lookup(email)
        customer_id = await lookup(email)
        await self.sign_ins.set_many({key: (epoch, customer_id or "")}, self.ttl_seconds)
        return customer_id

    async def lookup(self, customer_id: str, fingerprint: str) -> tuple[str, Any | None]:
        signed_in = _SIGNED_IN.get()
        try:
            if signed_in is not None and signed_in[0] == customer_id:
                generation = signed_in[1]  # read with this request's sign-in, a moment ago
            else:
                generation = await self.generations.current(customer_id)
        except Exception as error:  # the store is away too: keep nothing that could be served later
            log.warning("views generation unreadable (%s): answering afresh", type(error).__name__)
            return secrets.token_hex(8), None
        entry = (await self.kept.get_many([f"{customer_id}:{fingerprint}"])).get(f"{customer_id}:{fingerprint}")
        if isinstance(entry, tuple) and entry[0] == generation:
            return generation, entry[1]
        return generation, None

    async def keep(self, customer_id: str, generation: str, fingerprint: str, answer: Any) -> None:
        await self.kept.set_many({f"{customer_id}:{fingerprint}": (generation, answer)}, self.ttl_seconds)

    async def renew(self, customer_ids: list[str]) -> None:
        try:
            await self.generations.renew(customer_ids)
        except Exception as error:  # nothing kept in memory can be read either without the store
            log.warning("views generations not renewed in the store (%s)", type(error).__name__)


class CustomerViews:
    def __init__(
        self,
        cache: Cache,
        ttl_seconds: float,
        key_secret: bytes | None = None,
        away: AwayFallback | None = None,  # with Redis: where answers are kept while it is away
    ) -> None:
        self._cache = cache
        self._ttl = ttl_seconds
        self._away = away
        # Keys are visible to whoever can list Redis: an email appears there only as an HMAC under a
        # secret every worker shares (the cache key), never as a plain hash one could look up by guessing.
        self._key_secret = key_secret or secrets.token_bytes(32)
        self.enabled = cache.layer != "none" and ttl_seconds > 0
        self._reads = _SharedReads(cache)

    async def lookup(self, customer_id: str, fingerprint: str) -> tuple[str, Any | None]:
        """(the customer's current generation, the answer kept under it or None): one cache round trip."""
        if self._away is not None and self._away.redis_away():
            return await self._away.lookup(customer_id, fingerprint)
        return await self._under_token(f"{GENERATION}:{customer_id}", f"{ANSWER}:{customer_id}:{fingerprint}")

    async def keep(self, customer_id: str, generation: str, fingerprint: str, answer: Any) -> None:
        if self._away is not None and self._away.redis_away():
            await self._away.keep(customer_id, generation, fingerprint, answer)
            return
        await self._cache.set_many({f"{ANSWER}:{customer_id}:{fingerprint}": (generation, answer)}, self._ttl)

    async def forget(self, customer_ids: list[str]) -> None:
        if self.enabled and customer_ids:
            await self._cache.delete_many([f"{GENERATION}:{customer_id}" for customer_id in customer_ids])
            if self._away is not None:  # always, not only while Redis is away: another worker may think it is
                await self._away.renew(customer_ids)

    async def customer_for_email(self, email: str, lookup: Callable[[str], Awaitable[str | None]]) -> str | None:
        """The golden customer a verified email signs in to, by `lookup` at most once per TTL and epoch."""
        _SIGNED_IN.set(None)
        _SIGN_IN_EPOCH.set(None)
        if not self.enabled:
            return await lookup(email)
        key = f"{SIGN_IN}:{hmac.new(self._key_secret, email.encode(), hashlib.sha256).hexdigest()}"
        if self._away is not None and self._away.redis_away():
            return await self._away.sign_in(key, email, lookup)
        epoch, kept = await self._under_token(IDENTITY_EPOCH, key)
        if kept is not None:
            _SIGN_IN_EPOCH.set(epoch)
            return str(kept) or None
        customer_id = await lookup(email)
        await self._cache.set_many({key: (epoch, customer_id or "")}, self._ttl)
        _SIGN_IN_EPOCH.set(epoch)  # read before the lookup: a change of who is who since renews it
        return customer_id

    def sign_in_epoch(self) -> str | None:
        """The identity epoch this request signed in under, when it came from the cache; None while Redis is
        away (what is kept meanwhile is under the store's generations, which the cache never holds)."""
        if self._away is not None and self._away.redis_away():
            return None
        return _SIGN_IN_EPOCH.get()

    async def current(self, customer_id: str) -> tuple[str | None, str | None]:
        """(the identity epoch, the customer's generation) as the cache holds them now, in one round trip;
        None for either when absent, and both None while Redis is away (its answers are not to be trusted)."""
        if not self.enabled or (self._away is not None and self._away.redis_away()):
            return None, None
        key = f"{GENERATION}:{customer_id}"
        if self._cache.layer == "memory":
            found = await self._cache.get_many([IDENTITY_EPOCH, key])
        else:
            found = await self._reads.get(key)
        return found.get(IDENTITY_EPOCH), found.get(key)

    async def forget_sign_ins(self) -> None:
        if self.enabled:
            await self._cache.delete_many([IDENTITY_EPOCH])
            if self._away is not None:  # always, as `forget`: another worker may think Redis is away
                await self._away.renew([IDENTITY])

    async def _under_token(self, token_key: str, entry_key: str) -> tuple[str, Any | None]:
        """The token under `token_key` (made if absent) and the value kept at `entry_key` if it was kept
        under that same token, both in one round trip. Entries are `(token, value)` pairs: an entry
        kept under an earlier token reads as absent, so forgetting the token forgets every entry."""
        found = await self._cache.get_many([token_key, entry_key])
        token = found.get(token_key)
        if token is None:
            token = secrets.token_hex(8)
            # Outlives the entries kept under it, so an entry never survives its token's renewal.
            await self._cache.set_many({token_key: token}, self._ttl * 4)
            return token, None
        entry = found.get(entry_key)
        if isinstance(entry, (tuple, list)) and len(entry) == 2 and entry[0] == token:
            return token, entry[1]
        return token, None


class _SharedReads:
    """Generation reads for requests that ask while one is in flight go together in the next `MGET`.

    Each `MGET` is sent after every request in it asked, so it sees every delete (a write's forgetting)
    that finished before any of them began: a resident still reads their own write at once, whichever
    worker wrote. Under load, many requests share one round trip (and one decryption of the epoch)."""

    def __init__(self, cache: Cache) -> None:
        self._cache = cache
        self._waiting: dict[str, list[asyncio.Future[dict[str, Any]]]] = {}
        self._reader: asyncio.Task[None] | None = None

    async def get(self, key: str) -> dict[str, Any]:
        """The identity epoch and `key`, as one `MGET` sent after this call read them."""
        answer: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._waiting.setdefault(key, []).append(answer)
        if self._reader is None or self._reader.done():
            self._reader = asyncio.create_task(self._read_while_asked())
        return await answer

    async def _read_while_asked(self) -> None:
        while self._waiting:
            batch, self._waiting = self._waiting, {}
            try:
                found = await self._cache.get_many([IDENTITY_EPOCH, *batch])  # a cache away answers {}, not raises
            except BaseException as error:  # no caller may be left waiting on a read that will not come
                for answers in batch.values():
                    for answer in answers:
                        if not answer.done():
                            answer.set_exception(error) if isinstance(error, Exception) else answer.cancel()
                raise
            epoch = found.get(IDENTITY_EPOCH)
            for key, answers in batch.items():
                value = {IDENTITY_EPOCH: epoch, key: found.get(key)}
                for answer in answers:
                    if not answer.done():
                        answer.set_result(value)


def fingerprint(document: str, variables: dict[str, Any] | None, operation_name: str | None) -> str:
    # default=str: an uploaded file (commands/attachments.ReceivedFile) stands as the sha256 of its bytes.
    material = json.dumps(
        [document, variables or {}, operation_name], sort_keys=True, separators=(",", ":"), default=str
    )
    return hashlib.sha256(material.encode()).hexdigest()


def is_own_read(document: str, operation_name: str | None) -> bool:
    """A query whose root fields are only `me`: its answer depends on the signed-in resident alone."""
    parsed, operation = _operation(document, operation_name)
    if operation is None or operation.operation is not OperationType.QUERY:
        return False
    if len(parsed.definitions) != 1:
        return False  # fragments could hide other root fields in a spread: keep the rule simple
    selections = operation.selection_set.selections
    return all(getattr(s, "name", None) is not None and s.name.value in OWN_ROOT_FIELDS for s in selections)  # type: ignore[attr-defined]


def may_write(document: str, operation_name: str | None) -> bool:
    """Anything but a query it can tell is one (a document that does not parse changes nothing either,
    but it is refused later, so erring this way costs only a forgotten answer)."""
    _parsed, operation = _operation(document, operation_name)
    return operation is None or operation.operation is not OperationType.QUERY


@lru_cache(maxsize=256)
def _operation(document: str, operation_name: str | None) -> tuple[DocumentNode, OperationDefinitionNode | None]:
    """The document and the one operation a request runs (None: it does not parse or names none)."""
    try:
        parsed = parse(document)
    except GraphQLError:
        return DocumentNode(definitions=()), None
    operations = [d for d in parsed.definitions if isinstance(d, OperationDefinitionNode)]
    if operation_name is not None:
        operations = [o for o in operations if o.name is not None and o.name.value == operation_name]
    return parsed, operations[0] if len(operations) == 1 else None
