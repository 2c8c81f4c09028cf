"""Column shapes the SQL back offices share: a person (each office names its own id column), UTC times."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, overload

from sqlalchemy import Boolean, Column, Date, String

from customer360.domain.people import PersonRecord, PostalAddress
from customer360.domain.systems import SourceSystem


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
    ]


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
