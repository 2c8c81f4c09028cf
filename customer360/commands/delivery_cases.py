"""Resolving a delivery case: staff say the refused delivery has been put right, once.

Resolving is the store's conditional UPDATE, so of two staff resolving at once one wins and the
other is told; every resolution is audited, and the resident's kept reads are dropped because
their answers show the case (a payment's `posting`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from customer360.auth.policy import acting_name, acting_role, delivery_case_teams
from customer360.auth.principal import Principal
from customer360.cache.base import ReadThrough, Stale
from customer360.domain.cases import CASE_TEAMS, CaseCode, DeliveryCaseRecord
from customer360.domain.problems import CommonCode, Problem
from customer360.store.audit import AuditLog
from customer360.store.cases import DeliveryCaseStore

CASE_FIELD = ("input", "caseId")
STAFF_ONLY = Problem(None, CommonCode.FORBIDDEN, "Delivery cases are for the staff team that owns them")
NO_SUCH_CASE = Problem(CASE_FIELD, CommonCode.NOT_FOUND, "There is no such case")


@dataclass(frozen=True)
class Resolution:
    case_id: int | None  # None: the id was not one we issued (answered as an unknown case)
    note: str | None  # bounded by the input boundary (schema/input_rules.py)


async def resolve_case(
    principal: Principal, cases: DeliveryCaseStore, audit: AuditLog, cache: ReadThrough, resolution: Resolution
) -> DeliveryCaseRecord | list[Problem]:
    allowed = delivery_case_teams(principal, CASE_TEAMS)
    if not allowed:
        return [STAFF_ONLY]
    case = await cases.by_id(resolution.case_id) if resolution.case_id is not None else None
    if case is None or case.team not in allowed:  # another team's case is answered as unknown
        return [NO_SUCH_CASE]
    actor = acting_name(principal)
    if not await cases.resolve(case.id, actor, resolution.note, datetime.now(UTC)):
        return [Problem(CASE_FIELD, CaseCode.ALREADY_RESOLVED, "This case was already resolved")]
    role = acting_role(principal)
    await audit.append(
        actor=actor,
        role=role.value if role else None,
        team=case.team,
        action="delivery_case.resolve",
        detail={"case": case.id, "reference": case.reference},
    )
    await cache.forget(Stale(customers=[case.customer_id]))
    return await cases.by_id(case.id) or case
