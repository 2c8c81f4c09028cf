"""Reads of residents' grants: who may act for a resident, and whom a person may act for."""

from __future__ import annotations

from typing import Any

from strawberry.types import Info

from customer360.auth.policy import can_manage_grants, can_view_customer
from customer360.resolvers.context import Context
from customer360.store.access_grants import AccessGrant


async def given_by(info: Info[Context, Any], customer_id: str) -> list[AccessGrant]:
    """The resident's own grants (themselves, never someone acting for them), or staff who may see them."""
    principal = info.context.principal
    own = can_manage_grants(principal) and principal.customer_id == customer_id
    staff = principal.is_staff and can_view_customer(principal, customer_id) and not principal.agency_id
    if not (own or staff):
        info.context.report_forbidden(info, "only the resident, or staff who may see them, can see their grants")
        return []
    return await info.context.services.grants.store.given_by(customer_id)


async def held_by(info: Info[Context, Any], customer_id: str) -> list[AccessGrant]:
    """The live grants this person holds, on their own record only."""
    principal = info.context.principal
    if principal.is_acting or principal.customer_id != customer_id:
        return []
    return await info.context.services.grants.held(principal, info.context.today)
