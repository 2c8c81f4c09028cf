"""Golden customers and their links, in the gateway store."""

from __future__ import annotations

import base64
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import and_, bindparam, delete, func, insert, or_, select, tuple_, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from customer360.domain.customers import GoldenRecord, RecordKey, RecordLink
from customer360.domain.people import PersonRecord, PostalAddress
from customer360.domain.systems import SourceSystem
from customer360.store.database import chunked
from customer360.store.identity import keep_person_records
from customer360.store.tables import customer_links, customers, person_records
from customer360.tracing import traced_methods

# The reads every cold `me` makes before its back-office calls (the sign-in, then the golden record and its
# links), built once with their keys bound at each call (an IN list `expanding` to any length): building
# and keying a statement cost the event loop more than the store took to answer it (issue 25).
_CUSTOMERS_WITH_LINKS = (
    select(
        customers,
        customer_links.c.system.label("link_system"),
        customer_links.c.record_id.label("link_record_id"),
        customer_links.c.confidence.label("link_confidence"),
        customer_links.c.rule.label("link_rule"),
    )
    .select_from(
        customers.outerjoin(
            customer_links, and_(customer_links.c.customer_id == customers.c.id, customer_links.c.unlinked_at.is_(None))
        )
    )
    .where(customers.c.id.in_(bindparam("ids", expanding=True)), customers.c.merged_into.is_(None))
    .order_by(customers.c.id, customer_links.c.system, customer_links.c.record_id)
)
_CUSTOMER_BY_VERIFIED_EMAIL = (
    select(customers.c.id)
    .where(
        customers.c.email == bindparam("email"),
        customers.c.email_verified.is_(True),
        customers.c.merged_into.is_(None),
    )
    .order_by(customers.c.created_at)
    .limit(1)
)
_CUSTOMER_BY_LINKED_VERIFIED_EMAIL = (
    select(customer_links.c.customer_id.label("id"))
    .join(
        person_records,
        and_(
            person_records.c.system == customer_links.c.system,
            person_records.c.record_id == customer_links.c.record_id,
        ),
    )
    .join(customers, customers.c.id == customer_links.c.customer_id)
    .where(
        person_records.c.email == bindparam("email"),
        person_records.c.email_verified.is_(True),
        customer_links.c.unlinked_at.is_(None),
        customers.c.merged_into.is_(None),
    )
    .order_by(customer_links.c.linked_at)
    .limit(1)
)


@dataclass(frozen=True, slots=True)
class NewLink:
    customer_id: str
    system: SourceSystem
    record_id: str
    confidence: float
    rule: str


@dataclass(frozen=True, slots=True)
class CustomerPage:
    customers: list[GoldenRecord]
    has_next_page: bool
    end_cursor: str | None


