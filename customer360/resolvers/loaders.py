"""DataLoaders: one per source operation, made per request, each batching its keys into one call.

Every loader reads through the cache (`ReadThrough`), so a key answered recently costs no call.
The cache namespace is the operation's name, so commands invalidate exactly what they change.
When a back office fails, keys with a last known copy are answered from it and noted in the
request's `StaleReads` (reported as `extensions.stale`); the other keys fail alone.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from aiodataloader import DataLoader

from customer360.cache.base import ReadThrough, StaleReads
from customer360.domain.customers import GoldenRecord, RecordLink
from customer360.domain.payments import PostingState
from customer360.domain.requests import RequestEvent
from customer360.domain.submissions import Submission
from customer360.domain.systems import SourceSystem
from customer360.resolvers.directory import CustomerDirectory, SubmissionLog
from customer360.sources.backoffice import Lookup
from customer360.sources.registry import Sources
from customer360.store.payments import StoredPayment

V = TypeVar("V")


class _BatchLoader(DataLoader[str, V]):
    """Batches keys per tick; `fetch` answers a list of keys with a mapping in one call."""

    def __init__(self, fetch: Callable[[list[str]], Awaitable[Mapping[str, V]]], missing: Callable[[], V]):
        super().__init__()
        self._fetch = fetch
        self._missing = missing

    async def batch_load_fn(self, keys: Sequence[str]) -> list[V]:
        found = await self._fetch(list(keys))
        return [found.get(key, self._missing()) for key in keys]


class _SourceLoader(_BatchLoader[V]):
    """A batch loader over a back office, reading through the cache under `namespace`."""

    def __init__(
        self,
        namespace: str,
        fetch: Callable[[list[str]], Awaitable[Mapping[str, V]]],
        missing: Callable[[], V],
        cache: ReadThrough,
        stale: StaleReads,
    ):
        super().__init__(fetch, missing)
        self._namespace = namespace
        self._read_through = cache
        self._stale = stale

    async def batch_load_fn(self, keys: Sequence[str]) -> list[V]:
        return await self._read_through.get_each(self._namespace, keys, self._fetch, self._missing, self._stale)


def _none() -> None:
    return None


@dataclass
class Loaders:
    """The gateway's own loaders by name; a back office's through `of(LOOKUP)`, made when first asked for."""

    customers: _BatchLoader[GoldenRecord | None]
    links: _BatchLoader[list[RecordLink]]
    owners: _BatchLoader[str | None]
    submissions: _BatchLoader[list[Submission]]
    postings: _BatchLoader[PostingState | None]  # by customer360 payment reference
    payments_made: _BatchLoader[list[StoredPayment]]  # what each customer started through us, by customer id
    request_changes: _BatchLoader[list[RequestEvent]]  # what the change feeds told of each request, by reference
    stale: StaleReads  # what this request was answered from last known copies
    sources: Sources
    cache: ReadThrough
    _of_lookup: dict[Lookup[Any, Any], _SourceLoader[Any]] = field(default_factory=dict)

    def of(self, lookup: Lookup[Any, V]) -> _SourceLoader[V]:
        """The request's loader for one back-office read (`sources/<system>/__init__.py` declares each)."""
        loader = self._of_lookup.get(lookup)
        if loader is None:
            fetch = lookup.read(self.sources.of(lookup.office))
            loader = _SourceLoader(lookup.namespace, fetch, lookup.missing, self.cache, self.stale)
            self._of_lookup[lookup] = loader
        return loader

    @classmethod
    def for_request(
        cls,
        directory: CustomerDirectory,
        submissions: SubmissionLog,
        sources: Sources,
        cache: ReadThrough,
        stale: StaleReads,
        *,
        postings: Callable[[list[str]], Awaitable[Mapping[str, PostingState]]],
        payments_made: Callable[[list[str]], Awaitable[Mapping[str, list[StoredPayment]]]],
        request_changes: Callable[[list[str]], Awaitable[Mapping[str, list[RequestEvent]]]],
    ) -> Loaders:
        async def owners(keys: list[str]) -> Mapping[str, str]:
            pairs = [_split_owner_key(key) for key in keys]
            found = await directory.owners_of(pairs)
            return {f"{system.value}:{record_id}": owner for (system, record_id), owner in found.items()}

        links: _BatchLoader[list[RecordLink]] = _BatchLoader(directory.links_by_customer, list)

        async def customers(keys: list[str]) -> Mapping[str, GoldenRecord]:
            # Each customer's links come in the same round trip and are kept for the fields that ask,
            # so every back-office call of theirs can start as soon as the golden record is read.
            found = await directory.customers_with_links(keys)
            for customer_id, (_, linked) in found.items():
                links.prime(customer_id, linked)
            return {customer_id: golden for customer_id, (golden, _) in found.items()}

        return cls(
            customers=_BatchLoader(customers, _none),
            links=links,
            owners=_BatchLoader(owners, _none),
            submissions=_BatchLoader(submissions.submissions_by_customer, list),
            postings=_BatchLoader(postings, _none),
            payments_made=_BatchLoader(payments_made, list),
            request_changes=_BatchLoader(request_changes, list),
            stale=stale,
            sources=sources,
            cache=cache,
        )


def owner_key(system: SourceSystem, record_id: str) -> str:
    return f"{system.value}:{record_id}"


def _split_owner_key(key: str) -> tuple[SourceSystem, str]:
    system, record_id = key.split(":", 1)
    return SourceSystem(system), record_id
