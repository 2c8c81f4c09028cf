"""Acting for residents: assisted sessions (officers), grants (carers, family, agencies, councillors),
and the actor tokens both end in. The rules are in `commands/access.py`; this module declares the API."""

from __future__ import annotations

from datetime import date, datetime
from enum import Enum
from typing import Any, Self

import strawberry
from strawberry.types import Info

from customer360.commands import access as command
from customer360.resolvers.context import Context
from customer360.schema.channel import Channel
from customer360.schema.node import key_of, to_global_id
from customer360.schema.values import UserError, user_errors
from customer360.store.access_grants import AccessGrant as GrantRecord


@strawberry.enum
class GrantRelationship(Enum):
    CARER = "CARER"
    FAMILY = "FAMILY"
    VOLUNTARY_AGENCY = "VOLUNTARY_AGENCY"
    COUNCILLOR = "COUNCILLOR"


@strawberry.enum(description="VIEW: see what the resident sees (never safeguarding reports). ACT: also act.")
class GrantScope(Enum):
    VIEW = "VIEW"
    ACT = "ACT"


@strawberry.type(description="A resident, as a grant names them: who granted it.")
class GrantingResident:
    id: strawberry.ID
    name: str | None


@strawberry.type(description="Someone the resident lets see or act for them, until a date.")
class AccessGrant:
    grant_id: strawberry.Private[str]
    customer_id: strawberry.Private[str]
    id: strawberry.ID
    delegate_email: str | None
    agency_id: str | None
    relationship: GrantRelationship
    scope: GrantScope
    expires_on: date
    granted_at: datetime
    revoked_at: datetime | None
    active: bool = strawberry.field(description="Not revoked and not past `expiresOn`.")

    @classmethod
    def from_record(cls, grant: GrantRecord, today: date) -> Self:
        return cls(
            grant_id=grant.id,
            customer_id=grant.customer_id,
            id=strawberry.ID(to_global_id("AccessGrant", grant.id)),
            delegate_email=grant.delegate_email,
            agency_id=grant.agency_id,
            relationship=GrantRelationship(grant.relationship),
            scope=GrantScope(grant.scope),
            expires_on=grant.expires_on,
            granted_at=grant.created_at,
            revoked_at=grant.revoked_at,
            active=grant.holds_on(today),
        )

    @strawberry.field(description="Who granted it: their id and name only (what they let you see is through actFor).")
    async def customer(self, info: Info[Context, Any]) -> GrantingResident:
        found = await info.context.loaders.customers.load(self.customer_id)
        return GrantingResident(
            id=strawberry.ID(to_global_id("Customer", self.customer_id)), name=found.name if found else None
        )


@strawberry.type
class StartAssistedSessionPayload:
    token: str | None = strawberry.field(description="An actor token (RFC 8693): send it as `Authorization: Bearer`.")
    expires_at: datetime | None
    user_errors: list[UserError]


@strawberry.type
class ActForPayload:
    token: str | None = strawberry.field(description="An actor token (RFC 8693): send it as `Authorization: Bearer`.")
    expires_at: datetime | None
    scope: GrantScope | None
    user_errors: list[UserError]


@strawberry.input
class StartAssistedSessionInput:
    customer_id: strawberry.ID
    channel: Channel = strawberry.field(description="PHONE or FACE_TO_FACE.")
    purpose: str


@strawberry.input
class GrantAccessInput:
    delegate_email: str | None = None
    agency_id: str | None = strawberry.field(default=None, description="VOLUNTARY_AGENCY: the agency's id.")
    relationship: GrantRelationship
    scope: GrantScope
    expires_on: date


@strawberry.type
class GrantAccessPayload:
    grant: AccessGrant | None
    user_errors: list[UserError]


@strawberry.type
class RevokeAccessPayload:
    grant: AccessGrant | None
    user_errors: list[UserError]


@strawberry.input
class RevokeAccessInput:
    grant_id: strawberry.ID


@strawberry.input
class ActForInput:
    customer_id: strawberry.ID


async def start_assisted_session(
    info: Info[Context, Any], input: StartAssistedSessionInput
) -> StartAssistedSessionPayload:
    context = info.context
    customer_id = key_of("Customer", input.customer_id) or ""
    found = await context.loaders.customers.load(customer_id) if customer_id else None
    outcome = await command.start_assisted_session(
        context.principal,
        context.services.actor_tokens,
        context.services.audit,
        customer_id=customer_id,
        exists=found is not None,
        channel=input.channel.value,
        purpose=input.purpose,
    )
    if isinstance(outcome, list):
        return StartAssistedSessionPayload(token=None, expires_at=None, user_errors=user_errors(outcome))
    return StartAssistedSessionPayload(token=outcome.token, expires_at=outcome.expires_at, user_errors=[])


async def grant_access(info: Info[Context, Any], input: GrantAccessInput) -> GrantAccessPayload:
    context = info.context
    outcome = await command.grant_access(
        context.principal,
        context.services.grants,
        delegate_email=input.delegate_email,
        agency_id=input.agency_id,
        relationship=input.relationship.value,
        scope=input.scope.value,
        expires_on=input.expires_on,
        today=context.today,
    )
    if isinstance(outcome, list):
        return GrantAccessPayload(grant=None, user_errors=user_errors(outcome))
    return GrantAccessPayload(grant=AccessGrant.from_record(outcome[0], context.today), user_errors=[])


async def revoke_access(info: Info[Context, Any], input: RevokeAccessInput) -> RevokeAccessPayload:
    context = info.context
    grant_id = key_of("AccessGrant", input.grant_id) or ""
    outcome = await command.revoke_access(context.principal, context.services.grants, grant_id, context.today)
    if isinstance(outcome, list):
        return RevokeAccessPayload(grant=None, user_errors=user_errors(outcome))
    return RevokeAccessPayload(grant=AccessGrant.from_record(outcome, context.today), user_errors=[])


async def act_for(info: Info[Context, Any], input: ActForInput) -> ActForPayload:
    context = info.context
    customer_id = key_of("Customer", input.customer_id) or ""
    outcome = await command.act_for(
        context.principal, context.services.grants, context.services.actor_tokens, customer_id, context.today
    )
    if isinstance(outcome, list):
        return ActForPayload(token=None, expires_at=None, scope=None, user_errors=user_errors(outcome))
    scope = GrantScope(outcome.scope.value.upper())
    return ActForPayload(token=outcome.token, expires_at=outcome.expires_at, scope=scope, user_errors=[])
