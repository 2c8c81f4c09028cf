"""The payment provider's own database, behind its GOV.UK Pay-shaped API."""

from __future__ import annotations

from sqlalchemy import JSON, Column, DateTime, Integer, MetaData, String, Table

metadata = MetaData()

payments = Table(
    "payments",
    metadata,
    Column("payment_id", String(26), primary_key=True),
    Column("reference", String(255), nullable=False, index=True),
    Column("description", String(255), nullable=False),
    Column("amount", Integer, nullable=False, comment="pence"),
    Column("email", String(254), index=True, comment="normalised (lower case)"),
    Column("cardholder_name", String(100)),
    Column("status", String(12), nullable=False, comment="GOV.UK Pay state.status: created started ... success"),
    Column("state_code", String(5), comment="GOV.UK Pay state.code of a finished payment: P0010 P0020 P0030"),
    Column("return_url", String(2000), nullable=False),
    Column("created_date", DateTime(timezone=True), nullable=False),
    Column("metadata", JSON, comment="GOV.UK Pay custom metadata: purpose, account_reference"),
    # The unique constraint is what makes concurrent creates with one key make one payment: the losers'
    # inserts fail and they answer the winner's payment instead. NULL (no header) never collides.
    Column("idempotency_key", String(255), unique=True, comment="the create request's Idempotency-Key header"),
    Column("request_fingerprint", String(64), comment="SHA-256 of the validated create body, to spot key reuse"),
)
