"""residents' contact preferences, the messages sent to them, and the back offices' change feeds

Revision ID: 0090
Revises: 0080
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0090"
down_revision = "0080"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "contact_preferences",
        sa.Column("customer_id", sa.String(length=36), nullable=False),
        sa.Column("email", sa.Boolean(), nullable=False),
        sa.Column("sms", sa.Boolean(), nullable=False),
        sa.Column("email_address", sa.String(length=320), nullable=True),
        sa.Column("mobile", sa.String(length=20), nullable=True),
        sa.Column("email_failed", sa.Boolean(), nullable=False),
        sa.Column("mobile_failed", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("customer_id", name=op.f("pk_contact_preferences")),
    )
    op.create_table(
        "notifications",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("customer_id", sa.String(length=36), nullable=True),
        sa.Column("reference", sa.String(length=20), nullable=False, comment="the customer360 reference"),
        sa.Column("event_key", sa.String(length=48), nullable=False),
        sa.Column("channel", sa.String(length=5), nullable=False),
        sa.Column("recipient", sa.String(length=320), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("notify_id", sa.String(length=36), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("status_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notifications")),
        sa.UniqueConstraint("notify_id", name=op.f("uq_notifications_notify_id")),
        sa.UniqueConstraint("reference", "event_key", "channel", name="uq_notifications_message"),
    )
    op.create_index(op.f("ix_notifications_customer_id"), "notifications", ["customer_id"])
    op.create_table(
        "request_changes",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("system", sa.String(length=20), nullable=False),
        sa.Column("change_key", sa.String(length=120), nullable=False),
        sa.Column("reference", sa.String(length=40), nullable=False, comment="ours if it came through us"),
        sa.Column("backoffice_reference", sa.String(length=40), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=True),
        sa.Column("description", sa.String(length=500), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_request_changes")),
        sa.UniqueConstraint("system", "change_key", name="uq_request_changes_change"),
    )
    op.create_index(op.f("ix_request_changes_reference"), "request_changes", ["reference"])
    op.create_table(
        "change_cursors",
        sa.Column("system", sa.String(length=20), nullable=False),
        sa.Column("cursor", sa.String(length=200), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("system", name=op.f("pk_change_cursors")),
    )


def downgrade() -> None:
    op.drop_table("change_cursors")
    op.drop_index(op.f("ix_request_changes_reference"), table_name="request_changes")
    op.drop_table("request_changes")
    op.drop_index(op.f("ix_notifications_customer_id"), table_name="notifications")
    op.drop_table("notifications")
    op.drop_table("contact_preferences")
