"""Direct Debit instructions as a SQL back office holds them (REVENUES for Council Tax, HOUSING_MANAGEMENT
for rent): the same two tables in each office's own database, beside the accounts they collect for.

The office lodges an instruction with the payer's bank (Bacs AUDDIS); the bank's refusals (ADDACS: the
account is closed, there is no such account, it does not take Direct Debits) are held in
`bank_refusals`, which the demo council seeds as a real bank would answer. A refused instruction is
kept, REJECTED with the bank's reason, so the resident is told by its status; it is never lost.
Full bank details stay in the office's database: every record read out of it is masked.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, cast

from sqlalchemy import Column, Date, ForeignKey, Integer, MetaData, String, Table, bindparam, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql import Select

from customer360.domain.direct_debit import (
    DirectDebitCancellation,
    DirectDebitRecord,
    DirectDebitStatus,
    NewDirectDebit,
    masked_sort_code,
)
from customer360.domain.systems import SourceSystem


@dataclass(frozen=True)
class DirectDebitTables:
    instructions: Table
    bank_refusals: Table
    # An office that reads instructions apart from its accounts (HOUSING_MANAGEMENT's tenancies; REVENUES
    # reads them within its accounts' one statement) asks it on every read: built once, the accounts
    # bound at each call (`expanding`: an IN list of any length), as building it costs more gateway CPU
    # than SQLite takes to run it.
    on_accounts: Select[Any]


def direct_debit_tables(metadata: MetaData, account_key: str, prefix: str = "") -> DirectDebitTables:
    """The office's instruction tables, each instruction on one of its accounts (`account_key`). `prefix`
    keeps the names apart where two offices share one database (as the tests' PostgreSQL one does)."""
    instructions = Table(
        f"{prefix}direct_debits",
        metadata,
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("external_reference", String(40), unique=True, nullable=False, comment="customer360's reference"),
        Column("account_reference", String(16), ForeignKey(account_key), nullable=False, index=True),
        Column("account_holder_name", String(18)),
        Column("sort_code", String(6)),
        Column("account_number", String(8)),
        Column("payment_day", Integer),
        Column("status", String(10), nullable=False),
        Column("reason", String(80), comment="the bank's reason for refusing it"),
        Column("set_up_on", Date),
        Column("first_collection_on", Date),
        Column("cancelled_on", Date),
        Column("cancelled_by_reference", String(40)),
    )
    bank_refusals = Table(
        f"{prefix}bank_refusals",
        metadata,
        Column("sort_code", String(6), primary_key=True),
        Column("account_number", String(8), primary_key=True),
        Column("reason", String(80), nullable=False),
    )
    on_accounts = (
        select(instructions)
        .where(instructions.c.account_reference.in_(bindparam("accounts", expanding=True)))
        .order_by(instructions.c.id.desc())
    )
    return DirectDebitTables(instructions, bank_refusals, on_accounts)


async def lodge(
    conn: AsyncConnection, tables: DirectDebitTables, instruction: NewDirectDebit
) -> tuple[str, DirectDebitStatus]:
    """Record the instruction ACTIVE, or REJECTED with the bank's reason; answers its reference and status.
    A retry (the same external reference) changes nothing and answers the same; one cancelled before it
    arrived stays cancelled."""
    held = tables.instructions
    found = (
        await conn.execute(
            select(held.c.id, held.c.status).where(held.c.external_reference == instruction.external_reference)
        )
    ).first()
    if found is not None:
        return f"DDI{found.id}", DirectDebitStatus(found.status)
    bank = instruction.bank
    refusals = tables.bank_refusals
    reason = await conn.scalar(
        select(refusals.c.reason).where(
            refusals.c.sort_code == bank.sort_code, refusals.c.account_number == bank.account_number
        )
    )
    status = DirectDebitStatus.REJECTED if reason else DirectDebitStatus.ACTIVE
    result = await conn.execute(
        insert(held).values(
            external_reference=instruction.external_reference,
            account_reference=instruction.account_reference,
            account_holder_name=bank.account_holder_name,
            sort_code=bank.sort_code,
            account_number=bank.account_number,
            payment_day=instruction.payment_day,
            status=status.value,
            reason=reason,
            set_up_on=instruction.set_up_on,
            first_collection_on=instruction.first_collection_on,
        )
    )
    return f"DDI{result.inserted_primary_key[0]}", status  # type: ignore[index]


async def cancel(conn: AsyncConnection, tables: DirectDebitTables, cancellation: DirectDebitCancellation) -> str:
    """Cancel the instruction. One not here yet (its setting up is still on its way) is recorded
    cancelled now, so it arrives cancelled: the order the two are delivered in does not matter."""
    held = tables.instructions
    found = await conn.scalar(select(held.c.id).where(held.c.external_reference == cancellation.instruction_reference))
    if found is None:
        result = await conn.execute(
            insert(held).values(
                external_reference=cancellation.instruction_reference,
                account_reference=cancellation.account_reference,
                status=DirectDebitStatus.CANCELLED.value,
                cancelled_on=cancellation.cancelled_on,
                cancelled_by_reference=cancellation.external_reference,
            )
        )
        return f"DDI{result.inserted_primary_key[0]}"  # type: ignore[index]
    await conn.execute(
        update(held)
        .where(held.c.id == found, held.c.status == DirectDebitStatus.ACTIVE.value)
        .values(
            status=DirectDebitStatus.CANCELLED.value,
            cancelled_on=cancellation.cancelled_on,
            cancelled_by_reference=cancellation.external_reference,
        )
    )
    return f"DDI{found}"


async def instructions_on(
    conn: AsyncConnection, tables: DirectDebitTables, system: SourceSystem, accounts: Sequence[str]
) -> dict[str, list[DirectDebitRecord]]:
    """Each account's instructions, newest first, masked (the office keeps the details; nothing else does)."""
    rows = (await conn.execute(tables.on_accounts, {"accounts": list(accounts)})).all()
    found: dict[str, list[DirectDebitRecord]] = defaultdict(list)
    for row in rows:
        found[row.account_reference].append(
            instruction_record(
                system,
                instruction_id=row.id,
                reference=row.external_reference,
                account_reference=row.account_reference,
                account_holder_name=row.account_holder_name,
                sort_code=row.sort_code,
                account_number=row.account_number,
                payment_day=row.payment_day,
                status=row.status,
                set_up_on=row.set_up_on,
                cancelled_on=row.cancelled_on,
                first_collection_on=row.first_collection_on,
                reason=row.reason,
            )
        )
    return found


def instruction_record(
    system: SourceSystem,
    *,
    instruction_id: int,
    reference: str,
    account_reference: str,
    account_holder_name: str | None,
    sort_code: str | None,
    account_number: str | None,
    payment_day: int | None,
    status: str,
    set_up_on: date | None,
    cancelled_on: date | None,
    first_collection_on: date | None,
    reason: str | None,
) -> DirectDebitRecord:
    """One stored instruction as the gateway shows it, masked (also for an office that reads its
    instructions within a larger statement: REVENUES, with its accounts)."""
    return DirectDebitRecord(
        reference=reference,
        system=system,
        account_reference=account_reference,
        account_holder_name=account_holder_name or "",
        sort_code=masked_sort_code(sort_code) if sort_code else "",
        account_ending=(account_number or "")[-4:],
        payment_day=payment_day or 0,
        status=DirectDebitStatus(status),
        # Every stored instruction has one or the other: lodged (set up), or cancelled before it arrived.
        set_up_on=cast(date, set_up_on or cancelled_on),
        first_collection_on=first_collection_on,
        reason=reason,
        backoffice_reference=f"DDI{instruction_id}",
    )
