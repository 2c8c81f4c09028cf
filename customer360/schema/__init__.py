"""Strawberry types: what a client can ask for. One module per domain; `schema.py` assembles them."""
