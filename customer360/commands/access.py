"""Acting for a resident: an officer's assisted session, and a resident's grants to the people and
agencies who help them, each ending in an actor token (`auth/actor_tokens.py`).

Every refusal is a `Problem`; an id the principal may not act for answers exactly like one that does
not exist, so no probe learns whether a resident is there.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from enum import StrEnum

from customer360.auth.actor_tokens import ASSISTED_SESSION_SECONDS, DELEGATE_TOKEN_SECONDS, ActorTokenIssuer
from customer360.auth.grants import GrantChecks
from customer360.auth.policy import (
    TEAMS,
    acting_name,
    can_act_for_agency_client,
    can_manage_grants,
    can_start_assisted_session,
)
from customer360.auth.principal import Actor, ActorScope, Principal, Role
from customer360.domain.people import normalise_email
from customer360.domain.problems import CommonCode, Problem
from customer360.store.access_grants import AccessGrant
from customer360.store.audit import AuditLog

# Grants last at most this long; the resident renews one that should go on.
LONGEST_GRANT_DAYS = 3 * 366
ASSISTED_CHANNELS = frozenset({"phone", "face_to_face"})
RELATIONSHIP_NAMES = {
    "CARER": "Your carer",
    "FAMILY": "A family member",
    "VOLUNTARY_AGENCY": "A voluntary agency",
    "COUNCILLOR": "Your councillor",
}


class AccessCode(StrEnum):
    IN_THE_PAST = "IN_THE_PAST"
    TOO_FAR_AHEAD = "TOO_FAR_AHEAD"
    YOURSELF = "YOURSELF"
    AGENCY_REQUIRED = "AGENCY_REQUIRED"


NO_SUCH_RESIDENT = Problem(("input", "customerId"), CommonCode.NOT_FOUND, "We could not find that resident")
NO_SUCH_GRANT = Problem(("input", "grantId"), CommonCode.NOT_FOUND, "We could not find that access")
NOT_SIGNED_IN = Problem(None, CommonCode.NOT_SIGNED_IN, "Sign in to manage who can act for you")


@dataclass(frozen=True, slots=True)
class IssuedToken:
    token: str
    expires_at: datetime
    customer_id: str
    scope: ActorScope


async def start_assisted_session(
    principal: Principal,
    issuer: ActorTokenIssuer,
    audit: AuditLog,
    *,
    customer_id: str,
    exists: bool,
    channel: str,
    purpose: str,
) -> IssuedToken | list[Problem]:
    """An officer acts for the caller for one call (15 minutes; start again to renew while it lasts)."""
    if not can_start_assisted_session(principal) or not exists:
        return [NO_SUCH_RESIDENT]
    if channel not in ASSISTED_CHANNELS:
        return [Problem(("input", "channel"), CommonCode.INVALID, "Choose phone or face to face")]
    if not purpose:
        return [Problem(("input", "purpose"), CommonCode.REQUIRED, "Say why you are acting for the resident")]
    actor = Actor(
        subject=principal.subject or "staff",
        name=acting_name(principal),
        team=TEAMS[Role.CUSTOMER_SERVICES],
        channel=channel,
        scope=ActorScope.ACT,
        purpose=purpose,
    )
    token, expires = issuer.issue(customer_id, actor, ASSISTED_SESSION_SECONDS)
    await audit.append(
        actor=actor.subject,
        role=Role.CUSTOMER_SERVICES.value,
        team=actor.team,
        action="assisted.start",
        customer_id=customer_id,
        purpose=purpose,
        detail={"channel": channel},
    )
    return IssuedToken(token, datetime.fromtimestamp(expires, UTC), customer_id, ActorScope.ACT)


async def grant_access(
    principal: Principal,
    checks: GrantChecks,
    *,
    delegate_email: str | None,
    agency_id: str | None,
    relationship: str,
    scope: str,
    expires_on: date,
    today: date,
) -> tuple[AccessGrant, bool] | list[Problem]:
    if not can_manage_grants(principal) or principal.customer_id is None:
        return [NOT_SIGNED_IN]
    problems = []
    email = normalise_email(delegate_email)
    if relationship == "VOLUNTARY_AGENCY":
        if not agency_id:
            problems.append(Problem(("input", "agencyId"), AccessCode.AGENCY_REQUIRED, "Choose the agency"))
    elif not email or "@" not in email:
        problems.append(Problem(("input", "delegateEmail"), CommonCode.INVALID, "Enter the email they sign in with"))
    elif email == normalise_email(principal.email):
        problems.append(Problem(("input", "delegateEmail"), AccessCode.YOURSELF, "Enter someone else's email"))
    if expires_on < today:
        problems.append(Problem(("input", "expiresOn"), AccessCode.IN_THE_PAST, "The date must be today or later"))
    elif (expires_on - today).days > LONGEST_GRANT_DAYS:
        problems.append(Problem(("input", "expiresOn"), AccessCode.TOO_FAR_AHEAD, "Choose a date within 3 years"))
    if problems:
        return problems
    made = await checks.store.grant(
        customer_id=principal.customer_id,
        delegate_email=None if relationship == "VOLUNTARY_AGENCY" else email,
        agency_id=agency_id if relationship == "VOLUNTARY_AGENCY" else None,
        relationship=relationship,
        scope=scope,
        expires_on=expires_on,
        today=today,
    )
    await checks.forget(made[0], today)
    return made


async def revoke_access(
    principal: Principal, checks: GrantChecks, grant_id: str, today: date
) -> AccessGrant | list[Problem]:
    """At once: the grant's cached copy is forgotten, so a token issued under it stops on its next request."""
    if not can_manage_grants(principal) or principal.customer_id is None:
        return [NOT_SIGNED_IN]
    revoked = await checks.store.revoke(grant_id, principal.customer_id)
    if revoked is None:
        return [NO_SUCH_GRANT]
    await checks.forget(revoked, today)
    return revoked


async def act_for(
    principal: Principal, checks: GrantChecks, issuer: ActorTokenIssuer, customer_id: str, today: date
) -> IssuedToken | list[Problem]:
    """An actor token within the grant's scope; no live grant answers as if the resident did not exist."""
    if principal.is_staff and not can_act_for_agency_client(principal, customer_id):
        return [NO_SUCH_RESIDENT]
    grant = next((g for g in await checks.held(principal, today) if g.customer_id == customer_id), None)
    if grant is None:
        return [NO_SUCH_RESIDENT]
    scope = ActorScope.ACT if grant.scope == "ACT" else ActorScope.VIEW
    actor = Actor(
        subject=principal.subject or "delegate",
        name=(principal.name or acting_name(principal)) if principal.is_staff else None,
        team=RELATIONSHIP_NAMES.get(grant.relationship, "Someone you chose"),
        channel="assisted_digital",
        scope=scope,
        grant_id=grant.id,
    )
    token, expires = issuer.issue(customer_id, actor, DELEGATE_TOKEN_SECONDS)
    return IssuedToken(token, datetime.fromtimestamp(expires, UTC), customer_id, scope)
