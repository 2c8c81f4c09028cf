"""The gateway's own store: golden customers, links, audit, outbox, events (SQLAlchemy + Alembic)."""
