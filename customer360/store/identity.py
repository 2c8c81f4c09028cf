"""The identity hub's own copies: each back office's person records as last seen, and the match
review queue a data steward works through."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import and_, func, insert, or_, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from customer360.domain.customers import RecordKey
from customer360.domain.people import PersonRecord, normalise_email, normalise_phone, normalise_postcode
from customer360.domain.systems import SourceSystem
from customer360.sources.sql_columns import address_columns, person_record_from_row
from customer360.store.database import chunked
from customer360.store.tables import match_candidates, person_records
from customer360.tracing import traced_methods


@traced_methods("person_records")
class PersonRecordStore:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def upsert_many(self, records: Iterable[PersonRecord]) -> None:
        """Keep the latest copy of each record (a back office's corrections replace the old copy)."""
        records = list(records)
        if not records:
            return
        async with self._engine.begin() as conn:
            await keep_person_records(conn, records)

    async def by_key(self, keys: Sequence[RecordKey]) -> dict[RecordKey, PersonRecord]:
        found: dict[RecordKey, PersonRecord] = {}
        async with self._engine.connect() as conn:
            for chunk in chunked(list(keys)):
                wanted = [(system.value, record_id) for system, record_id in chunk]
                rows = (
                    await conn.execute(
                        select(person_records).where(
                            tuple_(person_records.c.system, person_records.c.record_id).in_(wanted)
                        )
                    )
                ).all()
                for row in rows:
                    record = _person(row)
                    found[(record.system, record.record_id)] = record
        return found

    async def unlike_kept(self, records: Sequence[PersonRecord]) -> tuple[list[PersonRecord], list[PersonRecord]]:
        """(records the hub has no copy of, records whose copy differs), each as given; the rest are as kept."""
        kept = await self.by_key([(record.system, record.record_id) for record in records])
        new, changed = [], []
        for record in records:
            copy = kept.get((record.system, record.record_id))
            if copy is None:
                new.append(record)
            elif _kept_form(copy) != _kept_form(record):
                changed.append(record)
        return new, changed

    async def known_keys(self) -> set[RecordKey]:
        async with self._engine.connect() as conn:
            rows = (await conn.execute(select(person_records.c.system, person_records.c.record_id))).all()
        return {(SourceSystem(row.system), row.record_id) for row in rows}

    async def sharing_a_key_with(self, records: Sequence[PersonRecord]) -> list[PersonRecord]:
        """Stored records that share a date of birth, email, phone or surname and postcode with any of
        these: the candidates an arriving record is compared with (blocking, so cost stays small)."""
        dobs = {r.date_of_birth for r in records if r.date_of_birth}
        emails = {e for r in records if (e := normalise_email(r.email))}
        phones = {p for r in records if (p := normalise_phone(r.phone))}
        postcodes = {p for r in records if r.address and (p := normalise_postcode(r.address.postcode))}
        conditions = []
        if dobs:
            conditions.append(person_records.c.date_of_birth.in_(sorted(dobs)))
        if emails:
            conditions.append(person_records.c.email.in_(sorted(emails)))
        if phones:
            conditions.append(person_records.c.phone.in_(sorted(phones)))
        if postcodes:
            conditions.append(person_records.c.postcode.in_(sorted(postcodes)))
        if not conditions:
            return []
        async with self._engine.connect() as conn:
            rows = (await conn.execute(select(person_records).where(or_(*conditions)))).all()
        return [_person(row) for row in rows]


class CandidateState(StrEnum):
    OPEN = "OPEN"
    CONFIRMED = "CONFIRMED"
    REJECTED = "REJECTED"


@dataclass(frozen=True, slots=True)
class MatchCandidate:
    """Two records the matcher thinks may be one person, with the evidence for and against."""

    id: int
    left: RecordKey
    right: RecordKey
    probability: float
    match_weight: float
    evidence: dict[str, tuple[str, float]]  # comparison -> (level, weight in bits)
    state: CandidateState
    created_at: datetime
    decided_by: str | None


@dataclass(frozen=True, slots=True)
class ProposedPair:
    left: RecordKey
    right: RecordKey
    probability: float
    match_weight: float
    evidence: Mapping[str, tuple[str, float]]


@traced_methods("match_review")
class MatchReviewStore:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def propose(self, pairs: Iterable[ProposedPair]) -> int:
        """Queue pairs for review. A pair already queued or decided (rejected above all) is left as it is."""
        rows = {}
        now = datetime.now(UTC)
        for pair in pairs:
            left, right = sorted((pair.left, pair.right))
            rows[(left, right)] = {
                "left_system": left[0].value,
                "left_record_id": left[1],
                "right_system": right[0].value,
                "right_record_id": right[1],
                "probability": pair.probability,
                "match_weight": pair.match_weight,
                "evidence": {name: [level, weight] for name, (level, weight) in pair.evidence.items()},
                "state": CandidateState.OPEN.value,
                "created_at": now,
            }
        if not rows:
            return 0
        columns = (
            match_candidates.c.left_system,
            match_candidates.c.left_record_id,
            match_candidates.c.right_system,
            match_candidates.c.right_record_id,
        )
        pair_key = tuple_(*columns)
        added = 0
        async with self._engine.begin() as conn:
            for chunk in chunked(list(rows.values())):
                keys = [(r["left_system"], r["left_record_id"], r["right_system"], r["right_record_id"]) for r in chunk]
                known = {tuple(row) for row in (await conn.execute(select(*columns).where(pair_key.in_(keys)))).all()}
                fresh = [r for r, key in zip(chunk, keys, strict=True) if key not in known]
                if fresh:
                    await conn.execute(insert(match_candidates), fresh)
                    added += len(fresh)
        return added

    async def open_page(self, first: int, after_id: int | None) -> tuple[list[MatchCandidate], bool]:
        """Open pairs, the most likely first (ties by id), and whether more follow."""
        statement = select(match_candidates).where(match_candidates.c.state == CandidateState.OPEN.value)
        if after_id is not None:
            anchor = select(match_candidates.c.probability).where(match_candidates.c.id == after_id).scalar_subquery()
            statement = statement.where(
                or_(
                    match_candidates.c.probability < anchor,
                    and_(match_candidates.c.probability == anchor, match_candidates.c.id > after_id),
                )
            )
        statement = statement.order_by(match_candidates.c.probability.desc(), match_candidates.c.id).limit(first + 1)
        async with self._engine.connect() as conn:
            rows = (await conn.execute(statement)).all()
        return [_candidate(row) for row in rows[:first]], len(rows) > first

    async def open_count(self) -> int:
        async with self._engine.connect() as conn:
            statement = select(func.count()).where(match_candidates.c.state == CandidateState.OPEN.value)
            return int((await conn.execute(statement)).scalar_one())

    async def get(self, candidate_id: int) -> MatchCandidate | None:
        async with self._engine.connect() as conn:
            row = (await conn.execute(select(match_candidates).where(match_candidates.c.id == candidate_id))).first()
        return _candidate(row) if row else None

    async def decide(self, candidate_id: int, state: CandidateState, *, by: str) -> bool:
        """Move an open pair to CONFIRMED or REJECTED; False when it was no longer open (decided already)."""
        async with self._engine.begin() as conn:
            result = await conn.execute(
                update(match_candidates)
                .where(match_candidates.c.id == candidate_id, match_candidates.c.state == CandidateState.OPEN.value)
                .values(state=state.value, decided_at=datetime.now(UTC), decided_by=by)
            )
        return bool(result.rowcount)

    async def reopen(self, candidate_id: int) -> None:
        """Back to OPEN: a confirmation whose merge did not happen."""
        async with self._engine.begin() as conn:
            await conn.execute(
                update(match_candidates)
                .where(match_candidates.c.id == candidate_id)
                .values(state=CandidateState.OPEN.value, decided_at=None, decided_by=None)
            )


def _person_row(record: PersonRecord) -> dict[str, Any]:
    """A back office's record as the hub keeps it: email, phone and postcode normalised for blocking."""
    address = record.address
    return {
        "system": record.system.value,
        "record_id": record.record_id,
        "title": record.title,
        "forenames": record.forenames,
        "surname": record.surname,
        "date_of_birth": record.date_of_birth,
        **(address_columns(address) if address else dict.fromkeys(("line1", "line2", "town", "postcode", "uprn"))),
        "postcode": (normalise_postcode(address.postcode) or address.postcode) if address else None,
        "email": normalise_email(record.email),
        "email_verified": record.email_verified,
        "phone": normalise_phone(record.phone),
        "updated_on": record.updated_on,
        "seen_at": datetime.now(UTC),
    }


async def keep_person_records(conn: AsyncConnection, records: Sequence[PersonRecord]) -> None:
    """Replace the hub's copies of these records with these, in the caller's transaction."""
    rows = [_person_row(record) for record in records]
    for chunk in chunked(rows):
        keys = [(row["system"], row["record_id"]) for row in chunk]
        await conn.execute(
            person_records.delete().where(tuple_(person_records.c.system, person_records.c.record_id).in_(keys))
        )
        await conn.execute(insert(person_records), chunk)


def _kept_form(record: PersonRecord) -> dict[str, Any]:
    """What the hub keeps of a record, to tell a real change from the same details read again."""
    row = _person_row(record)
    del row["seen_at"]
    return row


def _person(row: Any) -> PersonRecord:
    return person_record_from_row(SourceSystem(row.system), row.record_id, row)


def _candidate(row: Any) -> MatchCandidate:
    return MatchCandidate(
        id=row.id,
        left=(SourceSystem(row.left_system), row.left_record_id),
        right=(SourceSystem(row.right_system), row.right_record_id),
        probability=row.probability,
        match_weight=row.match_weight,
        evidence={name: (str(level), float(weight)) for name, (level, weight) in (row.evidence or {}).items()},
        state=CandidateState(row.state),
        created_at=row.created_at,
        decided_by=row.decided_by,
    )
