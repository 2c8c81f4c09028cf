"""Object-level authorization, in one place, for resolvers and commands alike."""

from __future__ import annotations

from typing import Any

from customer360.auth.principal import Principal, Role
from customer360.sources.backoffice import BackOffice

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


def can_steward(principal: Principal) -> bool:
    """Golden-record stewardship (the review queue, merges and splits): data stewards and admins."""
    return principal.is_staff and bool({Role.DATA_STEWARD, Role.ADMIN} & principal.roles)


def can_view_customer(principal: Principal, customer_id: str) -> bool:
    """A resident sees only their own record (so does whoever acts for them, while their grant holds: the
    principal is then tied to nobody); staff with a person role see any; a partner agency's staff see
    only the residents who granted their agency access."""
    if principal.is_staff:
        return bool(principal.roles & PERSON_ROLES) or customer_id in principal.agency_customers
    return principal.is_resident and principal.customer_id is not None and principal.customer_id == customer_id


def can_start_assisted_session(principal: Principal) -> bool:
    """An officer on the phone or at the desk acts for the caller: customer services only."""
    return principal.is_staff and Role.CUSTOMER_SERVICES in principal.roles


def can_act_for_agency_client(principal: Principal, customer_id: str) -> bool:
    return principal.is_staff and Role.PARTNER_AGENCY in principal.roles and customer_id in principal.agency_customers


def can_manage_grants(principal: Principal) -> bool:
    """Only the resident themselves grants or revokes access, never someone acting for them."""
    return principal.is_resident and principal.customer_id is not None and not principal.is_acting


def can_write(principal: Principal) -> bool:
    """An actor writes only under an ACT grant or an assisted session; VIEW only reads."""
    return principal.may_write


# Casework: customer services front every queue (and answer complaints); admin too. Any other team works
# its own queue, named as its role in capitals (HOUSING, REVENUES, BENEFITS).
CASEWORK_EVERY_QUEUE = frozenset({Role.CUSTOMER_SERVICES, Role.ADMIN})
CASEWORK_OWN_QUEUE = frozenset({Role.REVENUES, Role.BENEFITS, Role.HOUSING})


def casework_queues(principal: Principal) -> frozenset[str] | None:
    """The CRM queues a member of staff works: None for every queue, empty for none."""
    if not principal.is_staff:
        return frozenset()
    if principal.roles & CASEWORK_EVERY_QUEUE:
        return None
    return frozenset(role.value.upper() for role in principal.roles & CASEWORK_OWN_QUEUE)


def can_do_casework(principal: Principal, queue: str | None) -> bool:
    """Progress a case in this queue; `queue` None: answer a complaint (customer services, admin)."""
    allowed = casework_queues(principal)
    if allowed is None:
        return True
    return queue is not None and queue in allowed


def through_a_grant(principal: Principal) -> bool:
    """Whether the principal sees the resident only because the resident granted it: a delegate's actor
    token, or partner agency staff with no other role that works with residents."""
    if principal.actor is not None:
        return principal.actor.grant_id is not None
    return principal.is_staff and Role.PARTNER_AGENCY in principal.roles and not principal.roles & PERSON_ROLES


def can_see_safeguarding_reports(principal: Principal) -> bool:
    """Never through a grant: the person acting may be the very one a report is about. That covers the
    safeguarding team's reads in the access log too, which would say a concern was raised."""
    return not through_a_grant(principal)


# How what someone did for a resident is audited: `acted_for.<mutation>`, by an officer on an assisted
# session (ASSISTED_ROLE) or a delegate under the resident's grant (ACTED_FOR_ROLE); the resident's
# access log shows every such entry.
ACTED_FOR_PREFIX = "acted_for."
ASSISTED_ROLE = "assisted"
ACTED_FOR_ROLE = "delegate"

# Which team a role belongs to, as a resident reading their access log would understand it.
TEAMS = {
    Role.CUSTOMER_SERVICES: "Customer services",
    Role.REVENUES: "Council Tax",
    Role.BENEFITS: "Benefits",
    Role.HOUSING: "Housing",
    Role.SAFEGUARDING: "Safeguarding",
    Role.DATA_STEWARD: "Records management",
    Role.ANALYST: "Insight and performance",
    Role.ADMIN: "Digital services",
    Role.PARTNER_AGENCY: "Partner agency",
}


def acting_role(principal: Principal) -> Role | None:
    """The role a staff read is recorded under: the first person role the principal holds."""
    return next((role for role in Role if role in principal.roles and role in PERSON_ROLES), None)


def acting_name(principal: Principal) -> str:
    """Who a staff action is recorded as: their name, else their subject."""
    return principal.name or principal.subject or "staff"


def can_see_records_of(principal: Principal, office: BackOffice[Any], customer_id: str) -> bool:
    """A back office's records of a customer: the resident themselves, or staff in a role the office
    names (`seen_by`, e.g. benefit details: benefits and customer services), else any person role."""
    if principal.is_staff:
        allowed = PERSON_ROLES if office.seen_by is None else frozenset(Role(role) for role in office.seen_by)
        return bool(principal.roles & allowed)
    return can_view_customer(principal, customer_id)


def can_see_access_log(principal: Principal, customer_id: str) -> bool:
    return can_view_customer(principal, customer_id)


def delivery_case_teams(principal: Principal, teams: frozenset[str]) -> frozenset[str]:
    """The teams whose delivery cases a principal may see and resolve: staff see their own team's
    (a team is named as its role); admin sees every other team's too. The safeguarding team's stay
    with the safeguarding role, admin or not: a case there says who raised a concern (their customer
    id and reference), which only safeguarding staff may know. Residents and analysts see none."""
    if not principal.is_staff:
        return frozenset()
    own = frozenset(role.value for role in principal.roles) & teams
    if Role.ADMIN in principal.roles:
        return own | (teams - {Role.SAFEGUARDING.value})
    return own
