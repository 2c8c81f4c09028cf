"""Helpers for the council tenants' tests: demo residents who hold a tenancy (and one who does not), and
changes made straight in the demo housing management system's own database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import insert

from customer360.auth.tokens import DemoIssuer
from customer360.demo import council
from customer360.domain.systems import SourceSystem
from customer360.settings import Settings
from customer360.sources.housing_management import sql as housing_management_sql
from customer360.store.database import create_engine
from tests.support import graphql

TENANCIES = """{ me { tenancies { reference endDate
  rentAccount { balance { pence formatted } arrears { pence formatted } } } } }"""


async def tenant_and_not(
    client: Any, issuer: DemoIssuer, residents: list[dict[str, str]]
) -> tuple[dict[str, str], dict[str, Any], dict[str, str]]:
    """A resident with one current tenancy, and one with none."""
    tenant = other = None
    for resident in residents:
        held = (await graphql(client, TENANCIES, issuer.resident_token(resident["email"]))).json()["data"]["me"]
        current = [t for t in held["tenancies"] if t["endDate"] is None]
        if len(current) == 1 and tenant is None:
            tenant = (resident, current[0])
        if not held["tenancies"] and other is None:
            other = resident
        if tenant and other:
            return tenant[0], tenant[1], other
    raise AssertionError("the demo residents need a tenant and a resident without a tenancy")


async def on_housing_management(settings: Settings, statement: Any) -> None:
    engine = create_engine(council.database_urls(settings)[SourceSystem.HOUSING_MANAGEMENT])
    try:
        async with engine.begin() as conn:
            await conn.execute(statement)
    finally:
        await engine.dispose()


async def add_a_repair_about_to_miss(settings: Settings, tenancy_reference: str) -> str:
    """An emergency reported 20 hours ago, not yet made safe: its 24-hour deadlines fall in 4 hours."""
    reference = "RR-FLAGGED1"
    await on_housing_management(
        settings,
        insert(housing_management_sql.repairs).values(
            reference=reference,
            tenancy_ref=tenancy_reference,
            reported_at=datetime.now(UTC) - timedelta(hours=20),
            category="ELECTRICAL",
            room="Kitchen",
            description="Sparks from the socket behind the cooker",
            hazard="EMERGENCY",
            priority="EMERGENCY",
            status="REPORTED",
        ),
    )
    return reference
