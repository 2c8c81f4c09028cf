"""intents remember the Idempotency-Key they were kept under, so a repeat after a crash finds them

Revision ID: 0080
Revises: 0021
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0080"
down_revision = "0021"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("intents", schema=None) as batch_op:
        batch_op.add_column(sa.Column("idempotency_key", sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint(batch_op.f("uq_intents_idempotency_key"), ["idempotency_key"])


def downgrade() -> None:
    with op.batch_alter_table("intents", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_intents_idempotency_key"), type_="unique")
        batch_op.drop_column("idempotency_key")
