"""HOUSING_MANAGEMENT: the council's tenancies, rent accounts and repairs (its own database, read with
SQLAlchemy), apart from the housing register (HOUSING), as a council's two systems are.

The whole back office as customer360 knows it: its port (`port.py`), its adapter (`sql.py`), its
survivorship rank and the reads the DataLoaders batch. Registered in `sources/catalogue.py`.
"""

from __future__ import annotations

from customer360.domain.systems import SourceSystem
from customer360.domain.tenancies import CouncilTenancyRecord
from customer360.sources.backoffice import Adapter, BackOffice, Lookup, nothing
from customer360.sources.housing_management.port import HousingManagementSource
from customer360.sources.housing_management.sql import HousingManagementSql

# Survivorship rank: the tenancy file is checked at sign-up and each tenancy audit, so it ranks beside
# the housing register, after it (the register is updated at every change of circumstances).
HOUSING_MANAGEMENT = BackOffice[HousingManagementSource](
    SourceSystem.HOUSING_MANAGEMENT,
    rank=35,
    adapters=(
        Adapter("housing_management_sql", lambda connection: HousingManagementSql(connection.sql_engine()), sql=True),
    ),
    # Rent accounts and repairs are the housing team's; customer services answer tenants' calls.
    seen_by=frozenset({"housing", "customer_services"}),
)

TENANCIES_BY_TENANT = Lookup[HousingManagementSource, list[CouncilTenancyRecord]](
    HOUSING_MANAGEMENT, "housing_management.tenancies_by_tenant", lambda source: source.tenancies_by_tenant, list
)
TENANT_BY_TENANCY = Lookup[HousingManagementSource, str | None](
    HOUSING_MANAGEMENT, "housing_management.tenant_by_tenancy", lambda source: source.tenants_of, nothing
)
TENANCY_BY_REPAIR = Lookup[HousingManagementSource, str | None](
    HOUSING_MANAGEMENT, "housing_management.tenancy_by_repair", lambda source: source.tenancies_of_repairs, nothing
)
