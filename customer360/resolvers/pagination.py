"""Keyset pagination over an already sorted list: cursors stay valid when new items arrive."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

T = TypeVar("T")

MAX_FIRST = 100
DEFAULT_FIRST = 20


class InvalidCursor(ValueError):
    """An `after` cursor we did not issue."""


class InvalidPageSize(ValueError):
    """`first` outside 1..100."""


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    cursors: list[str]
    has_next_page: bool
    total_count: int

    @property
    def end_cursor(self) -> str | None:
        return self.cursors[-1] if self.cursors else None


def encode_cursor(sort_key: Sequence[Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(list(sort_key), default=str).encode()).decode()


def decode_cursor(cursor: str) -> list[Any]:
    try:
        value = json.loads(base64.urlsafe_b64decode(cursor.encode()))
    except (ValueError, UnicodeDecodeError):
        raise InvalidCursor("the `after` cursor is not one this API issued") from None
    if not isinstance(value, list):
        raise InvalidCursor("the `after` cursor is not one this API issued")
    return value


# Rows are keyed by INTEGER ids (PostgreSQL's int4, the ceiling on both engines): a key or cursor
# beyond it is not one we issued, and sent to SQL it would fail as an overflow, not "not found".
MAX_ROW_ID = 2**31 - 1


def decode_id_cursor(cursor: str) -> int:
    """The row id inside a cursor of `encode_cursor([id])`; anything else (a bool, a float, a string,
    a number out of range, more keys) is a cursor we did not issue."""
    match decode_cursor(cursor):
        case [int() as row_id] if not isinstance(row_id, bool) and 0 < row_id <= MAX_ROW_ID:
            return row_id
    raise InvalidCursor("the `after` cursor is not one this API issued")


def checked_first(first: int | None) -> int:
    if first is None:
        return DEFAULT_FIRST
    if not 1 <= first <= MAX_FIRST:
        raise InvalidPageSize(f"`first` must be between 1 and {MAX_FIRST}")
    return first


def paginate(
    items: Sequence[T], sort_key: Callable[[T], Sequence[Any]], first: int | None, after: str | None
) -> Page[T]:
    """`items` sorted descending by `sort_key` (newest first); the page after the cursor's key."""
    size = checked_first(first)
    keyed = [(json.loads(json.dumps(list(sort_key(item)), default=str)), item) for item in items]
    keyed.sort(key=lambda pair: pair[0], reverse=True)
    if after:
        boundary = decode_cursor(after)
        keyed = [pair for pair in keyed if pair[0] < boundary]
    chosen = keyed[:size]
    return Page(
        items=[item for _, item in chosen],
        cursors=[encode_cursor(key) for key, _ in chosen],
        has_next_page=len(keyed) > size,
        total_count=len(items),
    )
