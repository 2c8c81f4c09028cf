"""service definitions and safeguarding routes

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "safeguarding_routes",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("about", sa.String(length=10), nullable=False),
        sa.Column(
            "when_crime_suspected", sa.Boolean(), nullable=True, comment="null: whether or not a crime is suspected"
        ),
        sa.Column("agency_code", sa.String(length=40), nullable=False),
        sa.Column("agency_name", sa.String(length=120), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_safeguarding_routes")),
    )
    op.create_table(
        "service_definitions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("group_name", sa.String(length=60), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("attributes", sa.JSON(), nullable=False),
        sa.Column("sign_in_required", sa.Boolean(), nullable=False),
        sa.Column("fee_pence", sa.Integer(), nullable=True),
        sa.Column("route_to", sa.String(length=40), nullable=False),
        sa.Column("expected_days", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("retired_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_service_definitions")),
        sa.UniqueConstraint("code", "version", name="uq_service_definitions_code_version"),
    )
    with op.batch_alter_table("service_definitions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_service_definitions_code"), ["code"], unique=False)

    _seed_routes()
    _seed_services()


def _seed_routes() -> None:
    """Working Together 2023 and the Care Act 2014: children to the county's hub, adults to adult
    social care, and the police as well whenever a crime may have been committed."""
    routes = sa.table(
        "safeguarding_routes",
        sa.column("about", sa.String),
        sa.column("when_crime_suspected", sa.Boolean),
        sa.column("agency_code", sa.String),
        sa.column("agency_name", sa.String),
    )
    hub = "Staffordshire Children's Advice and Support Service (multi-agency safeguarding hub)"
    op.bulk_insert(
        routes,
        [
            {"about": "CHILD", "when_crime_suspected": None, "agency_code": "CHILDRENS_HUB", "agency_name": hub},
            {
                "about": "ADULT",
                "when_crime_suspected": None,
                "agency_code": "ADULT_SOCIAL_CARE",
                "agency_name": "Staffordshire Adult Social Care",
            },
            {
                "about": "CHILD",
                "when_crime_suspected": True,
                "agency_code": "POLICE",
                "agency_name": "Staffordshire Police",
            },
            {
                "about": "ADULT",
                "when_crime_suspected": True,
                "agency_code": "POLICE",
                "agency_name": "Staffordshire Police",
            },
        ],
    )


def _seed_services() -> None:
    """The demo council's first "Report It" services, defined as data like any a member of staff adds."""
    services = sa.table(
        "service_definitions",
        sa.column("code", sa.String),
        sa.column("version", sa.Integer),
        sa.column("name", sa.String),
        sa.column("group_name", sa.String),
        sa.column("description", sa.Text),
        sa.column("attributes", sa.JSON),
        sa.column("sign_in_required", sa.Boolean),
        sa.column("fee_pence", sa.Integer),
        sa.column("route_to", sa.String),
        sa.column("expected_days", sa.Integer),
        sa.column("created_at", sa.DateTime(timezone=True)),
        sa.column("created_by", sa.String),
    )

    def attribute(code: str, description: str, datatype: str, values: list[str] | None = None) -> dict[str, object]:
        return {"code": code, "description": description, "datatype": datatype, "required": True, "values": values}

    created = datetime(2026, 11, 1, tzinfo=UTC)
    op.bulk_insert(
        services,
        [
            {
                "code": "PREMISES_LICENCE",
                "version": 1,
                "name": "Apply for a premises licence",
                "group_name": "Licensing",
                "description": (
                    "To sell alcohol, provide regulated entertainment or late night refreshment (Licensing Act 2003)."
                ),
                "attributes": [
                    attribute("PREMISES_NAME", "Name of the premises", "string"),
                    attribute(
                        "ACTIVITIES",
                        "Licensable activities",
                        "multivaluelist",
                        ["Sale of alcohol", "Regulated entertainment", "Late night refreshment"],
                    ),
                    attribute("OPENING_HOURS", "Proposed opening hours", "string"),
                ],
                "sign_in_required": True,
                "fee_pence": None,
                "route_to": "LICENSING",
                "expected_days": 28,
                "created_at": created,
                "created_by": "customer360 demo",
            },
            {
                "code": "TAXI_DRIVER_LICENCE",
                "version": 1,
                "name": "Apply for a hackney carriage driver licence",
                "group_name": "Licensing",
                "description": "A licence to drive a hackney carriage (taxi) in Tamworth. The fee is paid online.",
                "attributes": [
                    attribute("DVLA_LICENCE_NUMBER", "Your DVLA driving licence number", "string"),
                    attribute("DBS_CERTIFICATE_NUMBER", "Your enhanced DBS certificate number", "string"),
                    attribute("MEDICAL_DONE", "Have you had a Group 2 medical?", "singlevaluelist", ["Yes", "No"]),
                ],
                "sign_in_required": True,
                "fee_pence": 21500,
                "route_to": "LICENSING",
                "expected_days": 56,
                "created_at": created,
                "created_by": "customer360 demo",
            },
            {
                "code": "BULKY_WASTE",
                "version": 1,
                "name": "Book a bulky waste collection",
                "group_name": "Bins and recycling",
                "description": "Up to three large household items collected from outside your home.",
                "attributes": [
                    attribute(
                        "ITEMS",
                        "What should we collect?",
                        "multivaluelist",
                        ["Sofa", "Mattress", "Fridge or freezer", "Washing machine", "Table", "Wardrobe", "Other"],
                    ),
                    attribute("ITEM_COUNT", "How many items (up to 3)?", "number"),
                ],
                "sign_in_required": True,
                "fee_pence": 2500,
                "route_to": "WASTE",
                "expected_days": 10,
                "created_at": created,
                "created_by": "customer360 demo",
            },
        ],
    )
    # Bulky waste was a payable service before it became a reportable one; it is now defined once.
    op.execute("DELETE FROM payable_services WHERE code = 'BULKY_WASTE'")


def downgrade() -> None:
    with op.batch_alter_table("service_definitions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_service_definitions_code"))

    op.drop_table("service_definitions")
    op.drop_table("safeguarding_routes")
