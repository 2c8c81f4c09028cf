"""Each council tenant's tenancies as last read live from HOUSING_MANAGEMENT, kept in the gateway's own store.

A repair is only taken on the resident's own tenancy. While HOUSING_MANAGEMENT is down that cannot be
asked, and the cache's copy may have expired, be turned off or live in another worker's memory; so the
tenancies the office last showed for the resident's linked records stand in for it, and the repair is
kept (the office checks the tenancy again when it is delivered). Kept here rather than in the cache
because it must outlive a restart and be the same for every worker.

Refreshed whenever a tenant's tenancies are read live, but written at most once a `refresh_every` per
process while they are unchanged: reading "Your home" must not cost a database write each time.
"""

from __future__ import annotations

import logging
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from customer360.domain.tenancies import TenancyHeld
from customer360.store.database import STORE_ERRORS
from customer360.store.tables import tenancies_seen
from customer360.store.times import as_utc
from customer360.tracing import traced_methods

log = logging.getLogger("customer360.store")
REFRESH_EVERY_SECONDS = 3_600.0
# How long a tenancy as last seen stands in for the office: tenancies change rarely, and a repair on one
# that has since ended is refused by the office on delivery and reaches the housing team, never lost.
KEEP = timedelta(days=28)
REMEMBERED_IN_MEMORY = 10_000  # tenants whose last write this process remembers (the oldest forgotten first)


@traced_methods("tenancies_seen")
class TenanciesSeenStore:
    def __init__(
        self,
        engine: AsyncEngine,
        *,
        keep: timedelta = KEEP,
        refresh_every_seconds: float = REFRESH_EVERY_SECONDS,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._engine = engine
        self._keep = keep
        self._refresh_every = refresh_every_seconds
        self._monotonic = monotonic
        self._written: OrderedDict[str, tuple[frozenset[TenancyHeld], float]] = OrderedDict()

    async def remember(self, by_tenant: Mapping[str, Sequence[TenancyHeld]]) -> None:
        """HOUSING_MANAGEMENT has just shown these tenancies for these tenants (a tenant with none too)."""
        due = {
            tenant_id: frozenset(held)
            for tenant_id, held in by_tenant.items()
            if not self._written_lately(tenant_id, frozenset(held))
        }
        if not due:
            return
        now = datetime.now(UTC)
        try:
            async with self._engine.begin() as conn:
                await conn.execute(delete(tenancies_seen).where(tenancies_seen.c.tenant_id.in_(list(due))))
                rows = [
                    {
                        "tenant_id": tenant_id,
                        "tenancy_ref": tenancy.tenancy_ref,
                        "ends_on": tenancy.ends_on,
                        "vulnerable_household": tenancy.vulnerable_household,
                        "seen_at": now,
                    }
                    for tenant_id, held in due.items()
                    for tenancy in held
                ]
                if rows:
                    await conn.execute(insert(tenancies_seen), rows)
        except IntegrityError:
            return  # another worker wrote the same tenants at the same moment: its rows are as good
        except STORE_ERRORS as error:
            # Remembering is a side effect of a read: the tenant still sees their home, and the next live
            # read tries again. Counted by kind only: tenant ids are personal data.
            log.warning("tenancies as last seen not kept this time (%s)", type(error).__name__)
            return
        for tenant_id, held in due.items():
            self._written[tenant_id] = (held, self._monotonic())
            self._written.move_to_end(tenant_id)
        while len(self._written) > REMEMBERED_IN_MEMORY:
            self._written.popitem(last=False)

    async def last_seen(self, tenant_ids: Sequence[str]) -> list[TenancyHeld] | None:
        """The tenancies last seen for these tenants within the keeping window; None if none of them was
        seen in it (unknown, which is not the same as "holds no tenancy")."""
        if not tenant_ids:
            return None
        since = datetime.now(UTC) - self._keep
        async with self._engine.connect() as conn:
            rows = (await conn.execute(select(tenancies_seen).where(tenancies_seen.c.tenant_id.in_(tenant_ids)))).all()
        fresh = [row for row in rows if as_utc(row.seen_at) >= since]
        if not fresh:
            return None
        return [TenancyHeld(row.tenancy_ref, row.ends_on, row.vulnerable_household) for row in fresh]

    def _written_lately(self, tenant_id: str, held: frozenset[TenancyHeld]) -> bool:
        last = self._written.get(tenant_id)
        return last is not None and last[0] == held and self._monotonic() - last[1] < self._refresh_every