@traced_methods("customers")
class CustomerStore:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def replace_all(self, golden: Sequence[GoldenRecord], links: Sequence[NewLink], *, by: str) -> None:
        """Start the golden record afresh (demo seeding): every customer and link replaced."""
        now = datetime.now(UTC)
        async with self._engine.begin() as conn:
            await conn.execute(delete(customer_links))
            await conn.execute(delete(customers))
            for chunk in chunked([_customer_row(record, now) for record in golden], 1000):
                await conn.execute(insert(customers), chunk)
            link_rows = [_link_row(link, by, now) for link in links]
            for chunk in chunked(link_rows, 1000):
                await conn.execute(insert(customer_links), chunk)

    async def add_link(self, link: NewLink, *, by: str, record: PersonRecord | None = None) -> None:
        """Tie one more back-office record to a customer (a record customer360 itself created). A
        delivery queued before a steward merged its customer away links to the customer it went to.
        `record`, its details, joins the hub's copies in the same transaction: matching, sign-in by a
        verified email and the golden record see it at once, not at the next run."""
        now = datetime.now(UTC)
        async with self._engine.begin() as conn:
            if record is not None:
                await keep_person_records(conn, [record])
            if await _active_owner(conn, link.system, link.record_id) is not None:
                return
            link = replace(link, customer_id=await _live(conn, link.customer_id))
            await conn.execute(insert(customer_links).values(**_link_row(link, by, now)))

    async def customers_by_id(self, ids: Sequence[str]) -> Mapping[str, GoldenRecord]:
        """Live customers only: one merged into another answers as absent (its records moved on)."""
        async with self._engine.connect() as conn:
            rows = (
                await conn.execute(
                    select(customers).where(customers.c.id.in_(list(ids)), customers.c.merged_into.is_(None))
                )
            ).all()
        return {row.id: _golden(row) for row in rows}

    async def customers_with_links(self, ids: Sequence[str]) -> Mapping[str, tuple[GoldenRecord, list[RecordLink]]]:
        """`customers_by_id` and `links_by_customer` in one round trip (an outer join): a customer's
        back-office calls need both, so the read before the fan-out costs one wait, not two."""
        async with self._engine.connect() as conn:
            rows = (await conn.execute(_CUSTOMERS_WITH_LINKS, {"ids": list(ids)})).all()
        found: dict[str, tuple[GoldenRecord, list[RecordLink]]] = {}
        for row in rows:
            _, links = found.setdefault(row.id, (_golden(row), []))
            if row.link_system is not None:
                links.append(
                    RecordLink(SourceSystem(row.link_system), row.link_record_id, row.link_confidence, row.link_rule)
                )
        return found

    async def merged_into(self, customer_id: str) -> str | None:
        async with self._engine.connect() as conn:
            row = (await conn.execute(select(customers.c.merged_into).where(customers.c.id == customer_id))).first()
        return row.merged_into if row else None

    async def attach(self, golden: GoldenRecord, link: NewLink, *, by: str) -> bool:
        """Tie an arriving record to a customer (a new one, or one it matched) and store the rebuilt
        golden record, in one transaction. False, and nothing changed, when the record is linked already
        (a delivery of ours linked it meanwhile)."""
        now = datetime.now(UTC)
        try:
            async with self._engine.begin() as conn:
                if await _active_owner(conn, link.system, link.record_id) is not None:
                    return False
                await _save_golden(conn, golden)
                await conn.execute(insert(customer_links).values(**_link_row(link, by, now)))
        except IntegrityError:  # another worker made the same arrival's customer between our check and write
            return False
        return True

    async def merged_here(self, customer_id: str) -> set[str]:
        """Customers merged into this one (candidates an unmerge can restore)."""
        async with self._engine.connect() as conn:
            rows = (await conn.execute(select(customers.c.id).where(customers.c.merged_into == customer_id))).all()
        return {row.id for row in rows}

    async def active_records(self, customer_id: str) -> list[RecordKey]:
        async with self._engine.connect() as conn:
            return await _active_records(conn, customer_id)

    async def merge(self, survivor: GoldenRecord, merged_id: str, *, by: str, rule: str) -> list[RecordKey]:
        """Move every record of `merged_id` to the survivor, in one transaction. The old links are
        closed, not deleted, so `split` can later put exactly these records back. Raises
        `CustomersChanged` when either customer was merged away meanwhile (rows locked, in id order)."""
        async with self._engine.begin() as conn:
            if not await _live_and_locked(conn, [survivor.customer_id, merged_id]):
                raise CustomersChanged
            moved = await _active_records(conn, merged_id)
            await _relink(conn, moved, survivor.customer_id, by=by, rule=rule)
            await conn.execute(
                update(customers).where(customers.c.id == merged_id).values(merged_into=survivor.customer_id)
            )
            await _save_golden(conn, survivor)
        return moved

    async def split(
        self, remaining: GoldenRecord, split_off: GoldenRecord, records: Sequence[RecordKey], *, by: str, rule: str
    ) -> None:
        """Move `records` from `remaining` to `split_off` (a customer merged earlier, restored, or a new one).
        Raises `CustomersChanged` when the records are no longer all `remaining`'s."""
        async with self._engine.begin() as conn:
            if not await _live_and_locked(conn, [remaining.customer_id]):
                raise CustomersChanged
            if not set(records) <= set(await _active_records(conn, remaining.customer_id)):
                raise CustomersChanged
            await _relink(conn, list(records), split_off.customer_id, by=by, rule=rule)
            await _save_golden(conn, split_off)
            await conn.execute(
                update(customers).where(customers.c.id == split_off.customer_id).values(merged_into=None)
            )
            await _save_golden(conn, remaining)

    async def save_golden(self, record: GoldenRecord) -> None:
        async with self._engine.begin() as conn:
            await _save_golden(conn, record)

    async def stored(self, customer_id: str) -> GoldenRecord | None:
        """The stored golden record, merged away or not (what an unmerge falls back on)."""
        async with self._engine.connect() as conn:
            row = (await conn.execute(select(customers).where(customers.c.id == customer_id))).first()
        return _golden(row) if row else None

    async def previous_owners(self, records: Sequence[RecordKey]) -> dict[RecordKey, str]:
        """Whom each record was linked to just before its current link: what an unmerge restores."""
        wanted = [(system.value, record_id) for system, record_id in records]
        if not wanted:
            return {}
        async with self._engine.connect() as conn:
            rows = (
                await conn.execute(
                    select(customer_links)
                    .where(
                        tuple_(customer_links.c.system, customer_links.c.record_id).in_(wanted),
                        customer_links.c.unlinked_at.is_not(None),
                    )
                    .order_by(customer_links.c.unlinked_at, customer_links.c.id)
                )
            ).all()
        # Ordered oldest first, so the last row seen per record is the link closed most recently.
        return {(SourceSystem(row.system), row.record_id): row.customer_id for row in rows}

    async def links_by_customer(self, ids: Sequence[str]) -> Mapping[str, list[RecordLink]]:
        async with self._engine.connect() as conn:
            rows = (
                await conn.execute(
                    select(customer_links)
                    .where(customer_links.c.customer_id.in_(list(ids)), customer_links.c.unlinked_at.is_(None))
                    .order_by(customer_links.c.system, customer_links.c.record_id)
                )
            ).all()
        by_customer: dict[str, list[RecordLink]] = defaultdict(list)
        for row in rows:
            by_customer[row.customer_id].append(
                RecordLink(SourceSystem(row.system), row.record_id, row.confidence, row.rule)
            )
        return by_customer

    async def owners_of(self, records: Sequence[tuple[SourceSystem, str]]) -> Mapping[tuple[SourceSystem, str], str]:
        """Which golden customer each back-office record belongs to (absent: nobody yet)."""
        if not records:
            return {}
        wanted = [
            and_(customer_links.c.system == system.value, customer_links.c.record_id == record_id)
            for system, record_id in records
        ]
        async with self._engine.connect() as conn:
            rows = (
                await conn.execute(
                    select(customer_links.c.system, customer_links.c.record_id, customer_links.c.customer_id).where(
                        customer_links.c.unlinked_at.is_(None), or_(*wanted)
                    )
                )
            ).all()
        return {(SourceSystem(row.system), row.record_id): row.customer_id for row in rows}

    async def customer_id_for_verified_email(self, email: str) -> str | None:
        """The golden record shows one email; after a merge a resident may sign in with another
        verified email of theirs, which a linked record still holds."""
        async with self._engine.connect() as conn:
            row = (await conn.execute(_CUSTOMER_BY_VERIFIED_EMAIL, {"email": email})).first()
            if row is None:
                row = (await conn.execute(_CUSTOMER_BY_LINKED_VERIFIED_EMAIL, {"email": email})).first()
        return row.id if row else None

    async def search(self, query: str, first: int, after: str | None) -> CustomerPage:
        """Customers whose name, email or postcode contains every word of the query, by surname."""
        words = [word for word in query.upper().split() if word]
        conditions = [customers.c.search_text.contains(word, autoescape=True) for word in words]
        statement = select(customers).where(customers.c.merged_into.is_(None), *conditions)
        if after:
            surname, customer_id = _decode_cursor(after)
            statement = statement.where(
                or_(
                    customers.c.surname > surname,
                    and_(customers.c.surname == surname, customers.c.id > customer_id),
                )
            )
        statement = statement.order_by(customers.c.surname, customers.c.id).limit(first + 1)
        async with self._engine.connect() as conn:
            rows = (await conn.execute(statement)).all()
        page = [_golden(row) for row in rows[:first]]
        end = _encode_cursor(page[-1].surname, page[-1].customer_id) if page else None
        return CustomerPage(page, has_next_page=len(rows) > first, end_cursor=end)

    async def residents(self, limit: int) -> list[tuple[GoldenRecord, int]]:
        """Customers who can sign in (a verified email), most-linked first: the demo's sample residents."""
        link_count = func.count(customer_links.c.id).label("links")
        statement = (
            select(customers, link_count)
            .join(customer_links, customer_links.c.customer_id == customers.c.id)
            .where(
                customers.c.email_verified.is_(True),
                customers.c.merged_into.is_(None),
                customer_links.c.unlinked_at.is_(None),
            )
            .group_by(*customers.c)
            .order_by(link_count.desc(), customers.c.id)
            .limit(limit)
        )
        async with self._engine.connect() as conn:
            rows = (await conn.execute(statement)).all()
        return [(_golden(row), row.links) for row in rows]

    async def count(self) -> int:
        async with self._engine.connect() as conn:
            return int((await conn.execute(select(func.count()).select_from(customers))).scalar_one())


