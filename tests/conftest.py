"""Shared fixtures: a seeded demo council (once per session), the app over ASGI, tokens.

Tests talk to real components: SQLite files in a temp dir, the demo HTTP back offices on real
loopback ports, and PostgreSQL / Redis when reachable (`services.py` says how they skip or fail).
"""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import AsyncIterator, Callable
from dataclasses import replace
from pathlib import Path

import httpx
import pytest
from starlette.applications import Starlette

from customer360.auth.keys import load_or_create_signing_key
from customer360.auth.principal import Role
from customer360.auth.tokens import DemoIssuer
from customer360.demo import council
from customer360.identity.linking import IdentityHub
from customer360.settings import Settings
from customer360.store.database import create_engine, migrate
from tests.support import running_app

TEST_RESIDENTS = 300
PORTAL_ORIGIN = "https://my.tamworth.example"  # where the tests' payment pages send the payer back to


async def _seed(settings: Settings) -> None:
    engine = create_engine(settings.gateway_database_url)
    try:
        await migrate(engine)
        await council.seed_demo(settings, IdentityHub.on(engine), residents=TEST_RESIDENTS, seed=7, reset=True)
    finally:
        await engine.dispose()


@pytest.fixture(scope="session")
def demo_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """A demo council seeded once for the whole run; tests must not change its back offices."""
    data_dir: Path = tmp_path_factory.mktemp("demo-council")
    settings = Settings(
        data_dir=data_dir,
        cache_enabled=False,
        outbox_interval_seconds=0,
        changes_interval_seconds=0,  # tests read the change feeds by hand (`runtime.changes.run_once()`)
        return_url_origins=(PORTAL_ORIGIN,),
    )
    asyncio.run(_seed(settings))
    return settings


@pytest.fixture
async def api(demo_settings: Settings) -> AsyncIterator[tuple[Starlette, httpx.AsyncClient]]:
    async with running_app(demo_settings) as pair:
        yield pair


@pytest.fixture
def own_council(demo_settings: Settings, tmp_path: Path) -> Settings:
    """A private copy of the seeded council, for tests that write to its back offices."""
    copy = tmp_path / "council"
    shutil.copytree(demo_settings.data_dir, copy)
    return replace(demo_settings, data_dir=copy)


@pytest.fixture(scope="session")
def issuer(demo_settings: Settings) -> DemoIssuer:
    return DemoIssuer(load_or_create_signing_key(demo_settings.data_dir))


@pytest.fixture(scope="session")
def residents(demo_settings: Settings) -> list[dict[str, str]]:
    """The demo's sample residents (`customer360 demo residents`), most-linked first."""
    import json

    from customer360.cli import _residents

    return [json.loads(line) for line in asyncio.run(_residents(demo_settings, 50))]


@pytest.fixture(scope="session")
def staff_token(issuer: DemoIssuer) -> Callable[..., str]:
    def make(*roles: Role, name: str = "Sam Staff") -> str:
        return issuer.staff_token(name, list(roles or (Role.CUSTOMER_SERVICES,)))

    return make
