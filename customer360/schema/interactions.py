"""Every mutation leaves two traces: an audit entry (who, role, what) and, for residents' portal
services, an interaction event for analytics (coarse codes only, a pseudonymous person key).

Both come from the command's own result — the payload object the mutation's resolver returned, with
its `user_errors` — and the field's schema name, never from the GraphQL response: what a client
selects or how it aliases a field must not change what is recorded (a form that asks only for
`userErrors { message }` must not lose its answer, and an alias must not hide a refused complaint).
A userError is an ERROR event with the code the resident met, and so is a raised error (with the
code the client is shown, e.g. FORBIDDEN); anything else is a SERVICE_SUBMITTED event. Input the
boundary refuses before any resolver runs (INVALID_CHARACTERS, TOO_LONG, INVALID_RETURN_URL) is
recorded the same way, from the refusal payload (`schema/input_boundary.py`).
"""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any, Protocol

from strawberry.extensions import FieldExtension
from strawberry.extensions.field_extension import AsyncExtensionResolver
from strawberry.types import Info

from customer360.attempts import note_outcome
from customer360.auth.policy import ACTED_FOR_PREFIX, ACTED_FOR_ROLE, ASSISTED_ROLE, acting_role
from customer360.auth.principal import Principal
from customer360.commands.catalogue import JOURNEYS
from customer360.domain.analytics import Channel, EventKind, InteractionEvent, is_service_code
from customer360.schema.errors import expected_code

log = logging.getLogger("customer360.interactions")

OK = "OK"
# An exception with no code of its own: the outcome the audit row carries (the error shaping gives the
# client an error id for it).
FAILED = "INTERNAL_ERROR"


class RecordOutcome(FieldExtension):
    """On every field of the Mutation root: sees the resolver's Python payload before GraphQL selects
    from it, and records the audit row and the event from that payload."""

    async def resolve_async(self, next_: AsyncExtensionResolver, source: Any, info: Info, **kwargs: Any) -> Any:
        started = datetime.now(UTC)
        try:
            payload = await next_(source, info, **kwargs)
        except Exception as error:
            await record_outcome(info, expected_code(error) or FAILED, started)
            raise
        return await answered(info, payload, started)


def record_every_mutation(mutation_root: type) -> None:
    """Attach `RecordOutcome` to each field of the Mutation root, so a new mutation cannot be left
    unrecorded. Idempotent (the root class is shared by every schema built in a process)."""
    for field in mutation_root.__strawberry_definition__.fields:  # type: ignore[attr-defined]
        if not any(isinstance(extension, RecordOutcome) for extension in field.extensions):
            field.extensions.append(RecordOutcome())


def outcome_of(payload: Any) -> str:
    """The first userError's code, or OK: every payload carries `user_errors` (a list of UserError)."""
    problems = getattr(payload, "user_errors", None) or []
    return str(problems[0].code) if problems else OK


class MutationField(Protocol):
    """Which mutation field and whose request: Strawberry's `Info` or graphql-core's resolve info."""

    @property
    def field_name(self) -> str: ...

    @property
    def context(self) -> Any: ...


def journey_of(field: str, payload: Any, outcome: str) -> str | None:
    """The service code a mutation's event is recorded under (None: a staff action, audited only)."""
    journey = JOURNEYS.get(field)  # each portal service declares its mutations' journeys (commands/unit.py)
    if journey is None:
        return None
    result = getattr(payload, journey.service_of_result, None) if journey.service_of_result else None
    code = getattr(result, "service_code", None)
    if outcome == OK and isinstance(code, str) and is_service_code(code):
        return code
    return journey.service_code


async def answered(info: MutationField, payload: Any, started: datetime) -> Any:
    """A mutation's payload, recorded: by its resolver, or by the input boundary that refused it
    (`schema/input_boundary.py`). Its outcome code is noted for the request's Idempotency-Key too."""
    outcome = outcome_of(payload)
    note_outcome(outcome)
    await record_outcome(info, outcome, started, payload)
    return payload


async def record_outcome(info: MutationField, outcome: str, started: datetime, payload: Any = None) -> None:
    """The audit row, then the event, each on its own: the write (if any) has committed by now, so a
    failure here is logged — which mutation and what kind of failure, no input or personal data — and
    never raised, and one trace failing does not cost the other."""
    field = info.field_name  # the schema's name, whatever alias the client used
    context = info.context
    principal = context.principal
    try:
        await context.services.audit.append(**_audit_entry(principal, field, outcome))
    except Exception as error:  # recording must never cost the caller their answer
        log.error("could not record the outcome of mutation %s: %s", field, type(error).__name__)
    journey = journey_of(field, payload, outcome)
    if journey is None or principal.is_staff:
        return
    try:
        event = _event(journey, outcome, started, context, principal)
        if principal.actor is not None:
            # An officer on the phone or a helper begins and submits the journey in one go: no portal page
            # records its start, so the start is recorded here and demand counts the journey and the person.
            await context.services.events.record(
                replace(event, kind=EventKind.SERVICE_STARTED, outcome=None, duration_ms=None)
            )
        await context.services.events.record(event)
    except Exception as error:
        log.error("could not record the outcome of mutation %s: %s", field, type(error).__name__)


def _audit_entry(principal: Principal, field: str, outcome: str) -> dict[str, Any]:
    """Who did it: the resident, a member of staff, or (an actor token) who acted for whom, how, and why."""
    actor = principal.actor
    if actor is not None:
        return {
            "actor": actor.subject,
            "role": ACTED_FOR_ROLE if actor.grant_id else ASSISTED_ROLE,
            "team": actor.team,
            "action": f"{ACTED_FOR_PREFIX}{field}",
            "customer_id": principal.customer_id,
            "purpose": actor.purpose,
            "detail": {"outcome": outcome, "channel": actor.channel, "grant": actor.grant_id},
        }
    role = acting_role(principal) if principal.is_staff else None
    return {
        "actor": principal.subject or "anonymous",
        "role": role.value if role else principal.kind.value,
        "action": f"mutation.{field}",
        "customer_id": principal.customer_id,
        "detail": {"outcome": outcome},
    }


def _event(journey: str, outcome: str, started: datetime, context: Any, principal: Principal) -> InteractionEvent:
    now = datetime.now(UTC)
    actor = principal.actor
    return InteractionEvent(
        kind=EventKind.SERVICE_SUBMITTED if outcome == OK else EventKind.ERROR,
        channel=Channel(actor.channel) if actor else Channel.WEB,
        assisted=actor is not None,
        at=now,
        service_code=journey,
        outcome=outcome[:20] if outcome != OK else "SUBMITTED",
        duration_ms=int((now - started).total_seconds() * 1000),
        person_key=context.services.person_keys.key_for(principal.customer_id) if principal.customer_id else None,
    )
