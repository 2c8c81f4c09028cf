"""events for analytics: pseudonymous people, resolution times, London hour and week

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "person_key",
                sa.String(length=64),
                nullable=True,
                comment="salted HMAC of the golden id: counts people, identifies nobody",
            )
        )
        batch_op.add_column(
            sa.Column(
                "submitted_at",
                sa.DateTime(timezone=True),
                nullable=True,
                comment="resolutions: when the resident asked",
            )
        )
        batch_op.add_column(
            sa.Column(
                "expected_days",
                sa.Integer(),
                nullable=True,
                comment="resolutions: working days the service promises",
            )
        )
        batch_op.add_column(sa.Column("local_hour", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("local_week", sa.Date(), nullable=True))
        batch_op.create_index(batch_op.f("ix_events_submitted_at"), ["submitted_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_events_submitted_at"))
        batch_op.drop_column("local_week")
        batch_op.drop_column("local_hour")
        batch_op.drop_column("expected_days")
        batch_op.drop_column("submitted_at")
        batch_op.drop_column("person_key")
