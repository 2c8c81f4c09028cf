"""What someone acting for a resident may do, on every field of the Mutation root: a VIEW grant writes
nothing, and nobody acting for a resident grants, revokes or passes on access in their name."""

from __future__ import annotations

from typing import Any

from strawberry.extensions import FieldExtension
from strawberry.extensions.field_extension import AsyncExtensionResolver
from strawberry.types import Info

from customer360.auth.policy import can_write
from customer360.resolvers.customers import NotAllowed

# Mutations only the resident themselves, or a member of staff as themselves, may make.
NEVER_BY_AN_ACTOR = frozenset({"grantAccess", "revokeAccess", "actFor", "startAssistedSession"})


class WithinActorScope(FieldExtension):
    async def resolve_async(self, next_: AsyncExtensionResolver, source: Any, info: Info, **kwargs: Any) -> Any:
        principal = info.context.principal
        if principal.is_acting and info.field_name in NEVER_BY_AN_ACTOR:
            raise NotAllowed("only the resident can do this, not someone acting for them")
        if not can_write(principal):
            raise NotAllowed("you cannot do this for the resident")
        return await next_(source, info, **kwargs)


def guard_every_mutation(mutation_root: type) -> None:
    """Attach `WithinActorScope` to each Mutation field (idempotent: the root class is shared)."""
    for field in mutation_root.__strawberry_definition__.fields:  # type: ignore[attr-defined]
        if not any(isinstance(extension, WithinActorScope) for extension in field.extensions):
            field.extensions.append(WithinActorScope())
