"""What customer360 needs from each kind of back office, as Protocols.

Every method takes many keys and answers for all of them in one call: the DataLoaders batch
keys per request, so a page of 100 customers costs one call per operation, not 100. A method's
name is the `operation` label of `customer360_source_calls_total`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Protocol

from customer360.domain.benefits import BenefitClaimRecord
from customer360.domain.complaints import ComplaintRecord, NewComplaint
from customer360.domain.council_tax import CouncilTaxAccountRecord
from customer360.domain.discounts import DiscountApplication, DiscountEnding
from customer360.domain.housing import HousingApplicationRecord, NewHousingApplication, TenancyRecord
from customer360.domain.moving import MoveNotice
from customer360.domain.payments import NewPayment, PaymentPosting, PaymentRecord
from customer360.domain.people import NewContact, PersonRecord
from customer360.domain.reporting import StreetReportReceipt, StreetReportSubmission
from customer360.domain.requests import NewCase, ServiceRequestRecord
from customer360.domain.services import ServiceDefinitionRecord


class PeopleSource(Protocol):
    """Every back office can list the people it knows: the feed the golden record is linked from."""

    async def person_records(self) -> Sequence[PersonRecord]: ...

    async def ping(self) -> None: ...


class CouncilTaxSource(PeopleSource, Protocol):
    async def accounts_by_party(self, party_ids: Sequence[str]) -> Mapping[str, list[CouncilTaxAccountRecord]]: ...

    async def accounts_by_reference(self, references: Sequence[str]) -> Mapping[str, CouncilTaxAccountRecord]: ...

    # Writes: each is idempotent by the external (customer360) reference it carries.
    async def apply_single_person_discount(self, application: DiscountApplication) -> str: ...

    async def end_single_person_discount(self, ending: DiscountEnding) -> str: ...

    async def post_payment(self, posting: PaymentPosting) -> str: ...

    # Closes the party's current account(s) and/or opens one at the new address; answers the new
    # account's reference (IN, WITHIN), the closed one's (OUT), or "" when leaving with none open.
    async def record_move(self, notice: MoveNotice) -> str: ...


class BenefitsSource(PeopleSource, Protocol):
    async def claims_by_claimant(self, claimant_ids: Sequence[str]) -> Mapping[str, list[BenefitClaimRecord]]: ...

    # Writes: each is idempotent by the external (customer360) reference it carries.
    # A change of circumstances: the claimant's new address; answers the change's id.
    async def record_address_change(self, notice: MoveNotice) -> str: ...


class HousingSource(PeopleSource, Protocol):
    async def applications_by_applicant(
        self, applicant_ids: Sequence[str]
    ) -> Mapping[str, list[HousingApplicationRecord]]: ...

    async def tenancies_by_applicant(self, applicant_ids: Sequence[str]) -> Mapping[str, list[TenancyRecord]]: ...

    # Writes: each is idempotent by the external (customer360) reference it carries.
    async def create_applicant(self, contact: NewContact) -> str: ...

    # Answers the housing register reference (SUBMITTED, not yet banded).
    async def create_application(self, application: NewHousingApplication) -> str: ...

    async def record_address_change(self, notice: MoveNotice) -> str: ...


class CrmSource(PeopleSource, Protocol):
    async def services(self) -> Sequence[ServiceDefinitionRecord]: ...

    async def complaints_by_contact(self, contact_ids: Sequence[str]) -> Mapping[str, list[ComplaintRecord]]: ...

    async def complaints_by_reference(self, references: Sequence[str]) -> Mapping[str, ComplaintRecord]: ...

    async def cases_by_contact(self, contact_ids: Sequence[str]) -> Mapping[str, list[ServiceRequestRecord]]: ...

    # Writes: each is idempotent by the external (customer360) reference it carries.
    async def create_contact(self, contact: NewContact) -> str: ...

    async def create_complaint(self, complaint: NewComplaint) -> str: ...

    async def escalate_complaint(self, reference: str, reason: str, escalated_at: datetime) -> str: ...

    async def create_case(self, case: NewCase) -> str: ...

    async def record_address_change(self, notice: MoveNotice) -> str: ...


class StreetSceneSource(PeopleSource, Protocol):
    """An Open311 GeoReport v2 endpoint."""

    async def services(self) -> Sequence[ServiceDefinitionRecord]: ...

    # Read live, never cached: a delivery checks the report still fits what the back office asks now.
    async def service(self, code: str) -> ServiceDefinitionRecord | None: ...

    # Empty when the server has no `account_id` extension: the requests are then found by id.
    async def requests_by_reporter(self, reporter_ids: Sequence[str]) -> Mapping[str, list[ServiceRequestRecord]]: ...

    # The standard's batch read, by the back office's ids the gateway kept when it filed each report.
    async def requests_by_id(self, request_ids: Sequence[str]) -> Mapping[str, ServiceRequestRecord]: ...

    async def requests_near(
        self, latitude: float, longitude: float, radius_metres: int, service_code: str | None
    ) -> list[ServiceRequestRecord]: ...

    # Idempotent by the submission's external (customer360) reference; answers the back office's request id.
    # Raises `SourceRejected` (refused for good: do not retry) or `SourceUnavailable` (retry later).
    async def submit_request(self, submission: StreetReportSubmission) -> StreetReportReceipt: ...


class PaymentsSource(PeopleSource, Protocol):
    """A GOV.UK Pay-shaped payments API."""

    async def payments_by_payer(self, payer_ids: Sequence[str]) -> Mapping[str, list[PaymentRecord]]: ...

    async def payments_by_id(self, payment_ids: Sequence[str]) -> Mapping[str, PaymentRecord]: ...

    async def create_payment(self, payment: NewPayment) -> PaymentRecord: ...
