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
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import httpx
from purgatory import AsyncCircuitBreakerFactory
from sqlalchemy.ext.asyncio import AsyncEngine

from customer360.domain.systems import SourceSystem
from customer360.metrics import Metrics
from customer360.sources.benefits_sql import BenefitsSql
from customer360.sources.crm_sql import CrmSql
from customer360.sources.housing_sql import HousingSql
from customer360.sources.instrumented import DemoFaults, InstrumentedSource
from customer360.sources.open311_http import Open311Http
from customer360.sources.payments_http import GovPayHttp
from customer360.sources.ports import (
    BenefitsSource,
    CouncilTaxSource,
    CrmSource,
    HousingSource,
    PaymentsSource,
    PeopleSource,
    StreetSceneSource,
)
from customer360.sources.revenues_sql import RevenuesSql

SQL_KINDS = {"revenues_sql": RevenuesSql, "benefits_sql": BenefitsSql, "housing_sql": HousingSql, "crm_sql": CrmSql}
HTTP_KINDS = ("open311_http", "govpay_http")
EXPECTED_KIND = {
    SourceSystem.REVENUES: "revenues_sql",
    SourceSystem.BENEFITS: "benefits_sql",
    SourceSystem.HOUSING: "housing_sql",
    SourceSystem.CRM: "crm_sql",
    SourceSystem.STREET_SCENE: "open311_http",
    SourceSystem.PAYMENTS: "govpay_http",
}


class SourcesConfigError(ValueError):
    """The sources file is missing a source or names one we cannot build; the message says which."""


@dataclass(frozen=True)
class SourceConfig:
    system: SourceSystem
    kind: str
    url: str
    api_key: str = ""
    # Open311 only: the server's extensions as configured; None learns them from its discovery.json.
    extensions: tuple[str, ...] | None = None


@dataclass(frozen=True)
class Sources:
    """One adapter per back office, each behind `InstrumentedSource`."""

    revenues: CouncilTaxSource
    benefits: BenefitsSource
    housing: HousingSource
    crm: CrmSource
    street_scene: StreetSceneSource
    payments: PaymentsSource

    def by_system(self) -> Mapping[SourceSystem, PeopleSource]:
        return {
            SourceSystem.REVENUES: self.revenues,
            SourceSystem.BENEFITS: self.benefits,
            SourceSystem.HOUSING: self.housing,
            SourceSystem.CRM: self.crm,
            SourceSystem.STREET_SCENE: self.street_scene,
            SourceSystem.PAYMENTS: self.payments,
        }

    def __iter__(self) -> Iterator[tuple[SourceSystem, PeopleSource]]:
        return iter(self.by_system().items())


def load_source_configs(path: Path) -> dict[SourceSystem, SourceConfig]:
    try:
        document = tomllib.loads(path.read_text())
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise SourcesConfigError(f"cannot read C360_SOURCES file {path}: {error}") from None
    entries = document.get("sources", {})
    configs = {}
    for system in SourceSystem:
        entry = entries.get(system.value)
        if not entry:
            raise SourcesConfigError(f"{path}: [sources.{system.value}] is missing")
        kind = entry.get("kind")
        if kind != EXPECTED_KIND[system]:
            raise SourcesConfigError(f"{path}: {system.value} must have kind = {EXPECTED_KIND[system]!r}, not {kind!r}")
        if not entry.get("url"):
            raise SourcesConfigError(f"{path}: {system.value} needs a url")
        api_key = os.environ.get(entry["api_key_env"], "") if entry.get("api_key_env") else ""
        extensions = entry.get("extensions")
        if extensions is not None and not (
            isinstance(extensions, list) and all(isinstance(e, str) for e in extensions)
        ):
            raise SourcesConfigError(f"{path}: {system.value} extensions must be a list of names")
        configs[system] = SourceConfig(
            system, kind, entry["url"], api_key, tuple(extensions) if extensions is not None else None
        )
    return configs


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
    """Adapters for each configured source; SQL ones use the engine already made for their URL."""

    def instrument(system: SourceSystem, adapter: Any) -> Any:
        return InstrumentedSource(
            adapter, system, metrics=metrics, breakers=breakers, timeout_seconds=timeout_seconds, faults=faults
        )

    adapters: dict[SourceSystem, Any] = {}
    for system, config in configs.items():
        if config.kind in SQL_KINDS:
            adapters[system] = SQL_KINDS[config.kind](engines[system])
        elif config.kind == "open311_http":
            adapters[system] = Open311Http(
                http_client, config.url, api_key=config.api_key, extensions=config.extensions
            )
        else:
            adapters[system] = GovPayHttp(http_client, config.url, config.api_key)
    return Sources(
        revenues=cast(CouncilTaxSource, instrument(SourceSystem.REVENUES, adapters[SourceSystem.REVENUES])),
        benefits=cast(BenefitsSource, instrument(SourceSystem.BENEFITS, adapters[SourceSystem.BENEFITS])),
        housing=cast(HousingSource, instrument(SourceSystem.HOUSING, adapters[SourceSystem.HOUSING])),
        crm=cast(CrmSource, instrument(SourceSystem.CRM, adapters[SourceSystem.CRM])),
        street_scene=cast(
            StreetSceneSource, instrument(SourceSystem.STREET_SCENE, adapters[SourceSystem.STREET_SCENE])
        ),
        payments=cast(PaymentsSource, instrument(SourceSystem.PAYMENTS, adapters[SourceSystem.PAYMENTS])),
    )
