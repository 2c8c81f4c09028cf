"""The bench's PostgreSQL configuration (bench/pg_back_offices.py, `bench/run.py --sql-back-offices`):
the seeded council's SQL back offices copied into PostgreSQL databases of their own answer every resident
byte for byte as the embedded demo council does, and the demo's injected faults reach back offices that a
`C360_SOURCES` file names (the bench's rows wait the same delay in both configurations)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bench.pg_back_offices import copy_to_postgres, drop_databases, write_sources_file
from bench.queries import ME
from customer360.demo import council
from customer360.domain.systems import SourceSystem
from customer360.runtime import _faults_on_configured_sources
from customer360.settings import Settings
from tests.services import POSTGRES_ADMIN_URL, unavailable
from tests.support import graphql, running_app, settings_with

RESIDENTS = 12


@pytest.fixture
async def postgres_offices(demo_settings: Settings) -> AsyncIterator[dict[SourceSystem, str]]:
    prefix = f"c360_test_bench_{uuid.uuid4().hex[:8]}"
    try:
        urls = await copy_to_postgres(demo_settings, POSTGRES_ADMIN_URL, prefix)
    except OSError as error:
        unavailable(f"PostgreSQL is not reachable at {POSTGRES_ADMIN_URL}: {error!r}")
    try:
        yield urls
    finally:
        await drop_databases(POSTGRES_ADMIN_URL, prefix)


@pytest.fixture
async def backoffice_url(demo_settings: Settings) -> AsyncIterator[str]:
    """The demo's HTTP back offices (Open311, payments), as `customer360 demo backoffices` serves them."""
    engines = council.DemoEngines.open(demo_settings)
    try:
        async with council.running_backoffices(demo_settings, engines) as url:
            yield url
    finally:
        await engines.dispose()


async def _answers(settings: Settings, tokens: list[str]) -> list[bytes]:
    async with running_app(settings) as (_, client):
        return [(await graphql(client, ME, token)).content for token in tokens]


async def test_copied_back_offices_answer_every_resident_as_the_demo_council(
    demo_settings, issuer, residents, postgres_offices, backoffice_url, tmp_path: Path
):
    sources = tmp_path / "sources.toml"
    keys = write_sources_file(sources, demo_settings, postgres_offices, backoffice_url)
    text = sources.read_text()
    for system, url in postgres_offices.items():
        assert f'url = "{url}"' in text and url.startswith("postgresql+asyncpg://"), system
    assert set(keys) == {"C360_BENCH_STREET_SCENE_API_KEY", "C360_BENCH_PAYMENTS_API_KEY"}
    assert not any(key in text for key in keys.values())  # the file names the keys' variables, never the keys

    tokens = [issuer.resident_token(resident["email"]) for resident in residents[:RESIDENTS]]
    embedded = await _answers(demo_settings, tokens)
    with pytest.MonkeyPatch.context() as env:
        for variable, key in keys.items():
            env.setenv(variable, key)
        on_postgres = await _answers(settings_with(demo_settings, sources_file=sources), tokens)
    assert all(b'"errors"' not in body and b'"me":{"' in body for body in embedded)
    assert on_postgres == embedded


async def test_injected_refusals_reach_a_configured_back_office(demo_settings, issuer, residents, tmp_path: Path):
    urls = council.database_urls(demo_settings)
    sources = tmp_path / "sources.toml"
    sources.write_text(f'[sources.REVENUES]\nkind = "revenues_sql"\nurl = "{urls[SourceSystem.REVENUES]}"\n')
    token = issuer.resident_token(residents[0]["email"])
    answers = {}
    for down in (frozenset(), frozenset({SourceSystem.REVENUES})):
        settings = settings_with(demo_settings, sources_file=sources, demo_sources_down=down)
        async with running_app(settings) as (_, client):
            answers[down] = (await graphql(client, "{ me { councilTaxAccounts { reference } } }", token)).json()
    assert "errors" not in answers[frozenset()] and answers[frozenset()]["data"]["me"]["councilTaxAccounts"]
    refused = answers[frozenset({SourceSystem.REVENUES})]
    assert refused["errors"][0]["extensions"] == {"code": "SOURCE_UNAVAILABLE", "source": "REVENUES"}


@pytest.mark.parametrize(
    ("env", "latency_ms", "down", "injected"),
    [
        ("demo", 20, frozenset(), (0.02, set())),
        ("demo", 0, frozenset({SourceSystem.CRM}), (0.0, {SourceSystem.CRM})),
        ("demo", 0, frozenset(), None),  # nothing asked for: configured back offices are called straight
        ("production", 20, frozenset({SourceSystem.CRM}), None),  # never in production
    ],
)
def test_which_configured_gateways_inject_faults(env, latency_ms, down, injected):
    settings = Settings(env=env, demo_source_latency_ms=latency_ms, demo_sources_down=down)
    faults = _faults_on_configured_sources(settings)
    assert (None if faults is None else (faults.latency_seconds, faults.down)) == injected
