"""attachments: photos and documents residents upload, their owner, use and moderation

Revision ID: 0100
Revises: 0091
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0100"
down_revision = "0091"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "attachments",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("owner", sa.String(length=80), nullable=False, comment="principal kind and a hash of its subject"),
        sa.Column(
            "customer_id",
            sa.String(length=36),
            nullable=True,
            comment="the uploader's golden record, if a resident tied to one",
        ),
        sa.Column("purpose", sa.String(length=16), nullable=False, comment="PHOTO EVIDENCE"),
        sa.Column(
            "content_type", sa.String(length=64), nullable=False, comment="decided from the content, never the client"
        ),
        sa.Column("bytes", sa.Integer(), nullable=False),
        sa.Column("width", sa.Integer(), nullable=True),
        sa.Column("height", sa.Integer(), nullable=True),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "used_by", sa.String(length=20), nullable=True, comment="the reference of the submission that uses it"
        ),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("moderation", sa.String(length=16), nullable=False, comment="PENDING PUBLISHED HIDDEN"),
        sa.Column("moderated_by", sa.String(length=100), nullable=True),
        sa.Column("moderated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("moderation_reason", sa.String(length=500), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_attachments")),
    )
    op.create_index(op.f("ix_attachments_owner"), "attachments", ["owner"])
    op.create_index(op.f("ix_attachments_sha256"), "attachments", ["sha256"])
    op.create_index(op.f("ix_attachments_used_by"), "attachments", ["used_by"])


def downgrade() -> None:
    op.drop_table("attachments")
