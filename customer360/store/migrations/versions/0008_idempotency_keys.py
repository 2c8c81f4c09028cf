"""idempotency keys: the Idempotency-Key header on mutations

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "idempotency_keys",
        sa.Column("scope", sa.String(length=80), nullable=False, comment="principal kind and a hash of its subject"),
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column(
            "fingerprint", sa.String(length=64), nullable=False, comment="sha256 of document, variables, operation"
        ),
        sa.Column("state", sa.String(length=12), nullable=False, comment="IN_PROGRESS DONE"),
        sa.Column("owner", sa.String(length=40), nullable=False, comment="the request running it (a random token)"),
        sa.Column(
            "lease_until",
            sa.DateTime(timezone=True),
            nullable=True,
            comment="IN_PROGRESS: its owner is presumed dead after this",
        ),
        sa.Column("answer", sa.JSON(), nullable=True, comment="DONE: the GraphQL answer, replayed"),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("scope", "key", name=op.f("pk_idempotency_keys")),
    )
    op.create_index(op.f("ix_idempotency_keys_created_at"), "idempotency_keys", ["created_at"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_idempotency_keys_created_at"), table_name="idempotency_keys")
    op.drop_table("idempotency_keys")
