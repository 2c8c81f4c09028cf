"""`customer360 report --from DATE --to DATE --output report.html`: the six-monthly report."""

from __future__ import annotations

import asyncio
import sys
from datetime import UTC, date, datetime
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncEngine

from customer360.analytics.figures import Analytics
from customer360.domain.analytics import InvalidPeriod, Period
from customer360.reporting.data import gather
from customer360.reporting.document import render
from customer360.settings import Settings
from customer360.store.database import create_engine, migrate
from customer360.store.listed_services import names_last_seen
from customer360.store.service_definitions import ServiceDefinitionStore

EXIT_REFUSED = 2


def main_report(settings: Settings, from_: date, to: date, output: Path) -> int:
    """Write the report for [from_, to] (London days, inclusive) to `output`; 2 for a period refused."""
    try:
        period = Period(from_, to)
    except InvalidPeriod as error:
        print(f"customer360: {error}", file=sys.stderr)
        return EXIT_REFUSED
    html = asyncio.run(_report(settings, period))
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(html, encoding="utf-8")
    print(f"customer360: wrote the report for {from_} to {to} to {output}", file=sys.stderr)
    return 0


async def _service_names(engine: AsyncEngine) -> dict[str, str]:
    """Names as the council defines them: staff-defined services', then each back office's list as the
    gateway last saw it (a back office's own service wins, as in `services`)."""
    names = await ServiceDefinitionStore(engine).names()
    names.update(await names_last_seen(engine))
    return names


async def _report(settings: Settings, period: Period) -> str:
    engine = create_engine(settings.gateway_database_url)
    try:
        await migrate(engine)  # a store never served yet still answers, with an empty report
        data = await gather(Analytics(engine), period, await _service_names(engine))
    finally:
        await engine.dispose()
    return render(data, datetime.now(UTC))
