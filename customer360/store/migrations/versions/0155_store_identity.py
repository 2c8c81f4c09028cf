"""the store's own identity: one row holding a random id, so Redis keys can name the store they belong to

Revision ID: 0155
Revises: 0150
Create Date: 2026-12-06

The row itself is made by the first gateway to start on the store (store/store_identity.py), not here:
one path makes it whether the store is new or upgraded, and its primary key lets only one of several
replicas starting together make it.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0155"
down_revision = "0150"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "store_identity",
        sa.Column("only_row", sa.Integer(), autoincrement=False, nullable=False, comment="always 1: one row"),
        sa.Column("store_id", sa.String(length=32), nullable=False, comment="random, made once with the store"),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("only_row", name=op.f("pk_store_identity")),
    )


def downgrade() -> None:
    op.drop_table("store_identity")
