"""Relay global object ids: `base64("Type:key")`, opaque to clients."""

from __future__ import annotations

import base64
import binascii

import strawberry

from customer360.resolvers.pagination import MAX_ROW_ID


@strawberry.interface(description="An object with a global id, fetchable with `node(id:)`.")
class Node:
    id: strawberry.ID


def to_global_id(type_name: str, key: str) -> strawberry.ID:
    return strawberry.ID(base64.urlsafe_b64encode(f"{type_name}:{key}".encode()).decode().rstrip("="))


def from_global_id(global_id: str) -> tuple[str, str] | None:
    """`(type, key)`, or None for anything that is not an id we issued. Our keys are printable: one that
    is not (a NUL inside the base64) would reach SQL, and PostgreSQL refuses NUL in text."""
    padded = global_id + "=" * (-len(global_id) % 4)
    try:
        decoded = base64.urlsafe_b64decode(padded.encode()).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    type_name, separator, key = decoded.partition(":")
    return (type_name, key) if separator and type_name and key and decoded.isprintable() else None


def key_of(type_name: str, global_id: str) -> str | None:
    """The key inside a global id we issued for `type_name`; None for anything else (another type's id,
    or not ours): callers answer both as "not found"."""
    decoded = from_global_id(global_id)
    return decoded[1] if decoded is not None and decoded[0] == type_name else None


def numeric_key(type_name: str, global_id: str) -> int | None:
    """The integer key inside a global id we issued for `type_name`; None for anything else, answered
    as "not found". ASCII digits only (`"²".isdigit()` is true, yet `int("²")` raises), and no larger
    than the column holds (a 20-digit id would overflow PostgreSQL's integer)."""
    key = key_of(type_name, global_id)
    if key is None or not (key.isascii() and key.isdecimal()):
        return None
    value = int(key)
    return value if 0 < value <= MAX_ROW_ID else None
