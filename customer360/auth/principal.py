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


@dataclass(frozen=True)
class Principal:
    kind: PrincipalKind
    subject: str | None = None
    email: str | None = None
    email_verified: bool = False
    name: str | None = None
    roles: frozenset[Role] = field(default_factory=frozenset)
    customer_id: str | None = None  # a resident's golden record, once tied to one

    @property
    def is_staff(self) -> bool:
        return self.kind is PrincipalKind.STAFF

    @property
    def is_resident(self) -> bool:
        return self.kind is PrincipalKind.RESIDENT


ANONYMOUS = Principal(PrincipalKind.ANONYMOUS)


def scope_of(principal: Principal) -> str:
    """Whose this is (idempotency keys, uploads): the principal's kind and a hash of its subject, never the
    subject itself."""
    if principal.subject is None:
        return principal.kind.value
    return f"{principal.kind.value}:{hashlib.sha256(principal.subject.encode()).hexdigest()}"
