"""Access under a resident's grant, checked on every request: an actor token names its grant, and the
grant (not the token) decides. Read through the cache and forgotten the moment the resident grants or
revokes, so revoking stops a token issued before it at once, on every replica sharing the cache."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import date
from typing import Any

from customer360.auth.principal import ActorScope, Principal, Role
from customer360.cache.base import ReadThrough, Stale
from customer360.domain.people import normalise_email
from customer360.store.access_grants import AccessGrant, AccessGrantStore

GRANT_BY_ID = "grants.by_id"
AGENCY_CUSTOMERS = "grants.agency_customers"
GRANT_ACT = "ACT"  # a grant's scope as the resident chose it: ACT or VIEW


class GrantChecks:
    def __init__(
        self, store: AccessGrantStore, cache: ReadThrough, customer_for_email: Callable[[str], Awaitable[str | None]]
    ) -> None:
        self.store = store
        self._cache = cache
        self._customer_for_email = customer_for_email

    async def checked(self, principal: Principal, today: date) -> Principal:
        """The principal as its grant allows today: an actor whose grant no longer holds is tied to
        nobody (the resident answers as if absent), and a token never does more than its grant."""
        actor = principal.actor
        if actor is not None and actor.grant_id is not None:
            grant = await self.grant(actor.grant_id)
            if grant is None or not grant.holds_on(today) or grant.customer_id != principal.customer_id:
                return replace(principal, customer_id=None)
            if grant.scope != GRANT_ACT and actor.scope is ActorScope.ACT:
                return replace(principal, actor=replace(actor, scope=ActorScope.VIEW))
            return principal
        if principal.is_staff and Role.PARTNER_AGENCY in principal.roles and principal.agency_id:
            return replace(principal, agency_customers=await self.agency_customers(principal.agency_id, today))
        return principal

    async def held(self, principal: Principal, today: date) -> list[AccessGrant]:
        """The grants that let this principal act today: a signed-in person's, by their verified email, or
        a partner agency's staff's, by their agency. Nobody acting for someone holds any."""
        if principal.is_staff and principal.agency_id and Role.PARTNER_AGENCY in principal.roles:
            return await self.store.held_by_agency(principal.agency_id, today)
        email = normalise_email(principal.email)
        if principal.is_resident and not principal.is_acting and principal.email_verified and email:
            return await self.store.held_by_email(email, today)
        return []

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
        """The grant changed: its next check reads the store, and neither the resident's kept answers
        (their grants) nor the delegate's (whom they act for) are served again."""
        keys = [(GRANT_BY_ID, grant.id)]
        if grant.agency_id:
            keys.append((AGENCY_CUSTOMERS, f"{grant.agency_id}:{today.isoformat()}"))
        delegate = await self._customer_for_email(grant.delegate_email) if grant.delegate_email else None
        await self._cache.forget(Stale(keys=keys, customers=[grant.customer_id, delegate]))


def _none() -> None:
    return None
