"""a payment for a fee-paying service names the request it pays for

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("payments", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "request_reference",
                sa.String(length=20),
                nullable=True,
                comment="the request whose fee this pays, if any",
            )
        )
        batch_op.create_index(batch_op.f("ix_payments_request_reference"), ["request_reference"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("payments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_payments_request_reference"))
        batch_op.drop_column("request_reference")
