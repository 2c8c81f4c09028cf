"""Cases opened for staff when a back office refuses a delivery for good, and how far payments got.

Opening is an INSERT that the unique (reference, destination, operation) turns into "already open"
for a second caller, so concurrent relays, webhooks and reconcilers open one case at most.
Resolving is a conditional UPDATE: of two staff resolving at once, one wins and the other is told.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from customer360.domain.cases import DeliveryCaseRecord
from customer360.domain.payments import PostingState, posting_state
from customer360.domain.requests import DeliveryState
from customer360.store.tables import delivery_cases, outbox
from customer360.store.times import as_utc
from customer360.tracing import traced_methods


@dataclass(frozen=True, slots=True)
class NewDeliveryCase:
    reference: str
    customer_id: str | None
    destination: str
    operation: str
    reason_code: str
    reason: str
    team: str


@traced_methods("cases")
class DeliveryCaseStore:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def open(self, case: NewDeliveryCase, now: datetime) -> DeliveryCaseRecord | None:
        """The case, newly opened; None when this delivery already has one (open or resolved)."""
        try:
            async with self._engine.begin() as conn:
                result = await conn.execute(
                    insert(delivery_cases).values(
                        reference=case.reference,
                        customer_id=case.customer_id,
                        destination=case.destination,
                        operation=case.operation,
                        reason_code=case.reason_code,
                        reason=case.reason,
                        team=case.team,
                        opened_at=now,
                    )
                )
        except IntegrityError:
            return None
        return await self.by_id(int(result.inserted_primary_key[0]))  # type: ignore[index]

    async def by_id(self, case_id: int) -> DeliveryCaseRecord | None:
        async with self._engine.connect() as conn:
            row = (await conn.execute(select(delivery_cases).where(delivery_cases.c.id == case_id))).first()
        return _case(row) if row else None

    async def cases(
        self, teams: Collection[str], *, open_only: bool, first: int, before_id: int | None = None
    ) -> list[DeliveryCaseRecord]:
        """Newest first (by id, so a cursor is the last id seen); at most `first`."""
        query = select(delivery_cases).where(delivery_cases.c.team.in_(list(teams)))
        if open_only:
            query = query.where(delivery_cases.c.resolved_at.is_(None))
        if before_id is not None:
            query = query.where(delivery_cases.c.id < before_id)
        async with self._engine.connect() as conn:
            rows = (await conn.execute(query.order_by(delivery_cases.c.id.desc()).limit(first))).all()
        return [_case(row) for row in rows]

    async def resolve(self, case_id: int, by: str, note: str | None, now: datetime) -> bool:
        """True for the one caller that resolved it; False if it was resolved already (or is unknown)."""
        async with self._engine.begin() as conn:
            result = await conn.execute(
                update(delivery_cases)
                .where(delivery_cases.c.id == case_id, delivery_cases.c.resolved_at.is_(None))
                .values(resolved_at=now, resolved_by=by, resolution_note=note)
            )
        return result.rowcount == 1

    async def open_counts(self) -> Mapping[str, int]:
        """Open cases per team: what `/metrics` shows, read from the store so every worker agrees."""
        query = (
            select(delivery_cases.c.team, func.count())
            .where(delivery_cases.c.resolved_at.is_(None))
            .group_by(delivery_cases.c.team)
        )
        async with self._engine.connect() as conn:
            return {team: int(count) for team, count in (await conn.execute(query)).all()}

    async def postings(self, references: Sequence[str], operation: str) -> Mapping[str, PostingState]:
        """For payments (by customer360 reference) with a posting: how far it got. Others are absent."""
        if not references:
            return {}
        query = (
            select(outbox.c.reference, outbox.c.state, delivery_cases.c.id, delivery_cases.c.resolved_at)
            .select_from(
                outbox.outerjoin(
                    delivery_cases,
                    (delivery_cases.c.reference == outbox.c.reference)
                    & (delivery_cases.c.destination == outbox.c.destination)
                    & (delivery_cases.c.operation == outbox.c.operation),
                )
            )
            .where(outbox.c.reference.in_(list(references)), outbox.c.operation == operation)
        )
        async with self._engine.connect() as conn:
            rows = (await conn.execute(query)).all()
        return {
            row.reference: posting_state(
                delivered=row.state == DeliveryState.DELIVERED.value,
                refused=row.state == DeliveryState.FAILED.value,
                case_resolved=row.id is not None and row.resolved_at is not None,
            )
            for row in rows
        }


def _case(row: Any) -> DeliveryCaseRecord:
    return DeliveryCaseRecord(
        id=row.id,
        reference=row.reference,
        customer_id=row.customer_id,
        destination=row.destination,
        operation=row.operation,
        reason_code=row.reason_code,
        reason=row.reason,
        team=row.team,
        opened_at=as_utc(row.opened_at),
        resolved_at=as_utc(row.resolved_at),
        resolved_by=row.resolved_by,
        resolution_note=row.resolution_note,
    )
