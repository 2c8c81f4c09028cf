"""each back office's service list as last seen, to validate reports while it is down

Revision ID: 0012
Revises: 0009
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "listed_services",
        sa.Column("system", sa.String(length=16), nullable=False),
        sa.Column("services", sa.JSON(), nullable=False, comment="the service definitions, attributes included"),
        sa.Column(
            "seen_at",
            sa.DateTime(timezone=True),
            nullable=False,
            comment="when the back office last listed them",
        ),
        sa.PrimaryKeyConstraint("system", name=op.f("pk_listed_services")),
    )


def downgrade() -> None:
    op.drop_table("listed_services")
