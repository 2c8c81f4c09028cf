"""Customers' views generations kept in the gateway store (see cache/views.py `StoreGenerations`)."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from customer360.store.database import chunked
from customer360.store.tables import view_generations
from customer360.tracing import traced_methods


@traced_methods("view_generations")
class ViewGenerationStore:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def renew(self, customer_ids: Sequence[str]) -> None:
        """A new generation for each customer: whatever was kept under the old one is never served."""
        now = datetime.now(UTC)
        for chunk in chunked(sorted(set(customer_ids))):
            generation = secrets.token_hex(8)
            async with self._engine.begin() as conn:
                renewed = await conn.execute(
                    update(view_generations)
                    .where(view_generations.c.customer_id.in_(chunk))
                    .values(generation=generation, changed_at=now)
                )
                if renewed.rowcount == len(chunk):
                    continue
                known = set(
                    (
                        await conn.execute(
                            select(view_generations.c.customer_id).where(view_generations.c.customer_id.in_(chunk))
                        )
                    ).scalars()
                )
            await self._add([c for c in chunk if c not in known], generation, now)

    async def current_many(self, ids: Sequence[str]) -> dict[str, str]:
        """Each id's generation, in one read (ids never renewed are absent)."""
        async with self._engine.connect() as conn:
            rows = (
                await conn.execute(
                    select(view_generations.c.customer_id, view_generations.c.generation).where(
                        view_generations.c.customer_id.in_(list(ids))
                    )
                )
            ).all()
        return {row.customer_id: row.generation for row in rows}

    async def current(self, customer_id: str) -> str:
        """The customer's generation; "" for one never renewed (a renewal always changes it)."""
        async with self._engine.connect() as conn:
            found = await conn.scalar(
                select(view_generations.c.generation).where(view_generations.c.customer_id == customer_id)
            )
        return str(found or "")

    async def _add(self, customer_ids: list[str], generation: str, now: datetime) -> None:
        for customer_id in customer_ids:
            try:
                async with self._engine.begin() as conn:
                    await conn.execute(
                        insert(view_generations).values(customer_id=customer_id, generation=generation, changed_at=now)
                    )
            except IntegrityError:  # another worker added it meanwhile: renew theirs instead
                async with self._engine.begin() as conn:
                    await conn.execute(
                        update(view_generations)
                        .where(view_generations.c.customer_id == customer_id)
                        .values(generation=generation, changed_at=now)
                    )
