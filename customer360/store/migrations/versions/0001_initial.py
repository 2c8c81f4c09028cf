"""gateway store: customers, links, audit, outbox, events

Revision ID: 0001
Revises:
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("role", sa.String(length=40), nullable=True),
        sa.Column("team", sa.String(length=60), nullable=True),
        sa.Column("action", sa.String(length=60), nullable=False),
        sa.Column("customer_id", sa.String(length=36), nullable=True),
        sa.Column("purpose", sa.String(length=200), nullable=True),
        sa.Column("detail", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
    )
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_log_at"), ["at"], unique=False)
        batch_op.create_index(batch_op.f("ix_audit_log_customer_id"), ["customer_id"], unique=False)

    op.create_table(
        "customers",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("forenames", sa.String(length=100), nullable=False),
        sa.Column("surname", sa.String(length=100), nullable=False),
        sa.Column("name_source", sa.String(length=16), nullable=True),
        sa.Column(
            "email", sa.String(length=254), nullable=True, comment="normalised; the key a verified sign-in links by"
        ),
        sa.Column("email_verified", sa.Boolean(), nullable=False),
        sa.Column("email_source", sa.String(length=16), nullable=True),
        sa.Column("phone", sa.String(length=20), nullable=True, comment="E.164"),
        sa.Column("phone_source", sa.String(length=16), nullable=True),
        sa.Column("date_of_birth", sa.Date(), nullable=True),
        sa.Column("date_of_birth_source", sa.String(length=16), nullable=True),
        sa.Column("line1", sa.String(length=200), nullable=True),
        sa.Column("line2", sa.String(length=200), nullable=True),
        sa.Column("town", sa.String(length=100), nullable=True),
        sa.Column("postcode", sa.String(length=10), nullable=True),
        sa.Column("uprn", sa.String(length=12), nullable=True),
        sa.Column("address_source", sa.String(length=16), nullable=True),
        sa.Column("search_text", sa.Text(), nullable=False, comment="upper-case name, email, postcode"),
        sa.Column("merged_into", sa.String(length=36), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["merged_into"], ["customers.id"], name=op.f("fk_customers_merged_into_customers")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customers")),
    )
    with op.batch_alter_table("customers", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_customers_email"), ["email"], unique=False)
        batch_op.create_index(batch_op.f("ix_customers_postcode"), ["postcode"], unique=False)

    op.create_table(
        "events",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("service_code", sa.String(length=40), nullable=True),
        sa.Column("outcome", sa.String(length=20), nullable=True),
        sa.Column("duration_ms", sa.Integer(), nullable=True),
        sa.Column("ward", sa.String(length=40), nullable=True),
        sa.Column("age_band", sa.String(length=10), nullable=True),
        sa.Column("vulnerable", sa.Boolean(), nullable=True),
        sa.Column("assisted", sa.Boolean(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_events")),
    )
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_events_at"), ["at"], unique=False)

    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("reference", sa.String(length=20), nullable=False, comment="the customer360 reference"),
        sa.Column("customer_id", sa.String(length=36), nullable=True),
        sa.Column("destination", sa.String(length=16), nullable=False),
        sa.Column("operation", sa.String(length=60), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("backoffice_reference", sa.String(length=40), nullable=True),
        sa.Column("last_error", sa.String(length=400), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox")),
    )
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_outbox_customer_id"), ["customer_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_outbox_reference"), ["reference"], unique=False)

    op.create_table(
        "customer_links",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("customer_id", sa.String(length=36), nullable=False),
        sa.Column("system", sa.String(length=16), nullable=False),
        sa.Column("record_id", sa.String(length=254), nullable=False),
        sa.Column("confidence", sa.Float(), nullable=False),
        sa.Column(
            "rule",
            sa.String(length=40),
            nullable=False,
            comment="what linked it: a deterministic rule, a model, a steward",
        ),
        sa.Column("linked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("linked_by", sa.String(length=100), nullable=False),
        sa.Column("unlinked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("unlinked_by", sa.String(length=100), nullable=True),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_customer_links_customer_id_customers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customer_links")),
    )
    with op.batch_alter_table("customer_links", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_customer_links_customer_id"), ["customer_id"], unique=False)
        batch_op.create_index("ix_customer_links_system_record", ["system", "record_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("customer_links", schema=None) as batch_op:
        batch_op.drop_index("ix_customer_links_system_record")
        batch_op.drop_index(batch_op.f("ix_customer_links_customer_id"))

    op.drop_table("customer_links")
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_outbox_reference"))
        batch_op.drop_index(batch_op.f("ix_outbox_customer_id"))

    op.drop_table("outbox")
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_events_at"))

    op.drop_table("events")
    with op.batch_alter_table("customers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_customers_postcode"))
        batch_op.drop_index(batch_op.f("ix_customers_email"))

    op.drop_table("customers")
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_log_customer_id"))
        batch_op.drop_index(batch_op.f("ix_audit_log_at"))

    op.drop_table("audit_log")
