"""HOUSING: the housing register and tenancies (its own database, read with SQLAlchemy).

The whole back office as customer360 knows it: its port (`port.py`), its adapters, what it is called,
its survivorship rank and the reads the DataLoaders batch. Registered in `sources/catalogue.py`.
"""

from __future__ import annotations

from customer360.domain.housing import HousingApplicationRecord, TenancyRecord
from customer360.domain.systems import SourceSystem
from customer360.sources.backoffice import Adapter, BackOffice, Lookup
from customer360.sources.housing.port import HousingSource
from customer360.sources.housing.sql import HousingSql

HOUSING = BackOffice[HousingSource](
    SourceSystem.HOUSING,
    rank=30,
    adapters=(Adapter("housing_sql", lambda connection: HousingSql(connection.sql_engine()), sql=True),),
)

APPLICATIONS_BY_APPLICANT = Lookup[HousingSource, list[HousingApplicationRecord]](
    HOUSING, "housing.applications_by_applicant", lambda source: source.applications_by_applicant, list
)
TENANCIES_BY_APPLICANT = Lookup[HousingSource, list[TenancyRecord]](
    HOUSING, "housing.tenancies_by_applicant", lambda source: source.tenancies_by_applicant, list
)
