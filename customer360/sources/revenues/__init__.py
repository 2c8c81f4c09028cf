"""REVENUES: the Council Tax system (its own database, read with SQLAlchemy).

The whole back office as customer360 knows it: its port (`port.py`), its adapters, what it is called,
its survivorship rank and the reads the DataLoaders batch. Registered in `sources/catalogue.py`.
"""

from __future__ import annotations

from customer360.domain.council_tax import CouncilTaxAccountRecord
from customer360.domain.systems import SourceSystem
from customer360.sources.backoffice import Adapter, BackOffice, Lookup, nothing
from customer360.sources.revenues.port import CouncilTaxSource
from customer360.sources.revenues.sql import RevenuesSql

REVENUES = BackOffice[CouncilTaxSource](
    SourceSystem.REVENUES,
    rank=10,
    adapters=(Adapter("revenues_sql", lambda connection: RevenuesSql(connection.sql_engine()), sql=True),),
)

ACCOUNTS_BY_PARTY = Lookup[CouncilTaxSource, list[CouncilTaxAccountRecord]](
    REVENUES, "revenues.accounts_by_party", lambda source: source.accounts_by_party, list
)
ACCOUNT_BY_REFERENCE = Lookup[CouncilTaxSource, CouncilTaxAccountRecord | None](
    REVENUES, "revenues.accounts_by_reference", lambda source: source.accounts_by_reference, nothing
)
