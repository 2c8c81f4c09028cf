"""access grants (a resident lets a carer, family member, agency or councillor see or act for them), and
who made each request for its resident and through which channel

Revision ID: 0110
Revises: 0101
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0110"
down_revision = "0101"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "access_grants",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("customer_id", sa.String(length=36), nullable=False),
        sa.Column("delegate_email", sa.String(length=254), nullable=True),
        sa.Column("agency_id", sa.String(length=40), nullable=True),
        sa.Column("relationship", sa.String(length=20), nullable=False),
        sa.Column("scope", sa.String(length=8), nullable=False),
        sa.Column("expires_on", sa.Date(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("delegate", sa.String(length=260), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_access_grants")),
    )
    op.create_index(
        "uq_access_grants_live",
        "access_grants",
        ["customer_id", "delegate"],
        unique=True,
        sqlite_where=sa.text("revoked_at IS NULL"),
        postgresql_where=sa.text("revoked_at IS NULL"),
    )
    op.create_index(op.f("ix_access_grants_customer_id"), "access_grants", ["customer_id"])
    op.create_index(op.f("ix_access_grants_delegate_email"), "access_grants", ["delegate_email"])
    op.create_index(op.f("ix_access_grants_agency_id"), "access_grants", ["agency_id"])
    with op.batch_alter_table("intents") as batch:
        batch.add_column(sa.Column("acted_by", sa.String(length=200), nullable=True))
        batch.add_column(sa.Column("acted_team", sa.String(length=60), nullable=True))
        batch.add_column(sa.Column("channel", sa.String(length=20), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("intents") as batch:
        batch.drop_column("channel")
        batch.drop_column("acted_team")
        batch.drop_column("acted_by")
    op.drop_table("access_grants")
