"""Council Tax types: accounts, instalments, the latest statement, discounts."""

from __future__ import annotations

from datetime import date
from typing import Any, Self

import strawberry
from strawberry.types import Info

from customer360.domain import council_tax as rules
from customer360.domain.council_tax import (
    CouncilTaxAccountRecord,
    DiscountKind,
    DiscountRecord,
    DiscountStatus,
    InstalmentStatus,
    StatementLineKind,
)
from customer360.domain.discount_preview import previewed_schedule
from customer360.resolvers import council_tax as resolve
from customer360.resolvers import nodes
from customer360.resolvers.context import Context
from customer360.schema.direct_debit import DirectDebitInstruction
from customer360.schema.node import ENTITY_KEY, Node, entity, to_global_id
from customer360.schema.values import Address, Money

strawberry.enum(InstalmentStatus)
strawberry.enum(StatementLineKind)
strawberry.enum(DiscountKind)
strawberry.enum(DiscountStatus)


@strawberry.type
class Instalment:
    due_date: date
    amount: Money
    status: InstalmentStatus
    paid: Money

    @classmethod
    def from_record(cls, record: rules.Instalment) -> Self:
        return cls(
            due_date=record.due_date,
            amount=Money.of(record.amount_pence),
            status=record.status,
            paid=Money.of(record.paid_pence),
        )


@strawberry.type(description="A signed posting: charges positive, credits negative.")
class StatementLine:
    date: date
    description: str
    kind: StatementLineKind
    amount: Money

    @classmethod
    def from_record(cls, record: rules.Transaction) -> Self:
        return cls(
            date=record.posted_on,
            description=record.description,
            kind=record.kind,
            amount=Money.of(record.amount_pence),
        )


@strawberry.type(description="The statement for this financial year to date; its lines add up to closingBalance.")
class Statement:
    issued_on: date
    period_start: date
    period_end: date
    lines: list[StatementLine]
    closing_balance: Money

    @classmethod
    def from_record(cls, record: rules.Statement) -> Self:
        return cls(
            issued_on=record.issued_on,
            period_start=record.period_start,
            period_end=record.period_end,
            lines=[StatementLine.from_record(line) for line in record.lines],
            closing_balance=Money.of(record.closing_balance_pence),
        )


@strawberry.type
class Discount(Node):
    record: strawberry.Private[DiscountRecord]
    kind: DiscountKind
    status: DiscountStatus
    percent: int
    starts_on: date
    ends_on: date | None
    account_reference: str
    reference: str | None = strawberry.field(
        description="The `C360-` reference the resident was given, when they applied through customer360."
    )

    @classmethod
    def from_record(cls, record: DiscountRecord) -> Self:
        return cls(
            # Keyed by the C360- reference when applied for through us: the id the mutation returned
            # names the same discount before and after REVENUES has it.
            id=to_global_id("Discount", _discount_key(record)),
            record=record,
            kind=record.kind,
            status=record.status,
            percent=record.percent,
            starts_on=record.starts_on,
            ends_on=record.ends_on,
            account_reference=record.account_reference,
            reference=record.external_reference,
        )


def _discount_key(record: DiscountRecord) -> str:
    return f"{record.account_reference}/{record.external_reference or record.discount_id}"


@strawberry.type(directives=[ENTITY_KEY])
class CouncilTaxAccount(Node):
    record: strawberry.Private[CouncilTaxAccountRecord]
    reference: str
    property_address: Address
    band: str
    annual_charge: Money = strawberry.field(description="The full-year charge for the band, before discounts.")
    balance: Money = strawberry.field(description="What is owed now: the sum of every posting.")
    liable_from: date
    liable_to: date | None

    @classmethod
    async def resolve_reference(cls, info: Info[Context, Any], id: strawberry.ID) -> Self | None:
        """A gateway's representation, checked exactly as `node(id:)` is (`schema/node.py` `entity`)."""
        record = await entity(info, "CouncilTaxAccount", id, nodes.council_tax_account)
        return cls.from_record(record) if record is not None else None

    @classmethod
    def from_record(cls, record: CouncilTaxAccountRecord) -> Self:
        return cls(
            id=to_global_id("CouncilTaxAccount", record.reference),
            record=record,
            reference=record.reference,
            property_address=Address.from_record(record.property_address),
            band=record.band,
            annual_charge=Money.of(record.annual_charge_pence),
            balance=Money.of(rules.balance(record.transactions)),
            liable_from=record.liable_from,
            liable_to=record.liable_to,
        )

    @strawberry.field
    def instalments(self, info: Info[Context, Any]) -> list[Instalment]:
        return [Instalment.from_record(item) for item in resolve.instalments(self.record, info.context.today)]

    @strawberry.field
    def next_instalment(self, info: Info[Context, Any]) -> Instalment | None:
        upcoming = rules.next_instalment(resolve.instalments(self.record, info.context.today))
        return Instalment.from_record(upcoming) if upcoming else None

    @strawberry.field
    def latest_statement(self, info: Info[Context, Any]) -> Statement | None:
        found = resolve.statement(self.record, info.context.today)
        return Statement.from_record(found) if found else None

    @strawberry.field(
        description="The instalments as they would be with a single person discount from `startsOn`, or with "
        "the current one ending on `endsOn` (give one): shown before the resident confirms; nothing is changed. "
        "Null when there is nothing to preview."
    )
    def instalments_with_single_person_discount(
        self, info: Info[Context, Any], starts_on: date | None = None, ends_on: date | None = None
    ) -> list[Instalment] | None:
        today = info.context.today
        schedule = previewed_schedule(self.record, today, starts_on=starts_on, ends_on=ends_on)
        if schedule is None:
            return None
        paid = rules.paid_towards_instalments(self.record.transactions)
        return [Instalment.from_record(item) for item in rules.instalments_with_status(schedule, paid, today)]

    @strawberry.field
    def discounts(self, info: Info[Context, Any]) -> list[Discount]:
        return [Discount.from_record(rules.as_of(discount, info.context.today)) for discount in self.record.discounts]

    @strawberry.field(description="As REVENUES holds them, newest first (one on its way: `Customer.directDebits`).")
    def direct_debits(self) -> list[DirectDebitInstruction]:
        return [DirectDebitInstruction.from_record(instruction) for instruction in self.record.direct_debits]
