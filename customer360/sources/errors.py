"""What a source call can fail with, in terms the API can answer with."""

from __future__ import annotations

from customer360.domain.systems import SourceSystem


class SourceUnavailable(Exception):
    """The back office did not answer (down, timed out, or its circuit is open)."""

    def __init__(self, system: SourceSystem | str, reason: str) -> None:
        super().__init__(f"{system} unavailable: {reason}")
        self.system = system
        self.reason = reason


class SourceRejected(Exception):
    """The back office refused a write for good (it is invalid there): sending it again cannot help.

    Not an outage: it neither trips the circuit breaker nor is retried by the outbox: the outbox opens
    a case for staff instead. `code` names why in a few capitals (`REFUSED` unless the adapter knows
    better); it goes on the case, so it is a constant, never text that may carry the input.
    """

    def __init__(self, system: SourceSystem, reason: str, code: str = "REFUSED") -> None:
        super().__init__(f"{system} refused it: {reason}")
        self.system = system
        self.reason = reason
        self.code = code
