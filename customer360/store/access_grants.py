"""Access grants: a resident lets a person (by the email they sign in with) or a partner agency (by its
id) see (VIEW) or act for them (ACT) until a date. Rows are never deleted: revoking stamps them."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import and_, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from customer360.store.tables import access_grants
from customer360.store.times import as_utc
from customer360.tracing import traced_methods


@dataclass(frozen=True, slots=True)
class AccessGrant:
    id: str
    customer_id: str
    delegate_email: str | None
    agency_id: str | None
    relationship: str
    scope: str
    expires_on: date
    created_at: datetime
    revoked_at: datetime | None

    def holds_on(self, today: date) -> bool:
        """Not revoked, and `expires_on` is the last day it holds."""
        return self.revoked_at is None and today <= self.expires_on


@traced_methods("access_grants")
class AccessGrantStore:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def grant(
        self,
        *,
        customer_id: str,
        delegate_email: str | None,
        agency_id: str | None,
        relationship: str,
        scope: str,
        expires_on: date,
        today: date,
    ) -> tuple[AccessGrant, bool]:
        """The resident's live grant to this delegate, and whether this call made it. A live grant to the
        same delegate is answered as it is (change it by revoking and granting again); one that has
        expired is closed first. Requests racing to make the same grant make one (a unique index)."""
        delegate = f"agency:{agency_id}" if agency_id else f"email:{delegate_email}"
        same = and_(access_grants.c.customer_id == customer_id, access_grants.c.delegate == delegate)
        now = datetime.now(UTC)
        row = {
            "id": str(uuid.uuid4()),
            "customer_id": customer_id,
            "delegate": delegate,
            "delegate_email": None if agency_id else delegate_email,
            "agency_id": agency_id,
            "relationship": relationship,
            "scope": scope,
            "expires_on": expires_on,
            "created_at": now,
            "revoked_at": None,
        }
        try:
            async with self._engine.begin() as conn:
                await conn.execute(
                    update(access_grants)
                    .where(same, access_grants.c.revoked_at.is_(None), access_grants.c.expires_on < today)
                    .values(revoked_at=now)
                )
                await conn.execute(insert(access_grants).values(**row))
            return _grant(row), True
        except IntegrityError:
            live = await self._where(same, access_grants.c.revoked_at.is_(None))
            if not live:
                raise
            return live[0], False

    async def revoke(self, grant_id: str, customer_id: str) -> AccessGrant | None:
        """Revoke the resident's own grant (a second revoke finds it revoked); None if it is not theirs."""
        async with self._engine.begin() as conn:
            await conn.execute(
                update(access_grants)
                .where(
                    access_grants.c.id == grant_id,
                    access_grants.c.customer_id == customer_id,
                    access_grants.c.revoked_at.is_(None),
                )
                .values(revoked_at=datetime.now(UTC))
            )
            row = (
                await conn.execute(
                    select(access_grants).where(
                        access_grants.c.id == grant_id, access_grants.c.customer_id == customer_id
                    )
                )
            ).first()
        return _grant(row._mapping) if row else None

    async def get(self, grant_id: str) -> AccessGrant | None:
        async with self._engine.connect() as conn:
            row = (await conn.execute(select(access_grants).where(access_grants.c.id == grant_id))).first()
        return _grant(row._mapping) if row else None

    async def given_by(self, customer_id: str) -> list[AccessGrant]:
        """Every grant the resident has made, newest first (revoked and expired ones too: their history)."""
        return await self._where(access_grants.c.customer_id == customer_id)

    async def held_by_email(self, email: str, today: date) -> list[AccessGrant]:
        """The grants a person holds today, by the verified email they sign in with."""
        return await self._where(_holding(today), access_grants.c.delegate_email == email)

    async def held_by_agency(self, agency_id: str, today: date) -> list[AccessGrant]:
        return await self._where(_holding(today), access_grants.c.agency_id == agency_id)

    async def _where(self, *conditions: Any) -> list[AccessGrant]:
        query = select(access_grants).where(and_(*conditions)).order_by(access_grants.c.created_at.desc())
        async with self._engine.connect() as conn:
            return [_grant(row._mapping) for row in (await conn.execute(query)).all()]


def _holding(today: date) -> Any:
    return and_(access_grants.c.revoked_at.is_(None), access_grants.c.expires_on >= today)


def _grant(row: Any) -> AccessGrant:
    return AccessGrant(
        id=row["id"],
        customer_id=row["customer_id"],
        delegate_email=row["delegate_email"],
        agency_id=row["agency_id"],
        relationship=row["relationship"],
        scope=row["scope"],
        expires_on=row["expires_on"],
        created_at=as_utc(row["created_at"]),
        revoked_at=as_utc(row["revoked_at"]) if row["revoked_at"] else None,
    )
