"""The repair service (reportRepair), declared as one unit: checked against the resident's own tenancies,
worked at the priority the rules give (`domain/repairs.py`), recorded in HOUSING_MANAGEMENT through the
outbox."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from customer360.auth.principal import Principal
from customer360.clock import LONDON
from customer360.commands.check_then_write import check_then_keep, customer_lock
from customer360.commands.delivery import Delivered, DeliveryTools
from customer360.commands.unit import Delivery, Journey, PortalService
from customer360.commands.write_path import Kept, WritePath
from customer360.domain.before_delivery import as_request
from customer360.domain.customers import GoldenRecord
from customer360.domain.problems import CommonCode, Problem, required_text
from customer360.domain.repairs import (
    CATEGORY_PRIORITY,
    DESCRIPTION_MAX_LENGTH,
    ROOM_MAX_LENGTH,
    Hazard,
    NewRepair,
    RepairCategory,
    RepairPayload,
    hazard_as_reported,
    priority,
)
from customer360.domain.submissions import NOT_REFUSED, Submission, SubmissionKind, kept_of_kind
from customer360.domain.systems import SourceSystem
from customer360.domain.tenancies import TenancyHeld
from customer360.sources.housing_management import TENANCIES_BY_TENANT
from customer360.store.outbox import NewDelivery, OutboxItem

KIND = SubmissionKind.REPAIR
RECORD = "housing_management.record_repair"
# The same problem in the same room of the same home, reported again within this, is a duplicate (a
# double click, two tabs, a tenant unsure it went): they are given the first report's reference.
SAME_REPORT_WITHIN = timedelta(hours=24)
SIGN_IN_TO_REPORT = Problem(None, CommonCode.NOT_SIGNED_IN, "Sign in to report a repair")


class RepairCode(StrEnum):
    NOT_YOUR_TENANCY = "NOT_YOUR_TENANCY"
    ALREADY_REPORTED = "ALREADY_REPORTED"


@dataclass(frozen=True)
class ReportRepair:
    tenancy_reference: str
    category: RepairCategory
    room: str
    description: str
    hazard: Hazard


async def report_repair(
    principal: Principal,
    customer: GoldenRecord | None,
    writes: WritePath,
    command: ReportRepair,
    tenancies_now: Callable[[], Awaitable[Sequence[TenancyHeld] | Problem]],
) -> Submission | list[Problem]:
    """Only on the resident's own tenancy (another's reference is NOT_YOUR_TENANCY, as is one that
    does not exist: no probing). Under the resident's lock, the same problem in the same room of the
    same home reported in the last 24 hours is ALREADY_REPORTED: of N reports sent at once, one is kept.

    `tenancies_now`: the resident's tenancies as HOUSING_MANAGEMENT shows them, or while it is down as it
    last showed them (the repair is then kept and delivered when it is back, under the same reference)."""
    if not principal.is_resident or customer is None:
        return [SIGN_IN_TO_REPORT]
    problems = required_text(command.room, ("input", "room"), "the room", ROOM_MAX_LENGTH) + required_text(
        command.description, ("input", "description"), "what is wrong", DESCRIPTION_MAX_LENGTH
    )
    if problems:
        return problems
    held = await tenancies_now()
    if isinstance(held, Problem):
        return [held]
    tenancy = next((t for t in held if t.tenancy_ref == command.tenancy_reference.strip().upper()), None)
    if tenancy is None or tenancy.ends_on is not None:
        return [
            Problem(
                ("input", "tenancyReference"),
                RepairCode.NOT_YOUR_TENANCY,
                "That is not a tenancy of yours: check the reference on your tenancy agreement",
            )
        ]
    hazard = hazard_as_reported(command.category, command.hazard)
    payload = RepairPayload(
        tenancy_reference=tenancy.tenancy_ref,
        category=command.category,
        room=command.room.strip(),
        description=command.description.strip(),
        hazard=hazard,
        priority=priority(CATEGORY_PRIORITY[command.category], hazard, tenancy.vulnerable_household),
        reported_at=datetime.now(LONDON),  # the council's local time: deadlines count its working days
    )
    customer_id = customer.customer_id

    async def check_and_keep() -> Kept | list[Problem]:
        kept = (await writes.outbox.submissions_by_customer([customer_id])).get(customer_id, [])
        since = payload.reported_at - SAME_REPORT_WITHIN
        same = kept_of_kind(
            kept,
            KIND,
            lambda s: (
                s.created_at >= since
                and (s.payload["tenancy_reference"], s.payload["category"], s.payload["room"].casefold())
                == (payload.tenancy_reference, payload.category.value, payload.room.casefold())
            ),
            states=NOT_REFUSED,
        )
        if same:
            return [
                Problem(
                    None,
                    RepairCode.ALREADY_REPORTED,
                    f"You reported this a moment ago: your reference is {same[0].reference}",
                )
            ]
        return await writes.keep(
            kind=KIND,
            customer_id=customer_id,
            payload=payload.as_payload(),
            service_code="REPAIR",
            deliveries=[NewDelivery(SourceSystem.HOUSING_MANAGEMENT, RECORD, payload.as_payload())],
        )

    return await check_then_keep(writes, customer_lock(customer_id, KIND), check_and_keep)


async def deliver_repair(tools: DeliveryTools, item: OutboxItem) -> Delivered:
    repair = RepairPayload.of(item.payload)
    reference = await tools.sources.of(TENANCIES_BY_TENANT.office).record_repair(
        NewRepair(
            external_reference=item.reference,
            tenancy_ref=repair.tenancy_reference,
            reported_at=repair.reported_at,
            category=repair.category,
            room=repair.room,
            description=repair.description,
            hazard=repair.hazard,
            priority=repair.priority,
        )
    )
    tenant_id = await tools.record_in(item.customer_id, SourceSystem.HOUSING_MANAGEMENT)
    return Delivered(reference, invalidate=[(TENANCIES_BY_TENANT.namespace, tenant_id)] if tenant_id else [])


UNIT = PortalService(
    name="repair",
    kinds=(KIND,),
    journeys=(Journey("reportRepair", "REPAIR"),),
    deliveries=(Delivery(RECORD, deliver_repair, frozenset({TENANCIES_BY_TENANT.namespace})),),
    in_my_requests={KIND: as_request("Repair")},
)
