"""Access under a resident's grant, checked on every request: an actor token names its grant, and the
grant (not the token) decides. Read through the cache and forgotten the moment the resident grants or
revokes, so revoking stops a token issued before it at once, on every replica sharing the cache."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any

from customer360.auth.principal import ActorScope, Principal, Role
from customer360.cache.base import ReadThrough
from customer360.store.access_grants import AccessGrant, AccessGrantStore

GRANT_BY_ID = "grants.by_id"
AGENCY_CUSTOMERS = "grants.agency_customers"


class GrantChecks:
    def __init__(self, store: AccessGrantStore, cache: ReadThrough) -> None:
        self.store = store
        self._cache = cache

    async def checked(self, principal: Principal, today: date) -> Principal:
        """The principal as its grant allows today: an actor whose grant no longer holds is tied to
        nobody (the resident answers as if absent), and a token never does more than its grant."""
        actor = principal.actor
        if actor is not None and actor.grant_id is not None:
            grant = await self.grant(actor.grant_id)
            if grant is None or not grant.holds_on(today) or grant.customer_id != principal.customer_id:
                return replace(principal, customer_id=None)
            if grant.scope != ActorScope.ACT.value and actor.scope is ActorScope.ACT:
                return replace(principal, actor=replace(actor, scope=ActorScope.VIEW))
            return principal
        if principal.is_staff and Role.PARTNER_AGENCY in principal.roles and principal.agency_id:
            return replace(principal, agency_customers=await self.agency_customers(principal.agency_id, today))
        return principal

    async def grant(self, grant_id: str) -> AccessGrant | None:
        async def fetch(ids: list[str]) -> dict[str, Any]:
            found = await self.store.get(ids[0])
            return {ids[0]: found} if found else {}

        (found,) = await self._cache.get_many(GRANT_BY_ID, [grant_id], fetch, _none)
        return found if isinstance(found, AccessGrant) else None

    async def agency_customers(self, agency_id: str, today: date) -> frozenset[str]:
        """The residents who granted this agency access, as of today (kept per agency and day)."""
        key = f"{agency_id}:{today.isoformat()}"

        async def fetch(keys: list[str]) -> dict[str, Any]:
            held = await self.store.held_by_agency(agency_id, today)
            return {keys[0]: frozenset(grant.customer_id for grant in held)}

        (found,) = await self._cache.get_many(AGENCY_CUSTOMERS, [key], fetch, frozenset)
        return found if isinstance(found, frozenset) else frozenset()

    async def forget(self, grant: AccessGrant, today: date) -> None:
        """The grant changed: its next check reads the store."""
        await self._cache.invalidate(GRANT_BY_ID, [grant.id])
        if grant.agency_id:
            await self._cache.invalidate(AGENCY_CUSTOMERS, [f"{grant.agency_id}:{today.isoformat()}"])


def _none() -> None:
    return None
