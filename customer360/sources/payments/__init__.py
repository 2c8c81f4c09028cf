"""PAYMENTS: a GOV.UK Pay-shaped payment provider (httpx).

The whole back office as customer360 knows it: its port (`port.py`), its adapters, what it is called,
its survivorship rank and the reads the DataLoaders batch. Registered in `sources/catalogue.py`.
"""

from __future__ import annotations

from customer360.domain.payments import PaymentRecord
from customer360.domain.systems import SourceSystem
from customer360.sources.backoffice import Adapter, BackOffice, Lookup, nothing
from customer360.sources.payments.govpay_http import GovPayHttp
from customer360.sources.payments.port import PaymentsSource

PAYMENTS = BackOffice[PaymentsSource](
    SourceSystem.PAYMENTS,
    rank=60,
    adapters=(Adapter("govpay_http", lambda c: GovPayHttp(c.http_client, c.config.url, c.config.api_key)),),
)

PAYMENTS_BY_PAYER = Lookup[PaymentsSource, list[PaymentRecord]](
    PAYMENTS, "payments.payments_by_payer", lambda source: source.payments_by_payer, list
)
PAYMENT_BY_ID = Lookup[PaymentsSource, PaymentRecord | None](
    PAYMENTS, "payments.payments_by_id", lambda source: source.payments_by_id, nothing
)
