"""What the resolvers read from the gateway's own store, as ports, so resolvers never touch its SQL."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Protocol

from customer360.domain.accounts_held import AccountHeld
from customer360.domain.customers import GoldenRecord, RecordLink
from customer360.domain.moving import FoundAddress
from customer360.domain.services import ServiceDefinitionRecord
from customer360.domain.submissions import Submission
from customer360.domain.systems import SourceSystem


class CustomerPageLike(Protocol):
    @property
    def customers(self) -> list[GoldenRecord]: ...

    @property
    def has_next_page(self) -> bool: ...

    @property
    def end_cursor(self) -> str | None: ...


class CustomerDirectory(Protocol):
    async def customers_by_id(self, ids: Sequence[str]) -> Mapping[str, GoldenRecord]: ...

    async def links_by_customer(self, ids: Sequence[str]) -> Mapping[str, list[RecordLink]]: ...

    async def customers_with_links(self, ids: Sequence[str]) -> Mapping[str, tuple[GoldenRecord, list[RecordLink]]]: ...

    async def owners_of(
        self, records: Sequence[tuple[SourceSystem, str]]
    ) -> Mapping[tuple[SourceSystem, str], str]: ...

    async def search(self, query: str, first: int, after: str | None) -> CustomerPageLike: ...


class SubmissionLog(Protocol):
    """What residents submitted through customer360 and how far each delivery got."""

    async def submissions_by_customer(self, customer_ids: Sequence[str]) -> Mapping[str, list[Submission]]: ...

    async def submissions_by_reference(self, references: Sequence[str]) -> Mapping[str, Submission]: ...


class ListedServices(Protocol):
    """Each back office's service list as last read live (store/listed_services.py)."""

    async def remember(self, system: SourceSystem, services: Sequence[ServiceDefinitionRecord]) -> None: ...

    async def last_seen(
        self, systems: Sequence[SourceSystem]
    ) -> Mapping[SourceSystem, list[ServiceDefinitionRecord]]: ...


class AccountsSeen(Protocol):
    """Residents' tenancies and Council Tax accounts as their offices last showed them live
    (store/accounts_seen.py), by each office's own person ids."""

    async def remember(self, system: SourceSystem, by_holder: Mapping[str, Sequence[AccountHeld]]) -> None: ...

    async def last_seen(self, system: SourceSystem, holder_ids: Sequence[str]) -> Sequence[AccountHeld] | None: ...


class AddressBook(Protocol):
    """The council's gazetteer: addresses by UPRN or postcode, and whether each is in the borough."""

    def by_uprn(self, uprn: str) -> FoundAddress | None: ...

    def at_postcode(self, postcode: str) -> list[FoundAddress]: ...

    def matching(self, search: str) -> Iterable[FoundAddress]:
        """At the postcode `search` is, else in a street whose name contains it, best first; taken lazily,
        so a caller that wants a few reads no more."""
        ...
