"""person records as last seen, and the steward's match review queue

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "person_records",
        sa.Column("system", sa.String(length=16), nullable=False),
        sa.Column("record_id", sa.String(length=254), nullable=False),
        sa.Column("title", sa.String(length=20), nullable=True),
        sa.Column("forenames", sa.String(length=100), nullable=False),
        sa.Column("surname", sa.String(length=100), nullable=False),
        sa.Column("date_of_birth", sa.Date(), nullable=True),
        sa.Column("line1", sa.String(length=200), nullable=True),
        sa.Column("line2", sa.String(length=200), nullable=True),
        sa.Column("town", sa.String(length=100), nullable=True),
        sa.Column("postcode", sa.String(length=10), nullable=True),
        sa.Column("uprn", sa.String(length=12), nullable=True),
        sa.Column("email", sa.String(length=254), nullable=True, comment="normalised"),
        sa.Column("email_verified", sa.Boolean(), nullable=False),
        sa.Column("phone", sa.String(length=20), nullable=True, comment="E.164"),
        sa.Column("updated_on", sa.Date(), nullable=True, comment="when the office last confirmed these details"),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("system", "record_id", name=op.f("pk_person_records")),
    )
    with op.batch_alter_table("person_records", schema=None) as batch_op:
        for column in ("date_of_birth", "postcode", "email", "phone"):
            batch_op.create_index(batch_op.f(f"ix_person_records_{column}"), [column], unique=False)

    op.create_table(
        "match_candidates",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("left_system", sa.String(length=16), nullable=False),
        sa.Column("left_record_id", sa.String(length=254), nullable=False),
        sa.Column("right_system", sa.String(length=16), nullable=False),
        sa.Column("right_record_id", sa.String(length=254), nullable=False),
        sa.Column("probability", sa.Float(), nullable=False),
        sa.Column("match_weight", sa.Float(), nullable=False),
        sa.Column("evidence", sa.JSON(), nullable=False, comment="comparison -> [level, weight in bits]"),
        sa.Column("state", sa.String(length=10), nullable=False, comment="OPEN CONFIRMED REJECTED"),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decided_by", sa.String(length=200), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_match_candidates")),
        sa.UniqueConstraint(
            "left_system", "left_record_id", "right_system", "right_record_id", name="uq_match_candidates_pair"
        ),
    )
    with op.batch_alter_table("match_candidates", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_match_candidates_state"), ["state"], unique=False)


def downgrade() -> None:
    op.drop_table("match_candidates")
    op.drop_table("person_records")
