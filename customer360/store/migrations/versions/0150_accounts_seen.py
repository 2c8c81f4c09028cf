"""tenancies as last seen become accounts as last seen, for Council Tax accounts (REVENUES) as well as
tenancies (HOUSING_MANAGEMENT): one table keyed by the office, the rows kept

Revision ID: 0150
Revises: 0135
Create Date: 2026-12-06

A new table and a copy rather than renaming in place: the key gains the office, and SQLite (the tests'
store) cannot change a primary key in place anyway. The tenancies already seen are copied across, so a
repair or a rent write while HOUSING_MANAGEMENT is down still finds them straight after the upgrade.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0150"
down_revision = "0135"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "accounts_seen",
        sa.Column("system", sa.String(length=32), nullable=False, comment="the office that showed it"),
        sa.Column("holder_id", sa.String(length=254), nullable=False, comment="that office's own person id"),
        sa.Column("reference", sa.String(length=40), nullable=False, comment="the tenancy's or account's reference"),
        sa.Column("ends_on", sa.Date(), nullable=True, comment="the tenancy's end, or the last day of the liability"),
        sa.Column(
            "vulnerable_household", sa.Boolean(), nullable=False, comment="a tenancy's flag (false for Council Tax)"
        ),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False, comment="when the office last showed it"),
        sa.PrimaryKeyConstraint("system", "holder_id", "reference", name=op.f("pk_accounts_seen")),
    )
    op.execute(
        "INSERT INTO accounts_seen (system, holder_id, reference, ends_on, vulnerable_household, seen_at) "
        "SELECT 'HOUSING_MANAGEMENT', tenant_id, tenancy_ref, ends_on, vulnerable_household, seen_at "
        "FROM tenancies_seen"
    )
    op.drop_table("tenancies_seen")


def downgrade() -> None:
    op.create_table(
        "tenancies_seen",
        sa.Column("tenant_id", sa.String(length=254), nullable=False, comment="HOUSING_MANAGEMENT's own person id"),
        sa.Column("tenancy_ref", sa.String(length=16), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=True),
        sa.Column("vulnerable_household", sa.Boolean(), nullable=False),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False, comment="when the office last showed it"),
        sa.PrimaryKeyConstraint("tenant_id", "tenancy_ref", name=op.f("pk_tenancies_seen")),
    )
    # Council Tax accounts seen are dropped: before this revision nothing reads them. So are the rows
    # marking a holder seen holding none (reference ''): tenancies_seen had no such rows.
    op.execute(
        "INSERT INTO tenancies_seen (tenant_id, tenancy_ref, ends_on, vulnerable_household, seen_at) "
        "SELECT holder_id, reference, ends_on, vulnerable_household, seen_at "
        "FROM accounts_seen WHERE system = 'HOUSING_MANAGEMENT' AND reference <> ''"
    )
    op.drop_table("accounts_seen")
