"""room for longer back-office names (HOUSING_MANAGEMENT is 18 characters): system columns 16 -> 32

Revision ID: 0120
Revises: 0110
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0120"
down_revision = "0110"
branch_labels = None
depends_on = None

# Every column holding a SourceSystem's name (a destination is one, or a safeguarding agency's).
SYSTEM_COLUMNS = {
    "customers": ("name_source", "email_source", "phone_source", "date_of_birth_source", "address_source"),
    "customer_links": ("system",),
    "outbox": ("destination",),
    "delivery_cases": ("destination",),
    "person_records": ("system",),
    "match_candidates": ("left_system", "right_system"),
    "listed_services": ("system",),
}


def _resize(length_from: int, length_to: int) -> None:
    for table, columns in SYSTEM_COLUMNS.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            for column in columns:
                batch_op.alter_column(
                    column, existing_type=sa.String(length=length_from), type_=sa.String(length=length_to)
                )


def upgrade() -> None:
    _resize(16, 32)


def downgrade() -> None:
    _resize(32, 16)
