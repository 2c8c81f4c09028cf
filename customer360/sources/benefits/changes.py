"""Benefits' change feed: its claimants' `changed_at`. Claims are not requests a resident follows in My
Requests (their changes reach residents by letter), so there is no audit of steps to read."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncEngine

from customer360.sources.benefits.sql import BenefitsSql
from customer360.sources.sql_changes import SqlChangeFeed


def benefits_changes(engine: AsyncEngine) -> SqlChangeFeed:
    return SqlChangeFeed(engine, BenefitsSql.system, BenefitsSql.people, BenefitsSql.person_id, None)
