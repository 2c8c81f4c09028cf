"""What customer360 needs from the revenues back office (a method's name is its `operation` metric label)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Protocol

from customer360.domain.council_tax import CouncilTaxAccountRecord
from customer360.domain.direct_debit import DirectDebitCancellation, NewDirectDebit
from customer360.domain.discounts import DiscountApplication, DiscountEnding
from customer360.domain.moving import MoveNotice
from customer360.domain.payments import PaymentPosting
from customer360.sources.ports import PeopleSource


class CouncilTaxSource(PeopleSource, Protocol):
    async def accounts_by_party(self, party_ids: Sequence[str]) -> Mapping[str, list[CouncilTaxAccountRecord]]: ...

    async def accounts_by_reference(self, references: Sequence[str]) -> Mapping[str, CouncilTaxAccountRecord]: ...

    # Writes: each is idempotent by the external (customer360) reference it carries.
    async def apply_single_person_discount(self, application: DiscountApplication) -> str: ...

    async def end_single_person_discount(self, ending: DiscountEnding) -> str: ...

    async def post_payment(self, posting: PaymentPosting) -> str: ...

    # Closes the party's current account(s) and/or opens one at the new address; answers the new
    # account's reference (IN, WITHIN), the closed one's (OUT), or "" when leaving with none open.
    async def record_move(self, notice: MoveNotice) -> str: ...

    # A Direct Debit instruction lodged on an account (its instalments move to the payment day), and
    # cancelled; each answers the instruction's reference in REVENUES.
    async def set_up_direct_debit(self, instruction: NewDirectDebit) -> str: ...

    async def cancel_direct_debit(self, cancellation: DirectDebitCancellation) -> str: ...
