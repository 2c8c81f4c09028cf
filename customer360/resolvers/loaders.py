"""DataLoaders: one per source operation, made per request, each batching its keys into one call.

Every loader reads through the cache (`ReadThrough`), so a key answered recently costs no call.
The cache namespace is the operation's name, so commands invalidate exactly what they change.
When a back office fails, keys with a last known copy are answered from it and noted in the
request's `StaleReads` (reported as `extensions.stale`); the other keys fail alone.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from aiodataloader import DataLoader

from customer360.cache.base import ReadThrough, StaleReads
from customer360.cache.namespaces import (
    ACCOUNT_BY_REFERENCE,
    ACCOUNTS_BY_PARTY,
    APPLICATIONS_BY_APPLICANT,
    CASES_BY_CONTACT,
    CLAIMS_BY_CLAIMANT,
    COMPLAINT_BY_REFERENCE,
    COMPLAINTS_BY_CONTACT,
    PAYMENT_BY_ID,
    PAYMENTS_BY_PAYER,
    REQUEST_BY_ID,
    REQUESTS_BY_REPORTER,
    TENANCIES_BY_APPLICANT,
)
from customer360.domain.benefits import BenefitClaimRecord
from customer360.domain.complaints import ComplaintRecord
from customer360.domain.council_tax import CouncilTaxAccountRecord
from customer360.domain.customers import GoldenRecord, RecordLink
from customer360.domain.housing import HousingApplicationRecord, TenancyRecord
from customer360.domain.payments import PaymentRecord, PostingState
from customer360.domain.requests import ServiceRequestRecord
from customer360.domain.submissions import Submission
from customer360.domain.systems import SourceSystem
from customer360.resolvers.directory import CustomerDirectory, SubmissionLog
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
    customers: _BatchLoader[GoldenRecord | None]
    links: _BatchLoader[list[RecordLink]]
    council_tax_accounts_by_party: _SourceLoader[list[CouncilTaxAccountRecord]]
    council_tax_account_by_reference: _SourceLoader[CouncilTaxAccountRecord | None]
    benefit_claims_by_claimant: _SourceLoader[list[BenefitClaimRecord]]
    housing_applications_by_applicant: _SourceLoader[list[HousingApplicationRecord]]
    tenancies_by_applicant: _SourceLoader[list[TenancyRecord]]
    complaints_by_contact: _SourceLoader[list[ComplaintRecord]]
    complaint_by_reference: _SourceLoader[ComplaintRecord | None]
    cases_by_contact: _SourceLoader[list[ServiceRequestRecord]]
    street_requests_by_reporter: _SourceLoader[list[ServiceRequestRecord]]
    street_request_by_id: _SourceLoader[ServiceRequestRecord | None]
    payments_by_payer: _SourceLoader[list[PaymentRecord]]
    payment_by_id: _SourceLoader[PaymentRecord | None]
    owners: _BatchLoader[str | None]
    submissions: _BatchLoader[list[Submission]]
    postings: _BatchLoader[PostingState | None]  # by customer360 payment reference
    payments_made: _BatchLoader[list[StoredPayment]]  # what each customer started through us, by customer id
    stale: StaleReads  # what this request was answered from last known copies

    @classmethod
    def for_request(
        cls,
        directory: CustomerDirectory,
        submissions: SubmissionLog,
        sources: Sources,
        cache: ReadThrough,
        *,
        postings: Callable[[list[str]], Awaitable[Mapping[str, PostingState]]],
        payments_made: Callable[[list[str]], Awaitable[Mapping[str, list[StoredPayment]]]],
    ) -> Loaders:
        stale = StaleReads()

        def source(namespace: str, fetch: Any, missing: Callable[[], Any]) -> _SourceLoader[Any]:
            return _SourceLoader(namespace, fetch, missing, cache, stale)

        async def owners(keys: list[str]) -> Mapping[str, str]:
            pairs = [_split_owner_key(key) for key in keys]
            found = await directory.owners_of(pairs)
            return {f"{system.value}:{record_id}": owner for (system, record_id), owner in found.items()}

        return cls(
            customers=_BatchLoader(directory.customers_by_id, _none),
            links=_BatchLoader(directory.links_by_customer, list),
            owners=_BatchLoader(owners, _none),
            submissions=_BatchLoader(submissions.submissions_by_customer, list),
            postings=_BatchLoader(postings, _none),
            payments_made=_BatchLoader(payments_made, list),
            council_tax_accounts_by_party=source(ACCOUNTS_BY_PARTY, sources.revenues.accounts_by_party, list),
            council_tax_account_by_reference=source(
                ACCOUNT_BY_REFERENCE, sources.revenues.accounts_by_reference, _none
            ),
            benefit_claims_by_claimant=source(CLAIMS_BY_CLAIMANT, sources.benefits.claims_by_claimant, list),
            housing_applications_by_applicant=source(
                APPLICATIONS_BY_APPLICANT, sources.housing.applications_by_applicant, list
            ),
            tenancies_by_applicant=source(TENANCIES_BY_APPLICANT, sources.housing.tenancies_by_applicant, list),
            complaints_by_contact=source(COMPLAINTS_BY_CONTACT, sources.crm.complaints_by_contact, list),
            complaint_by_reference=source(COMPLAINT_BY_REFERENCE, sources.crm.complaints_by_reference, _none),
            cases_by_contact=source(CASES_BY_CONTACT, sources.crm.cases_by_contact, list),
            street_requests_by_reporter=source(REQUESTS_BY_REPORTER, sources.street_scene.requests_by_reporter, list),
            street_request_by_id=source(REQUEST_BY_ID, sources.street_scene.requests_by_id, _none),
            payments_by_payer=source(PAYMENTS_BY_PAYER, sources.payments.payments_by_payer, list),
            payment_by_id=source(PAYMENT_BY_ID, sources.payments.payments_by_id, _none),
            stale=stale,
        )


def owner_key(system: SourceSystem, record_id: str) -> str:
    return f"{system.value}:{record_id}"


def _split_owner_key(key: str) -> tuple[SourceSystem, str]:
    system, record_id = key.split(":", 1)
    return SourceSystem(system), record_id
