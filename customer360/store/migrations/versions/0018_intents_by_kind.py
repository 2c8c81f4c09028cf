"""intents by kind: a check-then-write looks up an account's (or a complaint's) requests of one kind

Revision ID: 0018
Revises: 0016
Create Date: 2026-12-06
"""

from __future__ import annotations

from alembic import op

revision = "0018"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # `OutboxStore.submissions_carrying` filters by kind, then by payload items: without this index
    # every Single Person Discount request or escalation would read every intent ever kept.
    op.create_index(op.f("ix_intents_kind"), "intents", ["kind"])


def downgrade() -> None:
    op.drop_index(op.f("ix_intents_kind"), table_name="intents")
