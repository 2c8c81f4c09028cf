"""intents and outbox claims

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "intents",
        sa.Column("reference", sa.String(length=20), nullable=False),
        sa.Column("customer_id", sa.String(length=36), nullable=True, comment="null for an anonymous report"),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("service_code", sa.String(length=40), nullable=True),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("reference", name=op.f("pk_intents")),
    )
    with op.batch_alter_table("intents", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_intents_created_at"), ["created_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_intents_customer_id"), ["customer_id"], unique=False)

    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "claimed_until",
                sa.DateTime(timezone=True),
                nullable=True,
                comment="a deliverer holds the row until then",
            )
        )
        batch_op.create_unique_constraint("uq_outbox_delivery", ["reference", "destination", "operation"])


def downgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_constraint("uq_outbox_delivery", type_="unique")
        batch_op.drop_column("claimed_until")

    with op.batch_alter_table("intents", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_intents_customer_id"))
        batch_op.drop_index(batch_op.f("ix_intents_created_at"))

    op.drop_table("intents")
