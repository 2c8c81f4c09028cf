"""Column shapes the SQL back offices share: a person (each office names its own id column), UTC times,
and the change-of-address record each office keeps when told of a move."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, overload

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Table,
    insert,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncEngine

from customer360.domain.moving import MoveKind, MoveNotice
from customer360.domain.people import PersonRecord, PostalAddress
from customer360.domain.systems import SourceSystem
from customer360.sources.errors import SourceRejected


def person_columns() -> list[Column[Any]]:
    return [
        Column("title", String(20)),
        Column("forenames", String(100), nullable=False),
        Column("surname", String(100), nullable=False),
        Column("date_of_birth", Date),
        Column("line1", String(200)),
        Column("line2", String(200)),
        Column("town", String(100)),
        Column("postcode", String(10)),
        Column("uprn", String(12)),
        Column("email", String(254)),
        Column("email_verified", Boolean, nullable=False, default=False),
        Column("phone", String(40)),
        Column("updated_on", Date),
        # The row's last change, stamped on every insert and update: what the change feed reads people by.
        Column("changed_at", DateTime(timezone=True), default=_now, onupdate=_now, index=True),
    ]


def status_event_columns(request_key: str) -> list[Column[Any]]:
    """An office's audit table of a request's steps (`application_events` ...): one row per change of
    status an officer made, with what they said; read by the change feed after the last id it saw.

    `request_key` is the request table's key (`"applications.reference"`)."""
    return [
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("reference", String(16), ForeignKey(request_key), nullable=False, index=True),
        Column("at", DateTime(timezone=True), nullable=False),
        Column("status", String(20), nullable=False, comment="the office's own status the request took"),
        Column("description", String(500), nullable=False),
    ]


def _now() -> datetime:
    return datetime.now(UTC)


def address_columns(address: PostalAddress) -> dict[str, str | None]:
    """The address part of `person_columns()` (and of `address_change_columns()`), as values."""
    return {
        "line1": address.line1,
        "line2": address.line2,
        "town": address.town,
        "postcode": address.postcode,
        "uprn": address.uprn,
    }


def address_change_columns(record_key: str) -> list[Column[Any]]:
    """A change of circumstances: a move a person told the council of, once per external reference.

    `record_key` is the office's person key (`"claimants.claimant_id"`); each office names the table
    after its people (`claimant_address_changes`), so the offices can share one database.
    """
    return [
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("external_reference", String(40), unique=True, comment="the notifying system's; empty if keyed in"),
        Column("record_id", String(12), ForeignKey(record_key), nullable=False, index=True),
        Column("kind", String(8), nullable=False, comment="IN, OUT or WITHIN the borough"),
        Column("effective_on", Date, nullable=False, comment="the day of the move"),
        Column("line1", String(200), comment="the new address; empty when leaving without giving one"),
        Column("line2", String(200)),
        Column("town", String(100)),
        Column("postcode", String(10)),
        Column("uprn", String(12)),
        Column("created_at", DateTime(timezone=True), nullable=False),
    ]


async def record_address_change(
    engine: AsyncEngine,
    system: SourceSystem,
    people: Table,
    record_key: Column[Any],
    changes: Table,
    notice: MoveNotice,
) -> str:
    """Put the person at their new address and record the change; answers the change's id.

    Leaving the borough without a forwarding address leaves the address as it was (the move is
    still recorded). A retry with the same external reference changes nothing and answers the
    first change's id.
    """
    async with engine.begin() as conn:
        existing = await conn.scalar(
            select(changes.c.id).where(changes.c.external_reference == notice.external_reference)
        )
        if existing is not None:
            return change_id(existing)
        if await conn.scalar(select(record_key).where(record_key == notice.record_id)) is None:
            raise SourceRejected(system, f"no {people.name} record {notice.record_id}")
        address = notice.new_address
        if address is None and notice.kind is not MoveKind.OUT:
            raise SourceRejected(system, f"a move {notice.kind.value} needs the new address")
        if address is not None:
            await conn.execute(
                update(people)
                .where(record_key == notice.record_id)
                .values(**address_columns(address), updated_on=notice.posted_on)
            )
        result = await conn.execute(
            insert(changes).values(
                external_reference=notice.external_reference,
                record_id=notice.record_id,
                kind=notice.kind.value,
                effective_on=notice.move_date,
                created_at=datetime.now(UTC),
                **(address_columns(address) if address else {}),
            )
        )
    return change_id(result.inserted_primary_key[0])  # type: ignore[index]


def change_id(row_id: int) -> str:
    return f"ADC{row_id}"


def person_record_from_row(system: SourceSystem, record_id: str, row: Any) -> PersonRecord:
    address = (
        PostalAddress(line1=row.line1, line2=row.line2, town=row.town, postcode=row.postcode, uprn=row.uprn)
        if row.line1 and row.postcode
        else None
    )
    return PersonRecord(
        system=system,
        record_id=record_id,
        title=row.title,
        forenames=row.forenames,
        surname=row.surname,
        date_of_birth=row.date_of_birth,
        address=address,
        email=row.email,
        email_verified=bool(row.email_verified),
        phone=row.phone,
        updated_on=row.updated_on,
    )


@overload
def as_utc(moment: datetime) -> datetime: ...
@overload
def as_utc(moment: None) -> None: ...
def as_utc(moment: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes; every stored time is UTC."""
    if moment is not None and moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment
