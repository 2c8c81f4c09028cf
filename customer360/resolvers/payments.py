"""A resident's payments: every one started through customer360, and those the provider holds from elsewhere.

Our ledger knows every payment a resident started here, from the moment it is made, whether or not
their PAYMENTS record is linked yet (a card payment needs no earlier one). Each is shown by its
customer360 reference with the provider's id beside it, in the provider's own state when it has
one (so an abandoned payment is in progress until the provider expires it), else as our ledger has
it. The provider's payments made elsewhere (by phone, at the counter) are added as they are.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from strawberry.types import Info

from customer360.domain.payments import (
    FINAL_STATUSES,
    PaymentRecord,
    status_in_ledger,
)
from customer360.domain.systems import SourceSystem
from customer360.resolvers.context import Context
from customer360.resolvers.customers import gather_from, started
from customer360.sources.errors import SourceUnavailable
from customer360.sources.payments import PAYMENT_BY_ID, PAYMENTS_BY_PAYER
from customer360.store.payments import StoredPayment

log = logging.getLogger("customer360.payments")


async def resident_payments(info: Info[Context, Any], customer_id: str) -> list[PaymentRecord]:
    loaders = info.context.loaders
    # Our ledger's read is a future, started here and read while the provider answers: no task needed.
    ours_read = started(loaders.payments_made.load(customer_id))
    at_provider = await gather_from(info, customer_id, SourceSystem.PAYMENTS, loaders.of(PAYMENTS_BY_PAYER).load_many)
    return await joined(info, await ours_read, at_provider)


async def joined(
    info: Info[Context, Any], ours: Sequence[StoredPayment], at_provider: Sequence[PaymentRecord]
) -> list[PaymentRecord]:
    """Our payments, each with the provider's record of it; then the provider's payments that are not ours."""
    by_reference = {p.external_reference: p for p in at_provider if p.external_reference}
    by_id = {p.payment_id: p for p in at_provider}
    # Unsettled payments the payer's list did not carry (no PAYMENTS link yet, or paid under another
    # email) are asked about one by one; settled ones are final in our ledger and need no call.
    unlisted = [
        s.provider_payment_id
        for s in ours
        if s.provider_payment_id
        and s.reference not in by_reference
        and s.provider_payment_id not in by_id
        and s.status not in FINAL_STATUSES
    ]
    by_id.update({p.payment_id: p for p in await _by_id(info, unlisted) if p is not None})
    shown = []
    for stored in ours:
        found = by_reference.get(stored.reference) or by_id.get(stored.provider_payment_id or "")
        shown.append(replace(found, external_reference=stored.reference) if found else from_ledger(stored))
    mine = {s.reference for s in ours} | {s.provider_payment_id for s in ours if s.provider_payment_id}
    shown += [p for p in at_provider if p.external_reference not in mine and p.payment_id not in mine]
    return shown


async def _by_id(info: Info[Context, Any], payment_ids: list[str]) -> list[PaymentRecord | None]:
    if not payment_ids:
        return []
    try:
        return await info.context.loaders.of(PAYMENT_BY_ID).load_many(payment_ids)
    except SourceUnavailable:
        log.info("the payment provider is not answering; %d payments shown as our ledger has them", len(payment_ids))
        return []


def from_ledger(stored: StoredPayment) -> PaymentRecord:
    """A payment as our ledger has it: the provider may not have it yet (`payment_id` empty until it does)."""
    return PaymentRecord(
        payment_id=stored.provider_payment_id or "",
        reference=stored.reference,
        amount_pence=stored.amount_pence,
        status=status_in_ledger(
            stored.status, stored.provider_payment_id is not None, stored.created_at, datetime.now(UTC)
        ),
        purpose=stored.purpose,
        created_at=stored.created_at,
        payer_id="",
        account_reference=stored.account_reference,
        next_url=stored.next_url,
        external_reference=stored.reference,
    )
