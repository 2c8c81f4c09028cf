"""The back offices this gateway knows: registering one is one line in `BACK_OFFICES`.

Everything else is read from each office's own declaration (`sources/<system>/__init__.py`): the
kinds a `C360_SOURCES` file may name, survivorship's default priority, the name shown to residents.
"""

from __future__ import annotations

from typing import Any

from customer360.domain.systems import SourceSystem
from customer360.sources.backoffice import BackOffice
from customer360.sources.benefits import BENEFITS
from customer360.sources.crm import CRM
from customer360.sources.housing import HOUSING
from customer360.sources.housing_management import HOUSING_MANAGEMENT
from customer360.sources.payments import PAYMENTS
from customer360.sources.revenues import REVENUES
from customer360.sources.street_scene import STREET_SCENE

# One office a line: registering another is one line.
BACK_OFFICES: tuple[BackOffice[Any], ...] = (
    REVENUES,
    BENEFITS,
    HOUSING,
    CRM,
    STREET_SCENE,
    PAYMENTS,
    HOUSING_MANAGEMENT,
)

BY_SYSTEM: dict[SourceSystem, BackOffice[Any]] = {office.system: office for office in BACK_OFFICES}

# Which back office's value the golden record shows when records were confirmed the same day, most
# trusted first: the default of C360_SURVIVORSHIP_PRIORITY (identity/survivorship.py).
SOURCE_PRIORITY: tuple[SourceSystem, ...] = tuple(
    office.system for office in sorted(BACK_OFFICES, key=lambda office: office.rank)
)
