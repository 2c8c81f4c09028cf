"""The portal services, and everything derived from what each declares (`commands/unit.py`).

Nothing here is kept by hand: a service is added by writing its module and naming its `UNIT` below.
The outbox's handler map, the analytics journeys, and which submissions My Requests lists (and how)
all follow.
"""

from __future__ import annotations

from collections.abc import Mapping

from customer360.commands import complaints, discounts, housing, moving, payments, report_issue, safeguarding
from customer360.commands.delivery import Handler
from customer360.commands.unit import Delivery, Journey, PortalService
from customer360.domain.before_delivery import ShownBeforeDelivery
from customer360.domain.submissions import SubmissionKind

UNITS: tuple[PortalService, ...] = (
    complaints.UNIT,
    report_issue.UNIT,
    discounts.UNIT,
    payments.UNIT,
    moving.UNIT,
    housing.UNIT,
    safeguarding.UNIT,
)

DELIVERIES: dict[str, Delivery] = {delivery.operation: delivery for unit in UNITS for delivery in unit.deliveries}
JOURNEYS: dict[str, Journey] = {journey.mutation: journey for unit in UNITS for journey in unit.journeys}
# Submissions that are a request of their own in My Requests, and how each shows before delivery.
IN_MY_REQUESTS: dict[SubmissionKind, ShownBeforeDelivery] = {
    kind: shown for unit in UNITS for kind, shown in unit.in_my_requests.items()
}


def handlers(bound: Mapping[str, Handler]) -> dict[str, Handler]:
    """Every operation's handler: the declared ones, and `bound` for those the composition root binds
    (a handler needing what is not one of the back offices). One left unbound is a wiring mistake."""
    found = {op: delivery.handler for op, delivery in DELIVERIES.items() if delivery.handler is not None}
    unbound = set(DELIVERIES) - set(found) - set(bound)
    if unbound:
        raise ValueError(f"outbox operations declared without a handler: {sorted(unbound)}")
    return {**found, **bound}


def _each_declared_once() -> None:
    """A kind, an operation or a mutation in two units would make one of them silently lose."""
    kinds = [kind for unit in UNITS for kind in unit.kinds]
    operations = [delivery.operation for unit in UNITS for delivery in unit.deliveries]
    mutations = [journey.mutation for unit in UNITS for journey in unit.journeys]
    for name, declared in (("kind", kinds), ("operation", operations), ("mutation", mutations)):
        if len(declared) != len(set(declared)):
            raise ValueError(f"a {name} is declared by two portal services")


_each_declared_once()
