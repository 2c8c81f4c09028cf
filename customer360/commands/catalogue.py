"""The portal services, and everything derived from what each declares (`commands/unit.py`).

Nothing here is kept by hand: a service is added by writing its module and naming its `UNIT` below.
The outbox's handler map, the analytics journeys, and which submissions My Requests lists (and how)
all follow.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

from customer360.commands import (
    casework,
    complaints,
    direct_debit,
    discounts,
    housing,
    moving,
    payments,
    repairs,
    report_issue,
    safeguarding,
)
from customer360.commands.delivery import Delivered, DeliveryTools, Handler
from customer360.commands.unit import Delivery, Journey, PortalService
from customer360.domain.before_delivery import ShownBeforeDelivery
from customer360.domain.submissions import SubmissionKind
from customer360.store.outbox import OutboxItem

log = logging.getLogger("customer360.outbox")

UNITS: tuple[PortalService, ...] = (
    complaints.UNIT,
    report_issue.UNIT,
    discounts.UNIT,
    payments.UNIT,
    moving.UNIT,
    housing.UNIT,
    safeguarding.UNIT,
    casework.UNIT,
    repairs.UNIT,
    direct_debit.UNIT,
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
    unbound = [op for op, delivery in DELIVERIES.items() if delivery.handler is None and op not in bound]
    if unbound:
        raise ValueError(f"outbox operations declared without a handler: {sorted(unbound)}")
    return {
        op: as_declared(delivery, bound.get(op) or delivery.handler)  # type: ignore[arg-type]
        for op, delivery in DELIVERIES.items()
    }


def as_declared(delivery: Delivery, handler: Handler) -> Handler:
    """The handler, watched: what it makes stale outside its service's declaration is still forgotten
    (never a stale answer for a resident), and logged as the declaration's mistake to fix."""

    async def handle(tools: DeliveryTools, item: OutboxItem) -> Delivered:
        delivered = await handler(tools, item)
        undeclared = {namespace for namespace, _ in delivered.invalidate} - delivery.makes_stale
        if undeclared:
            log.error(
                "delivery %s made stale what its service does not declare: %s", item.operation, sorted(undeclared)
            )
        return delivered

    return handle


def _each_declared_once() -> None:
    """A kind, an operation or a mutation in two units would make one of them silently lose."""
    kinds = [kind for unit in UNITS for kind in unit.kinds]
    operations = [delivery.operation for unit in UNITS for delivery in unit.deliveries]
    mutations = [journey.mutation for unit in UNITS for journey in unit.journeys]
    for name, declared in (("kind", kinds), ("operation", operations), ("mutation", mutations)):
        if len(declared) != len(set(declared)):
            raise ValueError(f"a {name} is declared by two portal services")


_each_declared_once()
