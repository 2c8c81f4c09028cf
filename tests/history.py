"""A year of the demo residents' interaction history in a gateway store, for the analytics tests."""

from __future__ import annotations

import asyncio
import shutil
from dataclasses import replace
from pathlib import Path

from customer360.clock import london_today
from customer360.demo.interaction_history import seed_interaction_history
from customer360.demo.population import generate_population
from customer360.settings import Settings
from customer360.store.database import create_engine, migrate
from tests.conftest import TEST_RESIDENTS

# The seed conftest gives the session's demo council, so the history is of the same residents.
DEMO_SEED = 7


def council_with_history(demo_settings: Settings, where: Path) -> Settings:
    """A copy of the session's demo council, so the shared council's store stays as other tests expect it."""
    shutil.copytree(demo_settings.data_dir, where)
    settings = replace(demo_settings, data_dir=where)
    seed_history(settings)
    return settings


def seed_history(settings: Settings) -> None:
    """A year of interactions ending yesterday, in the settings' gateway store."""
    asyncio.run(_seed(settings))


async def _seed(settings: Settings) -> None:
    engine = create_engine(settings.gateway_database_url)
    try:
        await migrate(engine)
        population = generate_population(TEST_RESIDENTS, DEMO_SEED)
        await seed_interaction_history(engine, population, london_today(), DEMO_SEED)
    finally:
        await engine.dispose()
