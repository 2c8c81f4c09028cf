"""Relay global object ids: `base64("Type:key")`, opaque to clients."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Awaitable, Callable
from typing import Any

import strawberry
from strawberry.federation.schema_directives import Key
from strawberry.federation.types import FieldSet
from strawberry.types import Info

from customer360.resolvers.context import Context
from customer360.resolvers.pagination import MAX_ROW_ID

# An Apollo Federation entity: other teams' subgraphs (libraries, leisure) extend it by its global id.
# The client schema leaves the key out (`schema/schema.py`); the subgraph schema prints it.
ENTITY_KEY = Key(fields=FieldSet("id"))


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


def is_entity(type_: type) -> bool:
    return ENTITY_KEY in type_.__strawberry_definition__.directives  # type: ignore[attr-defined]


async def entity(
    info: Info[Context, Any], type_name: str, global_id: str, load: Callable[[Info[Context, Any], str], Awaitable[Any]]
) -> Any:
    """A gateway's representation `{__typename, id}`, loaded by the same function as `node(id:)` and so
    checked the same way: a representation is never a way round the principal's checks. Another type's
    id, or one we did not issue, answers null."""
    key = key_of(type_name, global_id)
    return None if key is None else await load(info, key)