async def _live(conn: AsyncConnection, customer_id: str) -> str:
    """The customer `customer_id` was merged into, following merges (bounded), or itself."""
    for _ in range(10):
        row = (await conn.execute(select(customers.c.merged_into).where(customers.c.id == customer_id))).first()
        if row is None or row.merged_into is None:
            return customer_id
        customer_id = row.merged_into
    return customer_id


async def _active_owner(conn: AsyncConnection, system: SourceSystem, record_id: str) -> str | None:
    row = (
        await conn.execute(
            select(customer_links.c.customer_id).where(
                customer_links.c.system == system.value,
                customer_links.c.record_id == record_id,
                customer_links.c.unlinked_at.is_(None),
            )
        )
    ).first()
    return row.customer_id if row else None


async def _live_and_locked(conn: AsyncConnection, customer_ids: list[str]) -> bool:
    """Lock the customers' rows (in id order, so two stewards cannot deadlock; SQLite locks the whole
    database on the first write instead) and say whether every one exists and is not merged away."""
    rows = (
        await conn.execute(
            select(customers.c.id, customers.c.merged_into)
            .where(customers.c.id.in_(customer_ids))
            .order_by(customers.c.id)
            .with_for_update()
        )
    ).all()
    return len(rows) == len(set(customer_ids)) and all(row.merged_into is None for row in rows)


