"""residents' ratings of finished requests, one per request

Revision ID: 0091
Revises: 0090
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0091"
down_revision = "0090"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "service_ratings",
        sa.Column("reference", sa.String(length=40), nullable=False),
        sa.Column("customer_id", sa.String(length=36), nullable=False),
        sa.Column("service_code", sa.String(length=40), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False, comment="how the rating was given: web, phone ..."),
        sa.Column("rating", sa.Integer(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("recorded_by", sa.String(length=20), nullable=False, comment="resident, or staff (from a call)"),
        sa.Column("rated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("reference", name=op.f("pk_service_ratings")),
    )
    op.create_index(op.f("ix_service_ratings_customer_id"), "service_ratings", ["customer_id"])
    op.create_index(op.f("ix_service_ratings_rated_at"), "service_ratings", ["rated_at"])


def downgrade() -> None:
    op.drop_index(op.f("ix_service_ratings_rated_at"), table_name="service_ratings")
    op.drop_index(op.f("ix_service_ratings_customer_id"), table_name="service_ratings")
    op.drop_table("service_ratings")
