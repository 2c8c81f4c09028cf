"""The street-scene contractor's own database, behind its Open311 GeoReport v2 API."""

from __future__ import annotations

from sqlalchemy import JSON, Boolean, Column, DateTime, Float, Integer, MetaData, String, Table, Text

metadata = MetaData()

services = Table(
    "services",
    metadata,
    Column("service_code", String(40), primary_key=True),
    Column("service_name", String(100), nullable=False),
    Column("group_name", String(60), nullable=False),
    Column("description", Text),
    Column("keywords", String(200)),
)
service_attributes = Table(
    "service_attributes",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("service_code", String(40), nullable=False, index=True),
    Column("code", String(40), nullable=False),
    Column("description", String(200), nullable=False),
    Column("datatype", String(20), nullable=False),
    Column("required", Boolean, nullable=False),
    Column("position", Integer, nullable=False),
    Column("values", JSON, comment="list of allowed values for singlevaluelist / multivaluelist"),
)
reporters = Table(
    "reporters",
    metadata,
    Column("reporter_id", String(12), primary_key=True),
    Column("first_name", String(100), nullable=False),
    Column("last_name", String(100), nullable=False),
    Column("email", String(254)),
    Column("phone", String(40)),
    Column("updated_on", DateTime(timezone=True)),
)
requests = Table(
    "requests",
    metadata,
    Column("service_request_id", String(20), primary_key=True),
    Column("service_code", String(40), nullable=False),
    Column("reporter_id", String(12), index=True),
    Column("description", Text),
    Column("lat", Float),
    Column("long", Float),
    Column("address_string", String(200)),
    Column("address_id", String(12)),
    Column("status", String(10), nullable=False, comment="open | closed"),
    Column("status_notes", Text),
    Column("agency_responsible", String(100)),
    Column("requested_datetime", DateTime(timezone=True), nullable=False),
    Column("updated_datetime", DateTime(timezone=True), nullable=False),
    Column("expected_datetime", DateTime(timezone=True)),
    Column("attributes", JSON),
    # The submitting system's own reference: a retried POST finds its first filing instead of filing twice.
    Column("external_reference", String(40), unique=True),
    Column("media_url", String(2000), comment="Open311's photo: a link the reporting system gave"),
)
request_updates = Table(
    "request_updates",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("service_request_id", String(20), nullable=False, index=True),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("status", String(10), nullable=False),
    Column("description", String(400), nullable=False),
)
