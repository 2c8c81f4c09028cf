"""The Query root: thin fields that hand over to `resolvers/` and wrap records in types."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import strawberry
from strawberry.types import Info

from customer360.domain.requests import RequestStatus
from customer360.resolvers import case_queue as queue
from customer360.resolvers import customers as resolve
from customer360.resolvers import nearby, nodes
from customer360.resolvers import services as catalogue
from customer360.resolvers.context import Context
from customer360.resolvers.tracking import Tracked
from customer360.schema.analytics import AnalyticsQuery
from customer360.schema.casework import HousingApplication
from customer360.schema.council_tax import CouncilTaxAccount, Discount
from customer360.schema.customer import Customer, CustomerConnection, CustomerEdge
from customer360.schema.delivery_cases import DeliveryCaseConnection, delivery_cases
from customer360.schema.feedback import SatisfactionQuery
from customer360.schema.gazetteer import addresses
from customer360.schema.node import Node, from_global_id, key_of
from customer360.schema.payments import Payment
from customer360.schema.requests import (
    Complaint,
    LocationInput,
    ServiceDefinition,
    ServiceRequest,
    ServiceRequestConnection,
    ServiceRequestEdge,
)
from customer360.schema.safeguarding import (
    SafeguardingCaseConnection,
    SafeguardingReceipt,
    safeguarding_cases,
    safeguarding_receipt,
)
from customer360.schema.stewardship import MatchCandidateConnection, match_review_queue
from customer360.schema.tenancies import Repair, Tenancy
from customer360.schema.values import Address, PageInfo

# Global id type name -> (how to load and authorize it, how to present it).
NODE_KINDS: dict[str, tuple[Callable[[Info[Context, Any], str], Awaitable[Any]], Callable[[Any], Node]]] = {
    "Customer": (nodes.customer, Customer.from_record),
    "CouncilTaxAccount": (nodes.council_tax_account, CouncilTaxAccount.from_record),
    "Discount": (nodes.discount, Discount.from_record),
    "Complaint": (nodes.complaint, Complaint.from_record),
    "Payment": (nodes.payment, Payment.from_record),
    "ServiceRequest": (nodes.service_request, ServiceRequest.from_record),
    "HousingApplication": (nodes.housing_application, HousingApplication.from_record),
    "Tenancy": (Tenancy.load, lambda tenancy: tenancy),  # loaded already presented (it needs today's rent)
    "Repair": (Repair.load, lambda repair: repair),  # loaded already presented (it needs the time now)
}


@strawberry.type
class Query(AnalyticsQuery, SatisfactionQuery):
    @strawberry.field(description="The signed-in resident's golden record; null when nobody is signed in.")
    async def me(self, info: Info[Context, Any]) -> Customer | None:
        record = await resolve.me(info)
        return Customer.from_record(record) if record else None

    @strawberry.field(description="Staff: one customer by global id (null if unknown or not yours to see).")
    async def customer(self, info: Info[Context, Any], id: strawberry.ID) -> Customer | None:
        customer_id = key_of("Customer", id)
        if customer_id is None:
            return None
        record = await resolve.customer(info, customer_id)
        return Customer.from_record(record) if record else None

    @strawberry.field(description="Staff: customers whose name, email or postcode contain every word of the query.")
    async def search_customers(
        self, info: Info[Context, Any], query: str, first: int | None = 20, after: str | None = None
    ) -> CustomerConnection:
        page = await resolve.search_customers(info, query, first or 20, after)
        edges = [CustomerEdge(cursor=page.end_cursor or "", node=Customer.from_record(c)) for c in page.customers]
        return CustomerConnection(
            edges=edges, page_info=PageInfo(has_next_page=page.has_next_page, end_cursor=page.end_cursor)
        )

    @strawberry.field(description="Any object by its global id, if the signed-in principal may see it.")
    async def node(self, info: Info[Context, Any], id: strawberry.ID) -> Node | None:
        decoded = from_global_id(id)
        if decoded is None or decoded[0] not in NODE_KINDS:
            return None
        load, present = NODE_KINDS[decoded[0]]
        record = await load(info, decoded[1])
        return present(record) if record is not None else None

    @strawberry.field(description="Reports already made near a place (public; who reported them is never shown).")
    async def nearby_requests(
        self,
        info: Info[Context, Any],
        location: LocationInput,
        radius_metres: int | None = 200,
        service_code: str | None = None,
    ) -> list[ServiceRequest]:
        found = await nearby.nearby_requests(
            info, location.latitude, location.longitude, location.uprn, radius_metres or 200, service_code
        )
        return [ServiceRequest.from_record(Tracked(r, r.external_reference or r.reference)) for r in found]

    safeguarding_cases: SafeguardingCaseConnection = strawberry.field(
        resolver=safeguarding_cases,
        description="Safeguarding staff: concerns in the agencies' queues, most urgent first. Every read is audited.",
    )
    safeguarding_receipt: SafeguardingReceipt | None = strawberry.field(
        resolver=safeguarding_receipt, description="Whether a safeguarding concern was received, by its reference."
    )

    delivery_cases: DeliveryCaseConnection = strawberry.field(
        resolver=delivery_cases,
        description=(
            "Staff: deliveries a back office refused for good, for the team that owns them (default: every "
            "team of yours; `openOnly: false` includes resolved ones), newest first. Every read is audited."
        ),
    )

    match_review_queue: MatchCandidateConnection = strawberry.field(
        resolver=match_review_queue,
        description="Data stewards: pairs of records the matcher could not decide alone, the most likely first.",
    )

    @strawberry.field(
        description="Staff: open cases in a team's CRM queue (every queue you work when no team), soonest due "
        "first, so the overdue lead; `status` narrows it (default SUBMITTED and IN_PROGRESS)."
    )
    async def case_queue(
        self,
        info: Info[Context, Any],
        team: str | None = None,
        status: list[RequestStatus] | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> ServiceRequestConnection:
        statuses = [RequestStatus(s) for s in status] if status else None
        page = await queue.case_queue(info, team, statuses, first, after)
        return ServiceRequestConnection(
            edges=[
                ServiceRequestEdge(cursor=cursor, node=ServiceRequest.from_record(tracked))
                for tracked, cursor in zip(page.items, page.cursors, strict=True)
            ],
            page_info=PageInfo(has_next_page=page.has_next_page, end_cursor=page.end_cursor),
            total_count=page.total_count,
        )

    addresses: list[Address] = strawberry.field(
        resolver=addresses,
        description="Addresses in the borough at a postcode, or in a street whose name contains the search, "
        "from the council's gazetteer (at most 50). `search` is 2 to 100 characters (else BAD_USER_INPUT). Public.",
    )

    @strawberry.field(description="What can be reported or applied for. Public.")
    async def services(self, info: Info[Context, Any]) -> list[ServiceDefinition]:
        found = await catalogue.services(info)
        return [ServiceDefinition.from_record(s, found.defined.get(s.code)) for s in found.services]
