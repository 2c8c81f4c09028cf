"""The golden record as clients see it: one `Customer` assembled from every back office."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Self

import strawberry
from strawberry.types import Info

from customer360.auth.policy import can_see_records_of
from customer360.domain.customers import GoldenRecord, RecordLink
from customer360.domain.requests import RequestStatus
from customer360.domain.systems import SourceSystem
from customer360.resolvers import (
    access_grants,
    access_log,
    casework,
    contact,
    council_tax,
    my_requests,
    nodes,
    tenancies,
)
from customer360.resolvers import customers as resolve
from customer360.resolvers.context import Context
from customer360.resolvers.pagination import Page
from customer360.schema.access import AccessGrant
from customer360.schema.casework import BenefitClaim, HousingApplication
from customer360.schema.channel import Channel
from customer360.schema.council_tax import CouncilTaxAccount, Discount
from customer360.schema.direct_debit import DirectDebitInstruction, direct_debits_of
from customer360.schema.node import ENTITY_KEY, Node, entity, key_of, to_global_id
from customer360.schema.notifications import (
    ContactPreferences,
    Notification,
    NotificationConnection,
    NotificationEdge,
)
from customer360.schema.payments import Payment, PaymentConnection, PaymentEdge
from customer360.schema.requests import (
    Complaint,
    ComplaintConnection,
    ComplaintEdge,
    ServiceRequest,
    ServiceRequestConnection,
    ServiceRequestEdge,
)
from customer360.schema.tenancies import Tenancy
from customer360.schema.values import Address, PageInfo
from customer360.sources.benefits import BENEFITS


@strawberry.type(description="A back-office record linked to this person, and how sure the link is (0..1).")
class LinkedRecord:
    id: strawberry.ID = strawberry.field(description="What `unmergeCustomer` takes to split this record off.")
    system: SourceSystem
    record_id: str
    confidence: float
    rule: str

    @classmethod
    def from_record(cls, record: RecordLink) -> Self:
        return cls(
            id=to_global_id("LinkedRecord", f"{record.system.value}:{record.record_id}"),
            system=record.system,
            record_id=record.record_id,
            confidence=record.confidence,
            rule=record.rule,
        )


def linked_record_key(value: str) -> tuple[SourceSystem, str] | None:
    """A `LinkedRecord.id` back to (system, record id); None for anything else."""
    key = key_of("LinkedRecord", value)
    if key is None:
        return None
    system, _, record_id = key.partition(":")
    if system not in SourceSystem.__members__ or not record_id:
        return None
    return SourceSystem(system), record_id


@strawberry.type(description="Which back office each value of the golden record came from (survivorship).")
class FieldSource:
    field: str
    system: SourceSystem | None


@strawberry.type(description="A council team looked at this record: when, which team, and why.")
class AccessLogEntry:
    at: datetime
    role: str | None
    team: str | None
    purpose: str | None
    summary: str | None = strawberry.field(
        default=None, description='What was done for you, e.g. "Made for you by Customer services by phone".'
    )
    channel: Channel | None = strawberry.field(default=None, description="How what was done for you was done.")


@strawberry.type
class AccessLogEdge:
    cursor: str
    node: AccessLogEntry


@strawberry.type
class AccessLogConnection:
    edges: list[AccessLogEdge]
    page_info: PageInfo


@strawberry.type(
    description="The golden record: one person, however many back offices hold them.", directives=[ENTITY_KEY]
)
class Customer(Node):
    record: strawberry.Private[GoldenRecord]
    name: str
    email: str | None
    phone: str | None
    date_of_birth: date | None
    address: Address | None

    @classmethod
    async def resolve_reference(cls, info: Info[Context, Any], id: strawberry.ID) -> Self | None:
        """A gateway's representation, checked exactly as `node(id:)` is (`schema/node.py` `entity`)."""
        record = await entity(info, "Customer", id, nodes.customer)
        return cls.from_record(record) if record is not None else None

    @classmethod
    def from_record(cls, record: GoldenRecord) -> Self:
        return cls(
            id=to_global_id("Customer", record.customer_id),
            record=record,
            name=record.name,
            email=record.email,
            phone=record.phone,
            date_of_birth=record.date_of_birth,
            address=Address.from_record(record.address) if record.address else None,
        )

    @strawberry.field(
        description="Where each value came from: the most recently confirmed record first, then source priority."
    )
    def field_sources(self) -> list[FieldSource]:
        record = self.record
        return [
            FieldSource(field="name", system=record.name_source),
            FieldSource(field="email", system=record.email_source),
            FieldSource(field="phone", system=record.phone_source),
            FieldSource(field="dateOfBirth", system=record.date_of_birth_source),
            FieldSource(field="address", system=record.address_source),
        ]

    @strawberry.field
    async def linked_records(self, info: Info[Context, Any]) -> list[LinkedRecord]:
        return [LinkedRecord.from_record(link) for link in await resolve.linked_records(info, self.record.customer_id)]

    @strawberry.field
    async def council_tax_accounts(self, info: Info[Context, Any]) -> list[CouncilTaxAccount]:
        found = await council_tax.accounts(info, self.record.customer_id)
        return [CouncilTaxAccount.from_record(account) for account in found]

    @strawberry.field
    async def discounts(self, info: Info[Context, Any]) -> list[Discount]:
        return [Discount.from_record(d) for d in await council_tax.discounts(info, self.record.customer_id)]

    @strawberry.field(description="Benefit details: the resident, and the benefits and customer services teams.")
    async def benefit_claims(self, info: Info[Context, Any]) -> list[BenefitClaim]:
        if not can_see_records_of(info.context.principal, BENEFITS, self.record.customer_id):
            info.context.report_forbidden(info, "benefit details are for the benefits and customer services teams")
            return []
        return [BenefitClaim.from_record(c) for c in await casework.benefit_claims(info, self.record.customer_id)]

    @strawberry.field(description="Who at the council looked at this record, when, and why. Newest first.")
    async def access_log(
        self, info: Info[Context, Any], first: int | None = 20, after: str | None = None
    ) -> AccessLogConnection:
        entries, more = await access_log.access_log(info, self.record.customer_id, first, after)
        edges = [
            AccessLogEdge(
                cursor=cursor,
                node=AccessLogEntry(
                    at=entry.at,
                    role=entry.role,
                    team=entry.team,
                    purpose=entry.purpose,
                    summary=access_log.summary(entry),
                    channel=Channel.of(channel) if (channel := (entry.detail or {}).get("channel")) else None,
                ),
            )
            for entry, cursor in entries
        ]
        return AccessLogConnection(
            edges=edges, page_info=PageInfo(has_next_page=more, end_cursor=edges[-1].cursor if edges else None)
        )

    @strawberry.field(description="Who you let see or act for you (revoked and expired ones too). Newest first.")
    async def access_grants(self, info: Info[Context, Any]) -> list[AccessGrant]:
        found = await access_grants.given_by(info, self.record.customer_id)
        return [AccessGrant.from_record(grant, info.context.today) for grant in found]

    @strawberry.field(description="The grants others gave you (on your own record): whom you may act for, today.")
    async def acting_for(self, info: Info[Context, Any]) -> list[AccessGrant]:
        found = await access_grants.held_by(info, self.record.customer_id)
        return [AccessGrant.from_record(grant, info.context.today) for grant in found]

    @strawberry.field(
        description="Direct Debits on the Council Tax and rent accounts, newest first (bank details masked)."
    )
    async def direct_debits(self, info: Info[Context, Any]) -> list[DirectDebitInstruction]:
        return await direct_debits_of(info, self.record.customer_id)

    @strawberry.field(description="Council tenancies, each with its rent account (HOUSING_MANAGEMENT).")
    async def tenancies(self, info: Info[Context, Any]) -> list[Tenancy]:
        today = info.context.today
        return [
            Tenancy.from_record(held, tenancies.rent_account(held, today), today, tenancies.now())
            for held in await tenancies.tenancies(info, self.record.customer_id)
        ]

    @strawberry.field
    async def housing_applications(self, info: Info[Context, Any]) -> list[HousingApplication]:
        found = await casework.housing_applications(info, self.record.customer_id)
        return [HousingApplication.from_record(application) for application in found]

    @strawberry.field(description='"My Requests": everything asked for in every back office, newest activity first.')
    async def requests(
        self,
        info: Info[Context, Any],
        status: list[RequestStatus] | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> ServiceRequestConnection:
        statuses = [RequestStatus(s) for s in status] if status else None
        page = await my_requests.requests(info, self.record.customer_id, statuses, first, after)
        return ServiceRequestConnection(
            edges=[ServiceRequestEdge(cursor=c, node=ServiceRequest.from_record(r)) for r, c in _pairs(page)],
            page_info=_page_info(page),
            total_count=page.total_count,
        )

    @strawberry.field
    async def complaints(
        self, info: Info[Context, Any], first: int | None = None, after: str | None = None
    ) -> ComplaintConnection:
        page = await casework.complaints(info, self.record.customer_id, first, after)
        return ComplaintConnection(
            edges=[ComplaintEdge(cursor=c, node=Complaint.from_record(r)) for r, c in _pairs(page)],
            page_info=_page_info(page),
            total_count=page.total_count,
        )

    @strawberry.field
    async def payments(
        self, info: Info[Context, Any], first: int | None = None, after: str | None = None
    ) -> PaymentConnection:
        page = await casework.payments(info, self.record.customer_id, first, after)
        return PaymentConnection(
            edges=[PaymentEdge(cursor=c, node=Payment.from_record(r)) for r, c in _pairs(page)],
            page_info=_page_info(page),
            total_count=page.total_count,
        )

    @strawberry.field(description="How they want to be told of their requests (GOV.UK Notify e-mail and text).")
    async def contact_preferences(self, info: Info[Context, Any]) -> ContactPreferences:
        return ContactPreferences.from_record(await contact.contact_preferences(info, self.record))

    @strawberry.field(description="Messages sent to them about their requests, newest first.")
    async def notifications(
        self, info: Info[Context, Any], first: int | None = None, after: str | None = None
    ) -> NotificationConnection:
        page = await contact.notifications(info, self.record.customer_id, first, after)
        return NotificationConnection(
            edges=[NotificationEdge(cursor=c, node=Notification.from_record(r)) for r, c in _pairs(page)],
            page_info=_page_info(page),
            total_count=page.total_count,
        )


@strawberry.type
class CustomerEdge:
    cursor: str
    node: Customer


@strawberry.type
class CustomerConnection:
    edges: list[CustomerEdge]
    page_info: PageInfo


def _pairs(page: Page[Any]) -> list[tuple[Any, str]]:
    return list(zip(page.items, page.cursors, strict=True))


def _page_info(page: Page[Any]) -> PageInfo:
    return PageInfo(has_next_page=page.has_next_page, end_cursor=page.end_cursor)
