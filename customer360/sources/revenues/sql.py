"""REVENUES: the Council Tax system's own database, read with SQLAlchemy."""

from __future__ import annotations

import secrets
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    Column,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    and_,
    bindparam,
    cast,
    delete,
    func,
    insert,
    literal,
    null,
    or_,
    select,
    union_all,
    update,
)
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql import Select, Subquery

from customer360.domain.council_tax import (
    CouncilTaxAccountRecord,
    DiscountKind,
    DiscountRecord,
    DiscountStatus,
    ScheduledInstalment,
    StatementLineKind,
    Transaction,
    annual_charge,
    financial_year_start,
    paid_towards_instalments,
)
from customer360.domain.direct_debit import (
    DirectDebitCancellation,
    DirectDebitRecord,
    DirectDebitStatus,
    NewDirectDebit,
    moved_instalments,
)
from customer360.domain.discounts import (
    SINGLE_PERSON_PERCENT,
    DiscountApplication,
    DiscountEnding,
    Posting,
    current_single_person_discount,
    posting_for_end,
    posting_for_start,
)
from customer360.domain.moving import MoveKind, MoveNotice, move_in_charge, move_in_schedule, move_out, provisional_band
from customer360.domain.payments import PaymentPosting
from customer360.domain.people import PostalAddress
from customer360.domain.systems import SourceSystem
from customer360.sources import direct_debits_sql
from customer360.sources.errors import SourceRejected
from customer360.sources.instrumented import guarded
from customer360.sources.people_sql import PeopleSql
from customer360.sources.sql_columns import address_columns, person_columns, status_event_columns

metadata = MetaData()

parties = Table("parties", metadata, Column("party_id", String(12), primary_key=True), *person_columns())
properties = Table(
    "properties",
    metadata,
    Column("property_id", String(12), primary_key=True),
    Column("uprn", String(12)),
    Column("line1", String(200), nullable=False),
    Column("line2", String(200)),
    Column("town", String(100)),
    Column("postcode", String(10), nullable=False),
    Column("band", String(1), nullable=False),
)
band_d_charges = Table(
    "band_d_charges",
    metadata,
    Column("financial_year", Integer, primary_key=True, comment="the calendar year the FY starts in"),
    Column("pence", Integer, nullable=False),
)
accounts = Table(
    "accounts",
    metadata,
    Column("reference", String(12), primary_key=True),
    Column("party_id", String(12), ForeignKey("parties.party_id"), nullable=False, index=True),
    Column("property_id", String(12), ForeignKey("properties.property_id"), nullable=False),
    Column("liable_from", Date, nullable=False),
    Column("liable_to", Date),
    Column("financial_year", Integer, nullable=False),
)
instalments = Table(
    "instalments",
    metadata,
    Column("account_reference", String(12), ForeignKey("accounts.reference"), nullable=False, index=True),
    Column("due_date", Date, nullable=False),
    Column("amount_pence", Integer, nullable=False),
)
transactions = Table(
    "transactions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("account_reference", String(12), ForeignKey("accounts.reference"), nullable=False, index=True),
    Column("posted_on", Date, nullable=False),
    Column("kind", String(12), nullable=False),
    Column("description", String(200), nullable=False),
    Column("amount_pence", Integer, nullable=False),
    Column("external_reference", String(40), unique=True, comment="the posting system's reference"),
)
discounts = Table(
    "discounts",
    metadata,
    Column("discount_id", String(16), primary_key=True),
    Column("account_reference", String(12), ForeignKey("accounts.reference"), nullable=False, index=True),
    Column("kind", String(20), nullable=False),
    Column("status", String(10), nullable=False),
    Column("percent", Integer, nullable=False),
    Column("starts_on", Date, nullable=False),
    Column("ends_on", Date),
    Column("review_reason", String(400)),
    Column("external_reference", String(40), unique=True, comment="the submitting system's reference"),
    Column("ended_by_reference", String(40), unique=True, comment="the request that ended it"),
)

