"""outbox claim owner: renewing and marking a claimed delivery need the claim's own token

Revision ID: 0020
Revises: 0018
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Rows claimed before the upgrade have no token: their leases lapse within seconds and the
    # next claim gives them one, so nothing needs back-filling.
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(
            sa.Column(
                "claimed_by",
                sa.String(length=32),
                nullable=True,
                comment="the token of the claim that holds it: renew and mark need it",
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("claimed_by")
