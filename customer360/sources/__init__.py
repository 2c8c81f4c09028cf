"""Ports (what we need from each back office) and adapters (how each one is reached)."""
