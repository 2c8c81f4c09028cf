"""The housing register's change feed: its applicants' `changed_at` and its audit of applications' steps."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from customer360.domain.housing import APPLICATION_REQUEST_STATUS
from customer360.sources.housing.sql import HousingSql, application_events, applications
from customer360.sources.sql_changes import RequestAudit, SqlChangeFeed

APPLICATIONS = RequestAudit(
    application_events,
    select(applications.c.reference, applications.c.external_reference, applications.c.applicant_id.label("owner_id")),
    "Housing application",
    {status.value: shown for status, shown in APPLICATION_REQUEST_STATUS.items()},
)


def housing_changes(engine: AsyncEngine) -> SqlChangeFeed:
    return SqlChangeFeed(engine, HousingSql.system, HousingSql.people, HousingSql.person_id, APPLICATIONS)
