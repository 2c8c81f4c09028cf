"""delivery cases for staff; payments remember when reconciliation last asked about them

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "delivery_cases",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("reference", sa.String(length=20), nullable=False),
        sa.Column("customer_id", sa.String(length=36), nullable=True),
        sa.Column("destination", sa.String(length=16), nullable=False),
        sa.Column("operation", sa.String(length=60), nullable=False),
        sa.Column("reason_code", sa.String(length=40), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=False),
        sa.Column("team", sa.String(length=40), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolved_by", sa.String(length=200), nullable=True),
        sa.Column("resolution_note", sa.String(length=500), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_delivery_cases")),
        sa.UniqueConstraint("reference", "destination", "operation", name="uq_delivery_cases_delivery"),
    )
    op.create_index("ix_delivery_cases_team_open", "delivery_cases", ["team", "resolved_at", "opened_at"])
    _open_cases_for_refusals_already_kept()
    with op.batch_alter_table("payments") as batch:
        batch.add_column(sa.Column("checked_at", sa.DateTime(timezone=True), nullable=True))
    op.create_index("ix_payments_unsettled", "payments", ["status", "checked_at", "created_at"])


COLUMNS = ("reference", "customer_id", "destination", "operation", "reason_code", "reason", "team")


def _open_cases_for_refusals_already_kept() -> None:
    """Deliveries refused before cases existed were quiet FAILED rows: each gets its case now.

    The team per destination as `domain/cases.py` has it at this revision (a migration keeps its own
    copy: later changes to the mapping must not change what this migration did)."""
    teams = {
        "REVENUES": "revenues",
        "HOUSING": "housing",
        "BENEFITS": "benefits",
        "AGENCIES": "safeguarding",
    }
    outbox = sa.table(
        "outbox",
        sa.column("reference", sa.String),
        sa.column("customer_id", sa.String),
        sa.column("destination", sa.String),
        sa.column("operation", sa.String),
        sa.column("state", sa.String),
        sa.column("created_at", sa.DateTime(timezone=True)),
    )
    team = sa.case(*((outbox.c.destination == d, t) for d, t in teams.items()), else_="customer_services")
    reason = outbox.c.destination + " refused " + outbox.c.operation + " for good; it was not delivered"
    refused = sa.select(
        outbox.c.reference,
        outbox.c.customer_id,
        outbox.c.destination,
        outbox.c.operation,
        sa.literal("REFUSED"),
        sa.func.substr(reason, 1, 200),
        team,
        outbox.c.created_at,
    ).where(outbox.c.state == "FAILED")
    cases = sa.table(
        "delivery_cases",
        *(sa.column(name) for name in COLUMNS),
        sa.column("opened_at"),
    )
    op.execute(cases.insert().from_select([*COLUMNS, "opened_at"], refused))


def downgrade() -> None:
    op.drop_index("ix_payments_unsettled", table_name="payments")
    with op.batch_alter_table("payments") as batch:
        batch.drop_column("checked_at")
    op.drop_index("ix_delivery_cases_team_open", table_name="delivery_cases")
    op.drop_table("delivery_cases")
