"""The port every back office implements; each office adds its own in `sources/<system>/port.py`.

Every method takes many keys and answers for all of them in one call: the DataLoaders batch
keys per request, so a page of 100 customers costs one call per operation, not 100. A method's
name is the `operation` label of `customer360_source_calls_total`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from customer360.domain.people import PersonRecord


class PeopleSource(Protocol):
    """Every back office can list the people it knows: the feed the golden record is linked from."""

    async def person_records(self) -> Sequence[PersonRecord]: ...

    async def ping(self) -> None: ...
