"""payments and payable services

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "payable_services",
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("fixed_pence", sa.Integer(), nullable=True),
        sa.Column("min_pence", sa.Integer(), nullable=False),
        sa.Column("max_pence", sa.Integer(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_payable_services")),
    )
    op.create_table(
        "payments",
        sa.Column("reference", sa.String(length=20), nullable=False),
        sa.Column("customer_id", sa.String(length=36), nullable=False),
        sa.Column("idempotency_key", sa.String(length=255), nullable=False),
        sa.Column("request_fingerprint", sa.String(length=64), nullable=False),
        sa.Column("purpose", sa.String(length=20), nullable=False),
        sa.Column("account_reference", sa.String(length=40), nullable=True),
        sa.Column("service_code", sa.String(length=40), nullable=True),
        sa.Column("amount_pence", sa.Integer(), nullable=False),
        sa.Column("provider_payment_id", sa.String(length=40), nullable=True),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("next_url", sa.String(length=2000), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("settled_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("reference", name=op.f("pk_payments")),
        sa.UniqueConstraint("customer_id", "idempotency_key", name="uq_payments_customer_key"),
        sa.UniqueConstraint("provider_payment_id", name=op.f("uq_payments_provider_payment_id")),
    )
    with op.batch_alter_table("payments", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_payments_customer_id"), ["customer_id"], unique=False)

    # The demo council's payable services; a council changes these rows, not code.
    op.bulk_insert(
        sa.table(
            "payable_services",
            sa.column("code", sa.String),
            sa.column("name", sa.String),
            sa.column("fixed_pence", sa.Integer),
            sa.column("min_pence", sa.Integer),
            sa.column("max_pence", sa.Integer),
            sa.column("active", sa.Boolean),
        ),
        [
            {
                "code": "BULKY_WASTE",
                "name": "Bulky waste collection (up to 3 items)",
                "fixed_pence": 2500,
                "min_pence": 2500,
                "max_pence": 2500,
                "active": True,
            },
            {
                "code": "GARDEN_WASTE",
                "name": "Garden waste subscription 2026/27",
                "fixed_pence": 4500,
                "min_pence": 4500,
                "max_pence": 4500,
                "active": True,
            },
            {
                "code": "SUNDRY_INVOICE",
                "name": "Pay a council invoice",
                "fixed_pence": None,
                "min_pence": 100,
                "max_pence": 500000,
                "active": True,
            },
        ],
    )


def downgrade() -> None:
    with op.batch_alter_table("payments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_payments_customer_id"))

    op.drop_table("payments")
    op.drop_table("payable_services")
