"""The audit log: append-only by design — this module has no update or delete, and nothing else
writes the table. Who (actor, role, team), when, what, about whom, and why (purpose)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import and_, false, insert, or_, select
from sqlalchemy.ext.asyncio import AsyncEngine

from customer360.store.tables import audit_log, customers
from customer360.store.times import as_utc
from customer360.tracing import traced_methods


@dataclass(frozen=True, slots=True)
class AuditEntry:
    id: int
    at: datetime
    actor: str
    role: str | None
    team: str | None
    action: str
    customer_id: str | None
    purpose: str | None
    detail: dict[str, Any] | None


@traced_methods("audit")
class AuditLog:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def append(
        self,
        *,
        actor: str,
        action: str,
        role: str | None = None,
        team: str | None = None,
        customer_id: str | None = None,
        purpose: str | None = None,
        detail: dict[str, Any] | None = None,
    ) -> None:
        async with self._engine.begin() as conn:
            await conn.execute(
                insert(audit_log).values(
                    at=datetime.now(UTC),
                    actor=actor,
                    role=role,
                    team=team,
                    action=action,
                    customer_id=customer_id,
                    purpose=purpose,
                    detail=detail,
                )
            )

    async def append_reads(
        self, *, actor: str, role: str | None, team: str | None, customer_ids: list[str], purpose: str, action: str
    ) -> None:
        """One entry per person read (a search page reads many): each resident sees their own."""
        if not customer_ids:
            return
        now = datetime.now(UTC)
        async with self._engine.begin() as conn:
            await conn.execute(
                insert(audit_log),
                [
                    {
                        "at": now,
                        "actor": actor,
                        "role": role,
                        "team": team,
                        "action": action,
                        "customer_id": customer_id,
                        "purpose": purpose,
                        "detail": None,
                    }
                    for customer_id in customer_ids
                ],
            )

    async def for_customer(
        self,
        customer_id: str,
        actions: Sequence[str],
        first: int,
        after: tuple[datetime, int] | None,
        action_prefix: str | None = None,
        hidden_role: str | None = None,
    ) -> list[AuditEntry]:
        """Newest first; `after` is the (at, id) of the last entry already shown. Entries about a customer
        merged into this one are theirs too (the same person's record, read before the merge)."""
        merged_here = select(customers.c.id).where(customers.c.merged_into == customer_id)
        query = select(audit_log).where(
            or_(audit_log.c.customer_id == customer_id, audit_log.c.customer_id.in_(merged_here)),
            or_(
                audit_log.c.action.in_(list(actions)),
                audit_log.c.action.startswith(action_prefix, autoescape=True) if action_prefix else false(),
            ),
        )
        if hidden_role is not None:  # a team whose reads this reader must not learn of
            query = query.where(or_(audit_log.c.role.is_(None), audit_log.c.role != hidden_role))
        if after is not None:
            at, entry_id = after
            query = query.where(or_(audit_log.c.at < at, and_(audit_log.c.at == at, audit_log.c.id < entry_id)))
        query = query.order_by(audit_log.c.at.desc(), audit_log.c.id.desc()).limit(first)
        async with self._engine.connect() as conn:
            rows = (await conn.execute(query)).all()
        return [_entry(row) for row in rows]

    async def by_action(self, actions: Sequence[str]) -> list[AuditEntry]:
        async with self._engine.connect() as conn:
            rows = (
                await conn.execute(
                    select(audit_log).where(audit_log.c.action.in_(list(actions))).order_by(audit_log.c.id)
                )
            ).all()
        return [_entry(row) for row in rows]


def _entry(row: Any) -> AuditEntry:
    return AuditEntry(
        id=row.id,
        at=as_utc(row.at),
        actor=row.actor,
        role=row.role,
        team=row.team,
        action=row.action,
        customer_id=row.customer_id,
        purpose=row.purpose,
        detail=row.detail,
    )
