"""What a back office declares about itself, in its own package `sources/<system>/__init__.py`.

A `BackOffice` names its system, what residents call it, its survivorship rank, the adapters a
`C360_SOURCES` file may choose between and which staff may see its records; a `Lookup` is one
batched read of it, cached under its namespace. The registry (`sources/registry.py`), the
DataLoaders (`resolvers/loaders.py`), survivorship and authorization (`auth/policy.py`) read these
declarations; none of them lists back offices by hand.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Generic, TypeVar

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine

from customer360.domain.systems import DISPLAY_NAMES, SourceSystem
from customer360.sources.ports import PeopleSource

P = TypeVar("P", bound=PeopleSource)
V = TypeVar("V")


@dataclass(frozen=True)
class SourceConfig:
    """One `[sources.<SYSTEM>]` entry of a `C360_SOURCES` file (or the demo council's own)."""

    system: SourceSystem
    kind: str
    url: str
    api_key: str = ""
    # Open311 only: the server's extensions as configured; None learns them from its discovery.json.
    extensions: tuple[str, ...] | None = None


@dataclass(frozen=True)
class Connection:
    """What an adapter is built from: its entry, and the engine or HTTP client the gateway made for it."""

    config: SourceConfig
    http_client: httpx.AsyncClient
    engine: AsyncEngine | None = None

    def sql_engine(self) -> AsyncEngine:
        if self.engine is None:
            raise ValueError(f"{self.config.system.value} ({self.config.kind}) was given no database engine")
        return self.engine


@dataclass(frozen=True)
class Adapter(Generic[P]):
    """One way to reach a back office: the `kind` a sources file names, and how to build it."""

    kind: str
    build: Callable[[Connection], P]
    sql: bool = False  # its url is a database URL: the gateway opens an engine on it


@dataclass(frozen=True, eq=False)
class BackOffice(Generic[P]):
    system: SourceSystem
    # Survivorship: between records confirmed the same day, the lower rank's value wins (the default
    # of C360_SURVIVORSHIP_PRIORITY); identity/survivorship.py says why each office sits where it does.
    rank: int
    adapters: tuple[Adapter[P], ...]
    # Which staff roles (`auth.principal.Role` values) may see its records; None: every role that works
    # with residents' records (auth/policy.py `can_see_records_of`). Residents always see their own.
    seen_by: frozenset[str] | None = None

    @property
    def display_name(self) -> str:
        """What residents and staff call it (a domain fact: request histories name it)."""
        return DISPLAY_NAMES[self.system]

    def adapter(self, kind: str) -> Adapter[P] | None:
        return next((adapter for adapter in self.adapters if adapter.kind == kind), None)


@dataclass(frozen=True, eq=False)
class Lookup(Generic[P, V]):
    """One batched read of a back office: a DataLoader per request, read through the cache under `namespace`."""

    office: BackOffice[P]
    namespace: str  # `<system>.<operation>`; commands name it to forget what a write changed
    read: Callable[[P], Callable[[list[str]], Awaitable[Mapping[str, V]]]]
    missing: Callable[[], V]  # the answer for a key the back office does not know


def nothing() -> None:
    """A `Lookup.missing` for reads by one key: an unknown key answers None."""
    return None
