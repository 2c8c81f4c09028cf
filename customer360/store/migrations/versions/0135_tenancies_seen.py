"""each council tenant's tenancies as last seen, to check a repair reported while HOUSING_MANAGEMENT is down

Revision ID: 0135
Revises: 0120
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0135"
down_revision = "0120"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "tenancies_seen",
        sa.Column("tenant_id", sa.String(length=254), nullable=False, comment="HOUSING_MANAGEMENT's own person id"),
        sa.Column("tenancy_ref", sa.String(length=16), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=True),
        sa.Column("vulnerable_household", sa.Boolean(), nullable=False),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False, comment="when the office last showed it"),
        sa.PrimaryKeyConstraint("tenant_id", "tenancy_ref", name=op.f("pk_tenancies_seen")),
    )


def downgrade() -> None:
    op.drop_table("tenancies_seen")
