"""Housing management's change feed: its tenants' `changed_at` and its audit of repairs' steps."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from customer360.domain.repairs import REPAIR_REQUEST_STATUS
from customer360.sources.housing_management.sql import HousingManagementSql, repair_events, repairs, tenancies
from customer360.sources.sql_changes import RequestAudit, SqlChangeFeed

REPAIRS = RequestAudit(
    repair_events,
    select(repairs.c.reference, repairs.c.external_reference, tenancies.c.tenant_id.label("owner_id")).join_from(
        repairs, tenancies, repairs.c.tenancy_ref == tenancies.c.tenancy_ref
    ),
    "Repair",
    REPAIR_REQUEST_STATUS,
)


def housing_management_changes(engine: AsyncEngine) -> SqlChangeFeed:
    office = HousingManagementSql
    return SqlChangeFeed(engine, office.system, office.people, office.person_id, REPAIRS)
