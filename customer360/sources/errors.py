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

    Not an outage: it neither trips the circuit breaker nor is retried by the outbox.
    """

    def __init__(self, system: SourceSystem, reason: str) -> None:
        super().__init__(f"{system} refused it: {reason}")
        self.system = system
        self.reason = reason
