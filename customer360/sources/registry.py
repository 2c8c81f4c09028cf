"""Which back office is where: built from `C360_SOURCES` (TOML) or the embedded demo council.

A `C360_SOURCES` file names each source, its kind and its URL:

    [sources.REVENUES]
    kind = "revenues_sql"
    url = "postgresql+asyncpg://revenues@db.internal/revenues"

    [sources.STREET_SCENE]
    kind = "open311_http"
    url = "https://streetscene.example/open311/v2"
    api_key_env = "C360_OPEN311_API_KEY"  # the council's key, sent with every report
    # extensions = []                    # optional: skip discovery.json; [] is plain GeoReport v2

    [sources.PAYMENTS]
    kind = "govpay_http"
    url = "https://publicapi.payments.service.gov.uk"
    api_key_env = "C360_PAY_API_KEY"     # the key itself never sits in the file

A back office the file leaves out is not configured: every call to it answers `SourceUnavailable`,
so its fields answer SOURCE_UNAVAILABLE (null) and writes to it wait in the outbox, as while it is
down; it is not linked from, and /readyz reports it `not_configured`. A file written before an office was added
keeps working.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Awaitable, Callable, Iterator, Mapping
from pathlib import Path
from typing import NoReturn, TypeVar, cast

import httpx
from purgatory import AsyncCircuitBreakerFactory
from sqlalchemy.ext.asyncio import AsyncEngine

from customer360.domain.systems import SourceSystem
from customer360.metrics import Metrics
from customer360.sources.backoffice import BackOffice, Connection, SourceConfig
from customer360.sources.benefits import BENEFITS
from customer360.sources.benefits.port import BenefitsSource
from customer360.sources.catalogue import BACK_OFFICES, BY_SYSTEM
from customer360.sources.crm import CRM
from customer360.sources.crm.port import CrmSource
from customer360.sources.errors import SourceUnavailable
from customer360.sources.housing import HOUSING
from customer360.sources.housing.port import HousingSource
from customer360.sources.instrumented import DemoFaults, GuardedAdapter, SourceGuard
from customer360.sources.payments import PAYMENTS
from customer360.sources.payments.port import PaymentsSource
from customer360.sources.ports import PeopleSource
from customer360.sources.revenues import REVENUES
from customer360.sources.revenues.port import CouncilTaxSource
from customer360.sources.street_scene import STREET_SCENE
from customer360.sources.street_scene.port import StreetSceneSource

P = TypeVar("P", bound=PeopleSource)


class SourcesConfigError(ValueError):
    """The sources file names a source we cannot build; the message says which."""


class Sources:
    """One adapter per registered back office, reached typed by its declaration: `sources.of(REVENUES)`."""

    def __init__(self, configured: Mapping[SourceSystem, PeopleSource]) -> None:
        self._configured = dict(configured)
        self._ports: dict[SourceSystem, object] = {
            office.system: configured.get(office.system) or NotConfigured(office.system) for office in BACK_OFFICES
        }

    def of(self, office: BackOffice[P]) -> P:
        # Typed by construction: the port under a system was built by that office's own adapters
        # (`build_sources`), or is its `NotConfigured` stand-in, which answers every port method.
        return cast(P, self._ports[office.system])

    def by_system(self) -> Mapping[SourceSystem, PeopleSource]:
        """The configured back offices (the people feeds linking reads, the systems /readyz reports)."""
        return self._configured

    def __iter__(self) -> Iterator[tuple[SourceSystem, PeopleSource]]:
        return iter(self._configured.items())

    def not_configured(self) -> list[SourceSystem]:
        return [system for system in self._ports if system not in self._configured]

    # Shorthands for the callers written before `of`; a new back office is reached with `of`.
    @property
    def revenues(self) -> CouncilTaxSource:
        return self.of(REVENUES)

    @property
    def benefits(self) -> BenefitsSource:
        return self.of(BENEFITS)

    @property
    def housing(self) -> HousingSource:
        return self.of(HOUSING)

    @property
    def crm(self) -> CrmSource:
        return self.of(CRM)

    @property
    def street_scene(self) -> StreetSceneSource:
        return self.of(STREET_SCENE)

    @property
    def payments(self) -> PaymentsSource:
        return self.of(PAYMENTS)


class NotConfigured:
    """Stands in for a back office the sources file leaves out: every operation answers `SourceUnavailable`.

    The one dynamic object among the sources, and on purpose: it must answer any port's methods, does no
    I/O and returns nothing, so there is no call of it for the type checker to check."""

    def __init__(self, system: SourceSystem) -> None:
        self.system = system

    def __getattr__(self, operation: str) -> Callable[..., Awaitable[NoReturn]]:
        if operation.startswith("_"):
            raise AttributeError(operation)

        async def unavailable(*_args: object, **_kwargs: object) -> NoReturn:
            raise SourceUnavailable(self.system, "not configured (the C360_SOURCES file names no such source)")

        return unavailable


def load_source_configs(path: Path) -> dict[SourceSystem, SourceConfig]:
    try:
        document = tomllib.loads(path.read_text())
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise SourcesConfigError(f"cannot read C360_SOURCES file {path}: {error}") from None
    entries = document.get("sources", {})
    if not entries:
        raise SourcesConfigError(f"{path}: names no source (expected [sources.<SYSTEM>] tables)")
    configs = {}
    for name, entry in entries.items():
        office = BY_SYSTEM.get(SourceSystem(name)) if name in SourceSystem.__members__ else None
        if office is None:
            known = ", ".join(system.value for system in BY_SYSTEM)
            raise SourcesConfigError(f"{path}: [sources.{name}] is no back office we know ({known})")
        kind = entry.get("kind")
        if office.adapter(kind) is None:
            kinds = " or ".join(repr(adapter.kind) for adapter in office.adapters)
            raise SourcesConfigError(f"{path}: {name} must have kind = {kinds}, not {kind!r}")
        if not entry.get("url"):
            raise SourcesConfigError(f"{path}: {name} needs a url")
        api_key = os.environ.get(entry["api_key_env"], "") if entry.get("api_key_env") else ""
        extensions = entry.get("extensions")
        if extensions is not None and not (
            isinstance(extensions, list) and all(isinstance(e, str) for e in extensions)
        ):
            raise SourcesConfigError(f"{path}: {name} extensions must be a list of names")
        configs[office.system] = SourceConfig(
            office.system, kind, entry["url"], api_key, tuple(extensions) if extensions is not None else None
        )
    return configs


def needs_engine(config: SourceConfig) -> bool:
    """Whether the source is a database the gateway opens an engine on (its adapter is SQL)."""
    adapter = BY_SYSTEM[config.system].adapter(config.kind)
    return adapter is not None and adapter.sql


def build_sources(
    configs: Mapping[SourceSystem, SourceConfig],
    *,
    engines: Mapping[SourceSystem, AsyncEngine],
    http_client: httpx.AsyncClient,
    metrics: Metrics,
    breakers: AsyncCircuitBreakerFactory,
    timeout_seconds: float,
    faults: DemoFaults | None = None,
) -> Sources:
    """Adapters for each configured source, each guarded; SQL ones use the engine already made for their URL."""
    built: dict[SourceSystem, PeopleSource] = {}
    for system, config in configs.items():
        adapter = BY_SYSTEM[system].adapter(config.kind)
        if adapter is None:
            raise SourcesConfigError(f"{system.value} has no adapter of kind {config.kind!r}")
        port = adapter.build(Connection(config, http_client, engines.get(system)))
        if not isinstance(port, GuardedAdapter):
            raise TypeError(f"{type(port).__name__} must be a GuardedAdapter: its calls go unmeasured otherwise")
        port.guard = SourceGuard(
            system, metrics=metrics, breakers=breakers, timeout_seconds=timeout_seconds, faults=faults
        )
        built[system] = cast(PeopleSource, port)  # what `adapter.build` answered, before the isinstance narrowed it
    return Sources(built)
