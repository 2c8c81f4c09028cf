"""Every mutation leaves two traces: an audit entry (who, role, what) and, for residents' portal
services, an interaction event for analytics (coarse codes only, a pseudonymous person key).

Recorded after the mutation has answered, from its outcome: a userError is an ERROR event with the
code the resident met, anything else a SERVICE_SUBMITTED event.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

from strawberry.extensions import SchemaExtension
from strawberry.types.graphql import OperationType

from customer360.auth.policy import acting_role
from customer360.domain.analytics import Channel, EventKind, InteractionEvent

# Mutation -> the portal journey it is, in the analytics' service codes. Staff actions are audited only.
JOURNEYS = {
    "makeComplaint": "COMPLAINT",
    "escalateComplaint": "COMPLAINT_ESCALATION",
    "reportIssue": "REPORT_ISSUE",
    "applySinglePersonDiscount": "SINGLE_PERSON_DISCOUNT",
    "removeSinglePersonDiscount": "SINGLE_PERSON_DISCOUNT_END",
    "makePayment": "PAYMENT",
    "notifyMove": "MOVE",
    "submitHousingApplication": "HOUSING_APPLICATION",
    "reportSafeguardingConcern": "SAFEGUARDING_CONCERN",
}


class RecordInteractions(SchemaExtension):
    async def on_execute(self) -> AsyncIterator[None]:
        started = datetime.now(UTC)
        yield
        execution = self.execution_context
        operation = execution.operation_type
        result = execution.result
        if operation is not OperationType.MUTATION or result is None or not result.data:
            return
        context = execution.context
        principal = context.principal
        role = acting_role(principal) if principal.is_staff else None
        for field, payload in result.data.items():
            problems = (payload or {}).get("userErrors") or []
            outcome = problems[0]["code"] if problems else "OK"
            await context.audit.append(
                actor=principal.subject or "anonymous",
                role=role.value if role else principal.kind.value,
                action=f"mutation.{field}",
                customer_id=principal.customer_id,
                detail={"outcome": outcome},
            )
            journey = JOURNEYS.get(field)
            if journey is None or principal.is_staff:
                continue
            await context.events.record(_event(journey, outcome, started, context, principal))


def _event(journey: str, outcome: str, started: datetime, context: Any, principal: Any) -> InteractionEvent:
    now = datetime.now(UTC)
    return InteractionEvent(
        kind=EventKind.SERVICE_SUBMITTED if outcome == "OK" else EventKind.ERROR,
        channel=Channel.WEB,
        at=now,
        service_code=journey,
        outcome=outcome[:20] if outcome != "OK" else "SUBMITTED",
        duration_ms=int((now - started).total_seconds() * 1000),
        person_key=context.person_keys.key_for(principal.customer_id) if principal.customer_id else None,
    )
