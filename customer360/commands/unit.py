"""What a portal service declares, once, in its own module (`commands/<service>.py`).

Everything that used to be kept in lists no name pointed to is read from these declarations by
`commands/catalogue.py`: the outbox's handler map, the analytics journeys, which submissions are
requests in My Requests and how they show before delivery, and what each delivery makes stale.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from customer360.commands.delivery import Handler
from customer360.domain.before_delivery import ShownBeforeDelivery
from customer360.domain.submissions import SubmissionKind


@dataclass(frozen=True)
class Journey:
    """A Mutation field a resident uses, and the analytics service code its events carry."""

    mutation: str  # the field as the schema names it
    service_code: str
    # A payload attribute whose `service_code` an accepted submission is recorded under instead (a
    # mutation serving many services, so demand by service tells litter from bulky waste).
    service_of_result: str | None = None


@dataclass(frozen=True)
class Delivery:
    """One outbox operation: who performs it, and which cache namespaces its writes make stale (the
    handler names the keys in its `Delivered.invalidate`; `Deliverer` forgets them, nothing else does)."""

    operation: str
    # None only where the handler needs something that is not a back office of the six (the
    # safeguarding agencies' queues): bound at the composition root, which checks it is (catalogue).
    handler: Handler | None
    makes_stale: frozenset[str] = frozenset()


@dataclass(frozen=True)
class PortalService:
    name: str
    kinds: tuple[SubmissionKind, ...]  # what it keeps in the outbox
    journeys: tuple[Journey, ...]
    deliveries: tuple[Delivery, ...] = ()
    # Its kinds that are a request of their own in My Requests, and how each shows before its back office
    # has it (an escalation or a removal changes a request that exists, so is not listed).
    in_my_requests: Mapping[SubmissionKind, ShownBeforeDelivery] = field(default_factory=dict)
