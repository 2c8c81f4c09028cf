"""BENEFITS: the benefits system (its own database, read with SQLAlchemy).

The whole back office as customer360 knows it: its port (`port.py`), its adapters, what it is called,
its survivorship rank and the reads the DataLoaders batch. Registered in `sources/catalogue.py`.
"""

from __future__ import annotations

from customer360.domain.benefits import BenefitClaimRecord
from customer360.domain.systems import SourceSystem
from customer360.sources.backoffice import Adapter, BackOffice, Lookup
from customer360.sources.benefits.port import BenefitsSource
from customer360.sources.benefits.sql import BenefitsSql

BENEFITS = BackOffice[BenefitsSource](
    SourceSystem.BENEFITS,
    rank=20,
    adapters=(Adapter("benefits_sql", lambda connection: BenefitsSql(connection.sql_engine()), sql=True),),
    # Benefit details are for the benefits team and customer services, who answer residents about them.
    seen_by=frozenset({"benefits", "customer_services"}),
)

CLAIMS_BY_CLAIMANT = Lookup[BenefitsSource, list[BenefitClaimRecord]](
    BENEFITS, "benefits.claims_by_claimant", lambda source: source.claims_by_claimant, list
)
