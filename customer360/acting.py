"""Who is really acting in the running request, when it is not the resident themselves (no I/O).

An actor token (`auth/actor_tokens.py`) names the resident as its subject and the officer, carer or
agency in its `act` claim. The HTTP layer sets `ACTING` for the request it authenticated, and the store
keeps it on every intent the request makes, so a request made by phone says so wherever it is shown,
without every command having to carry it.
"""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ActedBy:
    actor: str  # the officer's or delegate's name as recorded (their subject when nameless)
    team: str | None  # the officer's team ("Customer services"), or the delegate's relationship ("Carer")
    channel: str  # an analytics Channel value: phone, face_to_face, assisted_digital


# Set around the request by `http/authentication.py`; None when residents act for themselves.
ACTING: ContextVar[ActedBy | None] = ContextVar("acting_for_resident", default=None)


def acted_by() -> ActedBy | None:
    return ACTING.get()
