"""A resident's council tenancy and rent account (HOUSING_MANAGEMENT)."""

from __future__ import annotations

from datetime import date
from typing import Self

import strawberry

from customer360.domain.rent import RentLineKind, arrears, credit
from customer360.domain.tenancies import CouncilTenancyRecord, TenureType
from customer360.resolvers.tenancies import RentAccountView, weekly_charge_now
from customer360.schema.node import to_global_id
from customer360.schema.values import Money

strawberry.enum(TenureType, name="TenureType")
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
    next_due: date = strawberry.field(description="The next Monday rent is due (rent-free weeks skipped).")
    statement: list[RentStatementLine] = strawberry.field(
        description="The last 13 weeks after a balance brought forward; the lines add up to the balance."
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


@strawberry.type(description="A council tenancy held by the resident.")
class Tenancy:
    id: strawberry.ID
    reference: str
    address: str
    postcode: str
    start_date: date
    end_date: date | None
    tenure_type: TenureType
    rent_account: RentAccount

    @classmethod
    def from_record(cls, record: CouncilTenancyRecord, view: RentAccountView, today: date) -> Self:
        return cls(
            id=to_global_id("Tenancy", record.tenancy_ref),
            reference=record.tenancy_ref,
            address=f"{record.line1}, {record.postcode}",
            postcode=record.postcode,
            start_date=record.starts_on,
            end_date=record.ends_on,
            tenure_type=record.tenure,
            rent_account=RentAccount.from_view(view, today),
        )
