"""Revenues' change feed: its parties' `changed_at` and its audit of discount applications' steps."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from customer360.domain.council_tax import DISCOUNT_REQUEST_STATUS
from customer360.sources.revenues.sql import RevenuesSql, accounts, discount_events, discounts
from customer360.sources.sql_changes import RequestAudit, SqlChangeFeed

DISCOUNTS = RequestAudit(
    discount_events,
    select(
        discounts.c.discount_id.label("reference"),
        discounts.c.external_reference,
        accounts.c.party_id.label("owner_id"),
    ).join_from(discounts, accounts, discounts.c.account_reference == accounts.c.reference),
    "Single Person Discount",
    {status.value: shown for status, shown in DISCOUNT_REQUEST_STATUS.items()},
)


def revenues_changes(engine: AsyncEngine) -> SqlChangeFeed:
    return SqlChangeFeed(engine, RevenuesSql.system, RevenuesSql.people, RevenuesSql.person_id, DISCOUNTS)
