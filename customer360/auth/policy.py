"""Object-level authorization, in one place, for resolvers and commands alike."""

from __future__ import annotations

from customer360.auth.principal import Principal, Role

# Roles that work with individual residents' records. `analyst` sees aggregates only.
PERSON_ROLES = frozenset(
    {
        Role.CUSTOMER_SERVICES,
        Role.REVENUES,
        Role.BENEFITS,
        Role.HOUSING,
        Role.SAFEGUARDING,
        Role.DATA_STEWARD,
        Role.ADMIN,
    }
)


def can_search_customers(principal: Principal) -> bool:
    return principal.is_staff and bool(principal.roles & PERSON_ROLES)


def can_view_customer(principal: Principal, customer_id: str) -> bool:
    """A resident sees only their own record; staff with a person role see any."""
    if principal.is_staff:
        return bool(principal.roles & PERSON_ROLES)
    return principal.is_resident and principal.customer_id is not None and principal.customer_id == customer_id
