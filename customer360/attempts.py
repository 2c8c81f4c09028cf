"""What a keyed request has done so far, noted as it runs (no I/O: request-scoped bookkeeping).

While a request with an `Idempotency-Key` runs, `ATTEMPT` holds its `Attempt`: the write path marks that
a write began, and each mutation field notes its outcome code. The key's holder (`http/idempotency.py`)
reads it, not the response the client shaped, to decide whether the key is kept, and whether a request
cut short by the timeout must run on to keep its answer. Commands and the schema note into it without
knowing where keys are kept.
"""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass, field


@dataclass
class Attempt:
    """What the running keyed request has done: whether a write began, and each mutation field's outcome
    code as the command answered it (whatever the client selected or aliased)."""

    writing: bool = False
    outcomes: list[str] = field(default_factory=list)
    # A digest of the principal's scope, the key and when its request was first claimed: the write path
    # keeps it with the intent, so a repeat that runs after a dead worker's lease finds the write that
    # worker kept instead of making another (and a key reused after it expired makes a new one).
    key_digest: str | None = None


# Set by the key's holder around the request it runs; None outside a keyed request (nothing to note).
ATTEMPT: ContextVar[Attempt | None] = ContextVar("idempotency_attempt", default=None)


def note_writing() -> None:
    """A write is about to commit: from here the request must not be given up half way."""
    attempt = ATTEMPT.get()
    if attempt is not None:
        attempt.writing = True


def key_digest() -> str | None:
    """The running keyed request's key digest; None outside a keyed request."""
    attempt = ATTEMPT.get()
    return attempt.key_digest if attempt is not None else None


def note_outcome(code: str) -> None:
    """A mutation field answered its payload with this code (OK or its first userError's)."""
    attempt = ATTEMPT.get()
    if attempt is not None:
        attempt.outcomes.append(code)
