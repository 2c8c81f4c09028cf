"""CRM: customer services' contacts, complaints and cases (its own database, read with SQLAlchemy).

The whole back office as customer360 knows it: its port (`port.py`), its adapters, what it is called,
its survivorship rank and the reads the DataLoaders batch. Registered in `sources/catalogue.py`.
"""

from __future__ import annotations

from customer360.domain.complaints import ComplaintRecord
from customer360.domain.requests import ServiceRequestRecord
from customer360.domain.systems import SourceSystem
from customer360.sources.backoffice import Adapter, BackOffice, Lookup, nothing
from customer360.sources.crm.port import CrmSource
from customer360.sources.crm.sql import CrmSql

CRM = BackOffice[CrmSource](
    SourceSystem.CRM,
    rank=40,
    adapters=(Adapter("crm_sql", lambda connection: CrmSql(connection.sql_engine()), sql=True),),
)

COMPLAINTS_BY_CONTACT = Lookup[CrmSource, list[ComplaintRecord]](
    CRM, "crm.complaints_by_contact", lambda source: source.complaints_by_contact, list
)
COMPLAINT_BY_REFERENCE = Lookup[CrmSource, ComplaintRecord | None](
    CRM, "crm.complaints_by_reference", lambda source: source.complaints_by_reference, nothing
)
CASES_BY_CONTACT = Lookup[CrmSource, list[ServiceRequestRecord]](
    CRM, "crm.cases_by_contact", lambda source: source.cases_by_contact, list
)

# The services customer services takes requests for; one key ("all"), read by resolvers/services.py.
SERVICES = "crm.services"