# The audit of each discount's steps: the revenues team's status changes, with what they said.
discount_events = Table("discount_events", metadata, *status_event_columns("discounts.discount_id"))
# Moves the resident told us of: one row per notice, so a retried one changes nothing.
moves = Table(
    "moves",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("external_reference", String(40), unique=True, comment="the notifying system's; empty if keyed in"),
    Column("party_id", String(12), ForeignKey("parties.party_id"), nullable=False, index=True),
    Column("kind", String(8), nullable=False, comment="IN, OUT or WITHIN the borough"),
    Column("move_date", Date, nullable=False),
    Column("new_account_reference", String(12), ForeignKey("accounts.reference")),
    Column("closed_account_reference", String(120), comment="comma-separated when more than one closed"),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

# Council Tax Direct Debit instructions, and the payers' banks' refusals (`sources/direct_debits_sql.py`).
direct_debits = direct_debits_sql.direct_debit_tables(metadata, "accounts.reference")


class RevenuesSql(PeopleSql):
    """Implements `CouncilTaxSource` over the revenues database."""

    system = SourceSystem.REVENUES
    people = parties
    person_id = "party_id"

    @guarded
    async def accounts_by_party(self, party_ids: Sequence[str]) -> Mapping[str, list[CouncilTaxAccountRecord]]:
        found = await self._accounts(_ACCOUNTS_OF_PARTIES, {"keys": list(party_ids)})
        by_party: dict[str, list[CouncilTaxAccountRecord]] = defaultdict(list)
        for account in found:
            by_party[account.party_id].append(account)
        return by_party

    @guarded
    async def accounts_by_reference(self, references: Sequence[str]) -> Mapping[str, CouncilTaxAccountRecord]:
        found = await self._accounts(_ACCOUNTS_BY_REFERENCE, {"keys": list(references)})
        return {account.reference: account for account in found}

    async def _accounts(self, query: Select[Any], keys: Mapping[str, list[str]]) -> list[CouncilTaxAccountRecord]:
        async with self._engine.connect() as conn:
            return await _accounts_in(conn, query, keys)

    @guarded
    async def apply_single_person_discount(self, application: DiscountApplication) -> str:
        """Record the application; an ACTIVE one is posted at once (DISCOUNT line, instalments redone).

        A retry with the same external reference returns the discount the first call recorded. A
        second single person discount for days the account already has one (active, held for review,
        or ended after the new start) is refused: the discount is 25% once, however many ask.
        """
        reference = application.account_reference
        async with self._engine.begin() as conn:
            account = await _account_taken(conn, reference)
            existing = await conn.scalar(
                select(discounts.c.discount_id).where(discounts.c.external_reference == application.external_reference)
            )
            if existing:
                return str(existing)
            if account is None:
                raise SourceRejected(self.system, f"no account {reference}")
            overlapping = await conn.scalar(
                select(discounts.c.discount_id).where(
                    discounts.c.account_reference == reference,
                    discounts.c.kind == DiscountKind.SINGLE_PERSON.value,
                    discounts.c.status != DiscountStatus.REFUSED.value,
                    or_(discounts.c.ends_on.is_(None), discounts.c.ends_on >= application.starts_on),
                )
            )
            if overlapping:
                raise SourceRejected(
                    self.system,
                    f"account {reference} already has a single person discount for those days",
                    code="DISCOUNT_OVERLAPS",
                )
            discount_id = f"SPD{secrets.randbelow(90_000_000) + 10_000_000}"
            await conn.execute(
                insert(discounts).values(
                    discount_id=discount_id,
                    account_reference=account.reference,
                    kind=DiscountKind.SINGLE_PERSON.value,
                    status=application.status.value,
                    percent=SINGLE_PERSON_PERCENT,
                    starts_on=application.starts_on,
                    review_reason=application.review_reason,
                    external_reference=application.external_reference,
                )
            )
            if application.status is DiscountStatus.ACTIVE:
                await _post(conn, account, posting_for_start(account, application.starts_on, application.posted_on))
        return discount_id

    @guarded
    async def end_single_person_discount(self, ending: DiscountEnding) -> str:
        """End the current single person discount on `ends_on`; an active one gives back the days after."""
        async with self._engine.begin() as conn:
            account = await _account_taken(conn, ending.account_reference)
            already = await conn.scalar(
                select(discounts.c.discount_id).where(discounts.c.ended_by_reference == ending.external_reference)
            )
            if already:
                return str(already)
            current = current_single_person_discount(account) if account else None
            if account is None or current is None:
                raise SourceRejected(
                    self.system, f"account {ending.account_reference} has no discount to end", code="NO_DISCOUNT"
                )
            await conn.execute(
                update(discounts)
                .where(discounts.c.discount_id == current.discount_id)
                .values(
                    status=DiscountStatus.ENDED.value,
                    ends_on=ending.ends_on,
                    ended_by_reference=ending.external_reference,
                )
            )
            if current.status is DiscountStatus.ACTIVE:
                await _post(conn, account, posting_for_end(account, current, ending.ends_on, ending.posted_on))
        return current.discount_id

    @guarded
    async def post_payment(self, posting: PaymentPosting) -> str:
        """A card payment credited to the account, once: a repeat with the same reference changes nothing."""
        async with self._engine.begin() as conn:
            existing = await conn.scalar(
                select(transactions.c.id).where(transactions.c.external_reference == posting.external_reference)
            )
            if existing:
                return f"TXN{existing}"
            known = await conn.scalar(
                select(accounts.c.reference).where(accounts.c.reference == posting.account_reference)
            )
            if not known:
                raise SourceRejected(self.system, f"no account {posting.account_reference}")
            result = await conn.execute(
                insert(transactions).values(
                    account_reference=posting.account_reference,
                    posted_on=posting.posted_on,
                    kind=StatementLineKind.PAYMENT.value,
                    description=posting.description,
                    amount_pence=-posting.amount_pence,
                    external_reference=posting.external_reference,
                )
            )
        return f"TXN{result.inserted_primary_key[0]}"  # type: ignore[index]

    @guarded
    async def record_move(self, notice: MoveNotice) -> str:
        """Move the party's Council Tax: close what they leave, open what they move into, in one transaction.

        OUT and WITHIN: each current account (open, liable from before the move) is liable to the day
        before the move; the charge for the rest of its year is credited (an ADJUSTMENT line, pro-rata
        by day), an active single person discount gives back its share of those days and ends, and the
        instalments still to come are recalculated. IN and WITHIN: a new account at the property with
        the new address's UPRN, liable from the move, with a CHARGE line to 31 March and monthly
        instalments from the 1st of the next month. The party's correspondence address becomes the
        new address whenever one is given (a forwarding address when leaving).

        Answers the new account's reference (IN, WITHIN) or the closed one's (OUT; comma-separated if
        the party had more than one open, "" if none: the move is still recorded). A retry with the
        same external reference changes nothing and answers what the first call did.
        """
        async with self._engine.begin() as conn:
            done = (
                await conn.execute(select(moves).where(moves.c.external_reference == notice.external_reference))
            ).first()
            if done is not None:
                return _move_answer(MoveKind(done.kind), done.new_account_reference, done.closed_account_reference)
            # Lock the party: two moves of one person must not close the same account twice.
            party = await conn.scalar(
                select(parties.c.party_id).where(parties.c.party_id == notice.record_id).with_for_update()
            )
            if party is None:
                raise SourceRejected(self.system, f"no party {notice.record_id}")
            new_address = notice.new_address
            if notice.kind is not MoveKind.OUT and new_address is None:
                raise SourceRejected(self.system, f"a move {notice.kind.value} needs the new address")
            closed: list[str] = []
            if notice.kind in (MoveKind.OUT, MoveKind.WITHIN):
                current = await _accounts_in(
                    conn,
                    _accounts_query(
                        and_(
                            accounts.c.party_id == notice.record_id,
                            accounts.c.liable_to.is_(None),
                            accounts.c.liable_from < notice.move_date,
                        )
                    ),
                )
                for account in current:
                    await _close(conn, account, notice)
                    closed.append(account.reference)
            opened = None
            if notice.kind is not MoveKind.OUT and new_address is not None:
                opened = await self._open(conn, notice, new_address)
            if new_address is not None:
                await conn.execute(
                    update(parties)
                    .where(parties.c.party_id == notice.record_id)
                    .values(**address_columns(new_address), updated_on=notice.posted_on)
                )
            await conn.execute(
                insert(moves).values(
                    external_reference=notice.external_reference,
                    party_id=notice.record_id,
                    kind=notice.kind.value,
                    move_date=notice.move_date,
                    new_account_reference=opened,
                    closed_account_reference=",".join(closed) or None,
                    created_at=datetime.now(UTC),
                )
            )
        return _move_answer(notice.kind, opened, ",".join(closed))

    @guarded
    async def set_up_direct_debit(self, instruction: NewDirectDebit) -> str:
        """Lodge the instruction; once ACTIVE, the instalments still to collect move to its payment day
        (`moved_instalments`: paid ones, and those due before the first collection, stay). A retry with
        the same external reference answers the first's reference and moves nothing again."""
        async with self._engine.begin() as conn:
            account = await _account_taken(conn, instruction.account_reference)
            if account is None:
                raise SourceRejected(self.system, "no such account", code="NO_ACCOUNT")
            reference, status = await direct_debits_sql.lodge(conn, direct_debits, instruction)
            if status is DirectDebitStatus.ACTIVE:
                paid = paid_towards_instalments(account.transactions)
                schedule = moved_instalments(
                    account.schedule, paid, instruction.payment_day, instruction.first_collection_on
                )
                if schedule != account.schedule:
                    await _write(conn, account.reference, [], schedule)
        return reference

    @guarded
    async def cancel_direct_debit(self, cancellation: DirectDebitCancellation) -> str:
        """The instruction collects no more; the instalment dates stay as they are (paid by other means)."""
        async with self._engine.begin() as conn:
            return await direct_debits_sql.cancel(conn, direct_debits, cancellation)

    async def _open(self, conn: AsyncConnection, notice: MoveNotice, address: PostalAddress) -> str:
        """A new liability at `address` from the move to 31 March."""
        year = financial_year_start(notice.move_date).year
        band_d = await conn.scalar(select(band_d_charges.c.pence).where(band_d_charges.c.financial_year == year))
        if band_d is None:
            # Moves are told up to 3 months ahead, so one can fall in a year whose Band D is not set yet.
            raise SourceRejected(self.system, f"no Band D charge set for {year}/{(year + 1) % 100:02d} yet")
        property_id, band = await _property_for(conn, address)
        reference = await _unused(conn, accounts.c.reference, lambda: f"{secrets.randbelow(10_000_000) + 60_000_000}")
        await conn.execute(
            insert(accounts).values(
                reference=reference,
                party_id=notice.record_id,
                property_id=property_id,
                liable_from=notice.move_date,
                liable_to=None,
                financial_year=year,
            )
        )
        charge = move_in_charge(annual_charge(band, band_d), notice.move_date)
        line = Transaction(
            notice.posted_on,
            StatementLineKind.CHARGE,
            f"Council Tax {year}/{(year + 1) % 100:02d}, band {band}, from {notice.move_date.isoformat()}",
            charge,
        )
        await _write(conn, reference, [line], move_in_schedule(charge, notice.move_date))
        return reference


def _move_answer(kind: MoveKind, opened: str | None, closed: str | None) -> str:
    return (opened or "") if kind is not MoveKind.OUT else (closed or "")


async def _close(conn: AsyncConnection, account: CouncilTaxAccountRecord, notice: MoveNotice) -> None:
    closing = move_out(account, notice.move_date, notice.posted_on)
    await conn.execute(
        update(accounts).where(accounts.c.reference == account.reference).values(liable_to=closing.liable_to)
    )
    if closing.ended_discount is not None:
        await conn.execute(
            update(discounts)
            .where(discounts.c.discount_id == closing.ended_discount.discount_id)
            .values(status=DiscountStatus.ENDED.value, ends_on=closing.liable_to)
        )
    await _write(conn, account.reference, closing.lines, closing.schedule)


async def _property_for(conn: AsyncConnection, address: PostalAddress) -> tuple[str, str]:
    """The property at `address` (by UPRN, else by postcode and first line), created if revenues has none.

    A new one's band is a stand-in until the Valuation Office band is confirmed: that of the nearest
    house at the same postcode, else C (`provisional_band`).
    """
    same_line = and_(
        properties.c.postcode == address.postcode, func.upper(properties.c.line1) == address.line1.strip().upper()
    )
    where = properties.c.uprn == address.uprn if address.uprn else same_line
    found = (
        await conn.execute(
            select(properties.c.property_id, properties.c.band).where(where).order_by(properties.c.property_id)
        )
    ).first()
    if found is not None:
        return str(found.property_id), str(found.band)
    neighbours = (
        await conn.execute(
            select(properties.c.line1, properties.c.band)
            .where(properties.c.postcode == address.postcode)
            .order_by(properties.c.property_id)
        )
    ).all()
    band = provisional_band(address.line1, [(row.line1, row.band) for row in neighbours])
    property_id = await _unused(
        conn, properties.c.property_id, lambda: f"PN{secrets.randbelow(90_000_000) + 10_000_000}"
    )
    await conn.execute(insert(properties).values(property_id=property_id, band=band, **address_columns(address)))
    return property_id, band


async def _write(
    conn: AsyncConnection,
    reference: str,
    lines: Sequence[Transaction],
    schedule: Sequence[ScheduledInstalment],
) -> None:
    """Post `lines` and make `schedule` the account's instalments from now on."""
    for line in lines:
        await conn.execute(
            insert(transactions).values(
                account_reference=reference,
                posted_on=line.posted_on,
                kind=line.kind.value,
                description=line.description,
                amount_pence=line.amount_pence,
            )
        )
    await conn.execute(delete(instalments).where(instalments.c.account_reference == reference))
    if schedule:
        await conn.execute(
            insert(instalments),
            [
                {"account_reference": reference, "due_date": item.due_date, "amount_pence": item.amount_pence}
                for item in schedule
            ],
        )


async def _unused(conn: AsyncConnection, key: Any, make: Callable[[], str]) -> str:
    """A fresh random key not yet taken."""
    while True:
        candidate = make()
        if await conn.scalar(select(key).where(key == candidate)) is None:
            return candidate


async def _account_taken(conn: AsyncConnection, reference: str) -> CouncilTaxAccountRecord | None:
    """The account, read after taking its row (a row lock on PostgreSQL, the write lock on SQLite):
    two discount changes to one account are decided one after the other, each seeing the other's."""
    await conn.execute(
        update(accounts).where(accounts.c.reference == reference).values(liable_from=accounts.c.liable_from)
    )
    found = await _accounts_in(conn, _ACCOUNTS_BY_REFERENCE, {"keys": [reference]})
    return found[0] if found else None


def _lines_of(where: Any) -> Subquery:
    """Every instalment, transaction, discount and Direct Debit instruction of the accounts `where` picks,
    as rows of one shape (`line_kind` says which), so an account and all it holds come back in one statement
    (the instructions were a second statement after the accounts: one more wait, and 0.2-0.4 ms more of
    the event loop's time per call, on every cold `me`; issue 25)."""

    def none(kind: Any) -> Any:
        return cast(null(), kind)  # typed, so every database can match the four selects column by column

    picked = select(accounts.c.reference).where(where).correlate(None).scalar_subquery()
    held = direct_debits.instructions
    return union_all(
        select(
            literal(_INSTALMENT).label("line_kind"),
            instalments.c.account_reference.label("line_account"),
            instalments.c.due_date.label("line_on"),
            instalments.c.amount_pence.label("line_amount"),
            none(Integer).label("line_seq"),
            none(String).label("line_code"),
            none(String).label("line_text"),
            none(String).label("line_status"),
            none(Date).label("line_ends_on"),
            none(String).label("line_review_reason"),
            none(String).label("line_external_reference"),
            none(String).label("line_sort_code"),
            none(String).label("line_account_number"),
            none(Date).label("line_cancelled_on"),
        ).where(instalments.c.account_reference.in_(picked)),
        select(
            literal(_TRANSACTION),
            transactions.c.account_reference,
            transactions.c.posted_on,
            transactions.c.amount_pence,
            transactions.c.id,
            transactions.c.kind,
            transactions.c.description,
            none(String),
            none(Date),
            none(String),
            none(String),
            none(String),
            none(String),
            none(Date),
        ).where(transactions.c.account_reference.in_(picked)),
        select(
            literal(_DISCOUNT),
            discounts.c.account_reference,
            discounts.c.starts_on,
            discounts.c.percent,
            none(Integer),
            discounts.c.discount_id,
            discounts.c.kind,
            discounts.c.status,
            discounts.c.ends_on,
            discounts.c.review_reason,
            discounts.c.external_reference,
            none(String),
            none(String),
            none(Date),
        ).where(discounts.c.account_reference.in_(picked)),
        select(
            literal(_DIRECT_DEBIT),
            held.c.account_reference,
            held.c.set_up_on,
            held.c.payment_day,
            held.c.id,
            none(String),
            held.c.account_holder_name,
            held.c.status,
            held.c.first_collection_on,
            held.c.reason,
            held.c.external_reference,
            held.c.sort_code,
            held.c.account_number,
            held.c.cancelled_on,
        ).where(held.c.account_reference.in_(picked)),
    ).subquery("lines")


_INSTALMENT, _TRANSACTION, _DISCOUNT, _DIRECT_DEBIT = "I", "T", "D", "B"


def _accounts_query(where: Any) -> Select[Any]:
    """The accounts `where` picks, each with its schedule, postings, discounts and Direct Debit
    instructions: one statement."""
    lines = _lines_of(where)
    return (
        select(accounts, properties, band_d_charges.c.pence.label("band_d_pence"), lines)
        .select_from(
            accounts.join(properties, properties.c.property_id == accounts.c.property_id)
            .join(band_d_charges, band_d_charges.c.financial_year == accounts.c.financial_year)
            .outerjoin(lines, lines.c.line_account == accounts.c.reference)
        )
        .where(where)
        .order_by(
            accounts.c.liable_from.desc(),
            accounts.c.reference,
            lines.c.line_kind,
            lines.c.line_on,
            lines.c.line_seq,
            lines.c.line_code,
        )
    )


# The reads `me` and the staff page make, built once with their keys bound at each call (`expanding`: an
# IN list of any length): a statement of this size cost more gateway CPU to build, and to key for
# SQLAlchemy's compiled cache, than SQLite took to run it (issue 25).
_ACCOUNTS_OF_PARTIES = _accounts_query(accounts.c.party_id.in_(bindparam("keys", expanding=True)))
_ACCOUNTS_BY_REFERENCE = _accounts_query(accounts.c.reference.in_(bindparam("keys", expanding=True)))


async def _accounts_in(
    conn: AsyncConnection, query: Select[Any], keys: Mapping[str, list[str]] | None = None
) -> list[CouncilTaxAccountRecord]:
    """The accounts `query` (an `_accounts_query`) answers, with their Direct Debit instructions: one round trip."""
    rows = (await conn.execute(query, keys)).all()
    account_rows = list({row.reference: row for row in rows}.values())  # in the order they came
    if not account_rows:
        return []
    schedule_rows = [row for row in rows if row.line_kind == _INSTALMENT]
    transaction_rows = [row for row in rows if row.line_kind == _TRANSACTION]
    discount_rows = [row for row in rows if row.line_kind == _DISCOUNT]
    # Newest first, as HOUSING_MANAGEMENT answers its own (`direct_debits_sql.instructions_on`).
    instruction_rows = sorted((row for row in rows if row.line_kind == _DIRECT_DEBIT), key=lambda row: -row.line_seq)
    instructions: dict[str, list[DirectDebitRecord]] = defaultdict(list)
    for row in instruction_rows:
        instructions[row.reference].append(
            direct_debits_sql.instruction_record(
                SourceSystem.REVENUES,
                instruction_id=row.line_seq,
                reference=row.line_external_reference,
                account_reference=row.reference,
                account_holder_name=row.line_text,
                sort_code=row.line_sort_code,
                account_number=row.line_account_number,
                payment_day=row.line_amount,
                status=row.line_status,
                set_up_on=row.line_on,
                cancelled_on=row.line_cancelled_on,
                first_collection_on=row.line_ends_on,
                reason=row.line_review_reason,
            )
        )
    schedules: dict[str, list[ScheduledInstalment]] = defaultdict(list)
    for row in schedule_rows:
        schedules[row.reference].append(ScheduledInstalment(row.line_on, row.line_amount))
    postings: dict[str, list[Transaction]] = defaultdict(list)
    for row in transaction_rows:
        postings[row.reference].append(
            Transaction(row.line_on, StatementLineKind(row.line_code), row.line_text, row.line_amount)
        )
    account_discounts: dict[str, list[DiscountRecord]] = defaultdict(list)
    for row in discount_rows:
        account_discounts[row.reference].append(
            DiscountRecord(
                discount_id=row.line_code,
                account_reference=row.reference,
                kind=DiscountKind(row.line_text),
                status=DiscountStatus(row.line_status),
                percent=row.line_amount,
                starts_on=row.line_on,
                ends_on=row.line_ends_on,
                review_reason=row.line_review_reason,
                external_reference=row.line_external_reference,
            )
        )
    return [
        CouncilTaxAccountRecord(
            reference=row.reference,
            party_id=row.party_id,
            property_address=PostalAddress(
                line1=row.line1, line2=row.line2, town=row.town, postcode=row.postcode, uprn=row.uprn
            ),
            band=row.band,
            liable_from=row.liable_from,
            liable_to=row.liable_to,
            annual_charge_pence=annual_charge(row.band, row.band_d_pence),
            schedule=tuple(schedules[row.reference]),
            transactions=tuple(postings[row.reference]),
            discounts=tuple(account_discounts[row.reference]),
            direct_debits=tuple(instructions.get(row.reference, ())),
        )
        for row in account_rows
    ]


async def _post(conn: AsyncConnection, account: CouncilTaxAccountRecord, posting: Posting) -> None:
    if posting.line is not None:
        line = posting.line
        await conn.execute(
            insert(transactions).values(
                account_reference=account.reference,
                posted_on=line.posted_on,
                kind=line.kind.value,
                description=line.description,
                amount_pence=line.amount_pence,
            )
        )
    await conn.execute(delete(instalments).where(instalments.c.account_reference == account.reference))
    await conn.execute(
        insert(instalments),
        [
            {"account_reference": account.reference, "due_date": item.due_date, "amount_pence": item.amount_pence}
            for item in posting.schedule
        ],
    )
