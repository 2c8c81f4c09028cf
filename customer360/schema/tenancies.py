"""A resident's council tenancy and rent account (HOUSING_MANAGEMENT)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Self

import strawberry
from strawberry.types import Info

from customer360.clock import LONDON
from customer360.domain.rent import RentLineKind, arrears, credit
from customer360.domain.repairs import (
    Hazard,
    RepairCategory,
    RepairPriority,
    RepairRecord,
    RepairStep,
    about_to_miss,
    deadlines,
    missed,
)
from customer360.domain.tenancies import CouncilTenancyRecord, TenureType
from customer360.resolvers import tenancies
from customer360.resolvers.context import Context
from customer360.resolvers.pagination import paginate
from customer360.resolvers.tenancies import RentAccountView, weekly_charge_now
from customer360.schema.direct_debit import DirectDebitInstruction
from customer360.schema.node import ENTITY_KEY, Node, entity, to_global_id
from customer360.schema.values import Money, PageInfo

strawberry.enum(TenureType, name="TenureType")
strawberry.enum(RepairCategory, name="RepairCategory")
strawberry.enum(Hazard, name="RepairHazard")
strawberry.enum(RepairPriority, name="RepairPriority")
strawberry.enum(RepairStep, name="RepairStep")


@strawberry.type(description="A deadline the council must meet; Awaab's Law's are legal duties.")
class RepairDeadline:
    kind: RepairStep
    due: date = strawberry.field(description="The last day it may be done on.")
    due_at: datetime | None = strawberry.field(description="For a deadline in hours, the moment itself.")
    awaabs_law: bool
    about_to_miss: bool = strawberry.field(description="Open, and due within hours or on the next working day.")
    missed: bool


@strawberry.type(description="A repair to a council home; `node(id:)` finds it for those who may see its tenancy.")
class Repair(Node):
    reference: str = strawberry.field(description="The C360- reference when reported here, else the housing team's.")
    back_office_reference: str | None = strawberry.field(description="The housing team's own, once it has one.")
    tenancy_reference: str
    category: RepairCategory
    room: str
    hazard: Hazard
    priority: RepairPriority
    status: str
    reported_at: datetime
    completed_on: date | None
    deadlines: list[RepairDeadline] = strawberry.field(description="Every deadline, Awaab's Law's first on a tie.")
    about_to_miss: bool = strawberry.field(description="An open repair with a deadline about to be missed.")

    @classmethod
    def from_record(cls, record: RepairRecord, now: datetime) -> Self:
        reference = record.external_reference or record.reference
        due = deadlines(record.reported_at.astimezone(LONDON), record.priority, record.hazard, record.investigated_on)
        shown = [
            RepairDeadline(
                kind=d.step,
                due=d.due_on,
                due_at=d.due_at,
                awaabs_law=d.awaabs_law,
                about_to_miss=record.open and about_to_miss(d, now),
                missed=record.open and missed(d, now),
            )
            for d in due
        ]
        return cls(
            id=to_global_id("Repair", reference),
            reference=reference,
            back_office_reference=record.reference if record.reference != reference else None,
            tenancy_reference=record.tenancy_ref,
            category=record.category,
            room=record.room,
            hazard=record.hazard,
            priority=record.priority,
            status=record.status,
            reported_at=record.reported_at,
            completed_on=record.completed_on,
            deadlines=shown,
            about_to_miss=any(d.about_to_miss for d in shown),
        )

    @classmethod
    async def load(cls, info: Info[Context, Any], reference: str) -> Self | None:
        """By the reference its id carries, for `node(id:)`: checked as its tenancy is (`Tenancy.load`)."""
        record = await tenancies.repair(info, reference)
        return cls.from_record(record, tenancies.now()) if record is not None else None


strawberry.enum(RentLineKind, name="RentLineKind")


@strawberry.type(description="This rent year's weekly charge: rent and service charges, due each Monday.")
class WeeklyRent:
    rent: Money
    service_charges: Money
    total: Money


@strawberry.type(description="One line of a rent statement; a charge is positive, money received negative.")
class RentStatementLine:
    posted_on: date
    kind: RentLineKind
    description: str
    amount: Money
    balance: Money = strawberry.field(description="The running balance after this line.")


@strawberry.type
class RentAccount:
    reference: str = strawberry.field(description="What to quote when paying: the tenancy reference.")
    weekly_rent: WeeklyRent | None = strawberry.field(description="Null when this rent year's charge is not set.")
    balance: Money = strawberry.field(description="Positive: arrears; negative: in credit.")
    arrears: Money
    credit: Money
    next_due: date = strawberry.field(
        description="The next Monday rent is due (rent-free weeks skipped); with a Direct Debit, its next collection."
    )
    statement: list[RentStatementLine] = strawberry.field(
        description="The last 13 weeks after a balance brought forward; the lines add up to the balance."
    )
    direct_debits: list[DirectDebitInstruction] = strawberry.field(
        description="As HOUSING_MANAGEMENT holds them, newest first (one on its way: `Customer.directDebits`)."
    )

    @classmethod
    def from_view(cls, view: RentAccountView, today: date) -> Self:
        charge = weekly_charge_now(view.tenancy, today)
        balance = view.statement.balance
        return cls(
            reference=view.tenancy.tenancy_ref,
            weekly_rent=WeeklyRent(
                rent=Money.of(charge[0]), service_charges=Money.of(charge[1]), total=Money.of(sum(charge))
            )
            if charge
            else None,
            balance=Money.of(balance),
            arrears=Money.of(arrears(balance)),
            credit=Money.of(credit(balance)),
            next_due=view.next_due_on,
            direct_debits=[DirectDebitInstruction.from_record(d) for d in view.tenancy.direct_debits],
            statement=[
                RentStatementLine(
                    posted_on=line.posted_on,
                    kind=line.kind,
                    description=line.description,
                    amount=Money.of(line.amount),
                    balance=Money.of(line.balance),
                )
                for line in view.statement.lines
            ],
        )


@strawberry.type
class RepairEdge:
    cursor: str
    node: Repair


@strawberry.type
class RepairConnection:
    edges: list[RepairEdge]
    page_info: PageInfo
    total_count: int


@strawberry.type(description="A council tenancy held by the resident.", directives=[ENTITY_KEY])
class Tenancy(Node):
    reference: str
    address: str
    postcode: str
    start_date: date
    end_date: date | None
    tenure_type: TenureType
    rent_account: RentAccount
    held_repairs: strawberry.Private[tuple[RepairRecord, ...]]
    now: strawberry.Private[datetime]

    @strawberry.field(description="Repairs to the home, newest first.")
    def repairs(self, first: int | None = None, after: str | None = None) -> RepairConnection:
        page = paginate(self.held_repairs, lambda repair: (repair.reported_at, repair.reference), first, after)
        return RepairConnection(
            edges=[
                RepairEdge(cursor=cursor, node=Repair.from_record(repair, self.now))
                for repair, cursor in zip(page.items, page.cursors, strict=True)
            ],
            page_info=PageInfo(has_next_page=page.has_next_page, end_cursor=page.end_cursor),
            total_count=page.total_count,
        )

    @classmethod
    async def resolve_reference(cls, info: Info[Context, Any], id: strawberry.ID) -> Self | None:
        """A gateway's representation, checked as `Customer.tenancies` and `node(id:)` check (`schema/node.py`)."""
        found: Self | None = await entity(info, "Tenancy", id, cls.load)
        return found

    @classmethod
    async def load(cls, info: Info[Context, Any], reference: str) -> Self | None:
        """By tenancy reference, for `node(id:)` and `_entities` alike: its tenant, and housing and customer
        services staff (`resolvers/tenancies.tenancy`); anyone else gets null, as for an unknown one."""
        record = await tenancies.tenancy(info, reference)
        if record is None:
            return None
        today = info.context.today
        return cls.from_record(record, tenancies.rent_account(record, today), today, tenancies.now())

    @classmethod
    def from_record(cls, record: CouncilTenancyRecord, view: RentAccountView, today: date, now: datetime) -> Self:
        return cls(
            id=to_global_id("Tenancy", record.tenancy_ref),
            reference=record.tenancy_ref,
            address=f"{record.line1}, {record.postcode}",
            postcode=record.postcode,
            start_date=record.starts_on,
            end_date=record.ends_on,
            tenure_type=record.tenure,
            rent_account=RentAccount.from_view(view, today),
            held_repairs=tuple(record.repairs),
            now=now,
        )
