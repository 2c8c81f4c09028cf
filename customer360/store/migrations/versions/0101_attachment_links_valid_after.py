"""attachments.links_valid_after: links made before it are refused (revoking a file's links)

Revision ID: 0101
Revises: 0100
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0101"
down_revision = "0100"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "attachments",
        sa.Column(
            "links_valid_after",
            sa.DateTime(timezone=True),
            nullable=True,
            comment="links signed before this are refused (staff revoked them)",
        ),
    )


def downgrade() -> None:
    op.drop_column("attachments", "links_valid_after")