async def _active_records(conn: AsyncConnection, customer_id: str) -> list[RecordKey]:
    rows = (
        await conn.execute(
            select(customer_links.c.system, customer_links.c.record_id).where(
                customer_links.c.customer_id == customer_id, customer_links.c.unlinked_at.is_(None)
            )
        )
    ).all()
    return [(SourceSystem(row.system), row.record_id) for row in rows]


async def _relink(conn: AsyncConnection, records: list[RecordKey], customer_id: str, *, by: str, rule: str) -> None:
    """Close each record's current link and open one to `customer_id`: the history stays."""
    if not records:
        return
    now = datetime.now(UTC)
    wanted = [(system.value, record_id) for system, record_id in records]
    await conn.execute(
        update(customer_links)
        .where(
            tuple_(customer_links.c.system, customer_links.c.record_id).in_(wanted),
            customer_links.c.unlinked_at.is_(None),
        )
        .values(unlinked_at=now, unlinked_by=by)
    )
    # confidence 1: a person decided
    await conn.execute(
        insert(customer_links),
        [_link_row(NewLink(customer_id, system, record_id, 1.0, rule), by, now) for system, record_id in records],
    )


async def _save_golden(conn: AsyncConnection, record: GoldenRecord) -> None:
    now = datetime.now(UTC)
    row = _customer_row(record, now)
    exists = (await conn.execute(select(customers.c.id).where(customers.c.id == record.customer_id))).first()
    if exists:
        del row["created_at"]
        await conn.execute(update(customers).where(customers.c.id == record.customer_id).values(**row))
    else:
        await conn.execute(insert(customers).values(**row))


def _link_row(link: NewLink, by: str, now: datetime) -> dict[str, Any]:
    return {
        "customer_id": link.customer_id,
        "system": link.system.value,
        "record_id": link.record_id,
        "confidence": link.confidence,
        "rule": link.rule,
        "linked_at": now,
        "linked_by": by,
    }


def _customer_row(record: GoldenRecord, now: datetime) -> dict[str, Any]:
    address = record.address
    return {
        "id": record.customer_id,
        "forenames": record.forenames,
        "surname": record.surname,
        "name_source": record.name_source,
        "email": record.email,
        "email_verified": record.email_verified,
        "email_source": record.email_source,
        "phone": record.phone,
        "phone_source": record.phone_source,
        "date_of_birth": record.date_of_birth,
        "date_of_birth_source": record.date_of_birth_source,
        "line1": address.line1 if address else None,
        "line2": address.line2 if address else None,
        "town": address.town if address else None,
        "postcode": address.postcode if address else None,
        "uprn": address.uprn if address else None,
        "address_source": record.address_source,
        "search_text": " ".join(
            part.upper()
            for part in (record.forenames, record.surname, record.email, address.postcode if address else None)
            if part
        ),
        "created_at": now,
        "updated_at": now,
    }


def _golden(row: Any) -> GoldenRecord:
    def system(value: str | None) -> SourceSystem | None:
        return SourceSystem(value) if value else None

    return GoldenRecord(
        customer_id=row.id,
        forenames=row.forenames,
        surname=row.surname,
        name_source=system(row.name_source),
        email=row.email,
        email_verified=bool(row.email_verified),
        email_source=system(row.email_source),
        phone=row.phone,
        phone_source=system(row.phone_source),
        date_of_birth=row.date_of_birth,
        date_of_birth_source=system(row.date_of_birth_source),
        address=PostalAddress(row.line1, row.postcode, row.line2, row.town, row.uprn) if row.line1 else None,
        address_source=system(row.address_source),
    )


def _encode_cursor(surname: str, customer_id: str) -> str:
    return base64.urlsafe_b64encode(f"{surname}\x1f{customer_id}".encode()).decode()


def _decode_cursor(cursor: str) -> tuple[str, str]:
    try:
        surname, customer_id = base64.urlsafe_b64decode(cursor.encode()).decode().split("\x1f", 1)
    except (ValueError, UnicodeDecodeError):
        raise InvalidCursor(cursor) from None
    return surname, customer_id


class CustomersChanged(Exception):
    """Another change to these customers committed first: the caller looks again."""


class InvalidCursor(ValueError):
    """A client sent an `after` cursor we did not issue."""
