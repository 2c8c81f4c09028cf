"""The principal a request acts for: anonymous, a resident, or a member of staff with roles."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from enum import StrEnum


class PrincipalKind(StrEnum):
    ANONYMOUS = "anonymous"
    RESIDENT = "resident"
    STAFF = "staff"


class Role(StrEnum):
    CUSTOMER_SERVICES = "customer_services"
    REVENUES = "revenues"
    BENEFITS = "benefits"
    HOUSING = "housing"
    SAFEGUARDING = "safeguarding"
    DATA_STEWARD = "data_steward"
    ANALYST = "analyst"
    ADMIN = "admin"
    PARTNER_AGENCY = "partner_agency"  # a voluntary agency's staff: only residents who granted the agency


class ActorScope(StrEnum):
    VIEW = "view"  # may read what the resident may read (never safeguarding reports)
    ACT = "act"  # may also do what the resident may do


@dataclass(frozen=True)
class Actor:
    """Who really acts when a token's subject is a resident (RFC 8693 `act`): an officer on an assisted
    session, or a delegate (a carer, family member, agency, councillor) under the resident's grant."""

    subject: str
    name: str | None
    team: str  # the officer's team, or the delegate's relationship, as the resident reads it
    channel: str  # an analytics Channel value: phone, face_to_face (assisted), assisted_digital (delegate)
    scope: ActorScope
    grant_id: str | None = None  # a delegate's grant, checked on every request; None for an assisted session
    purpose: str | None = None  # an assisted session's reason, as the officer gave it


@dataclass(frozen=True)
class Principal:
    kind: PrincipalKind
    subject: str | None = None
    email: str | None = None
    email_verified: bool = False
    name: str | None = None
    roles: frozenset[Role] = field(default_factory=frozenset)
    customer_id: str | None = None  # a resident's golden record, once tied to one
    actor: Actor | None = None  # set when someone acts for the resident (an actor token)
    agency_id: str | None = None  # partner agency staff: which agency they work for
    agency_customers: frozenset[str] = field(default_factory=frozenset)  # residents who granted that agency

    @property
    def is_staff(self) -> bool:
        return self.kind is PrincipalKind.STAFF

    @property
    def is_resident(self) -> bool:
        return self.kind is PrincipalKind.RESIDENT

    @property
    def is_acting(self) -> bool:
        """Someone acts for the resident (an assisted session or a grant), not the resident themselves."""
        return self.actor is not None

    @property
    def may_write(self) -> bool:
        """Residents for themselves; an actor only with ACT, and only while tied to the resident (a grant
        that no longer holds unties them: nothing, not even an anonymous report, is made under it)."""
        return self.actor is None or (self.actor.scope is ActorScope.ACT and self.customer_id is not None)


ANONYMOUS = Principal(PrincipalKind.ANONYMOUS)


def scope_of(principal: Principal) -> str:
    """Whose this is (idempotency keys, uploads): the principal's kind and a hash of its subject, never the
    subject itself."""
    if principal.subject is None:
        return principal.kind.value
    # Someone acting for a resident has a scope of their own: an officer's and a carer's keys never meet.
    whose = principal.subject + (f" act:{principal.actor.subject}" if principal.actor else "")
    return f"{principal.kind.value}:{hashlib.sha256(whose.encode()).hexdigest()}"
