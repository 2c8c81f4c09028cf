"""each customer's views generation kept in the store too, for answers kept while Redis is away

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "view_generations",
        sa.Column("customer_id", sa.String(length=36), nullable=False),
        sa.Column("generation", sa.String(length=16), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("customer_id", name=op.f("pk_view_generations")),
    )


def downgrade() -> None:
    op.drop_table("view_generations")
