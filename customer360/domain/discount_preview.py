"""What a single person discount starting or ending would do to an account's instalments, before the
resident confirms: the same postings `applySinglePersonDiscount` and `removeSinglePersonDiscount` make,
computed and not kept."""

from __future__ import annotations

from datetime import date

from customer360.domain.council_tax import CouncilTaxAccountRecord, ScheduledInstalment
from customer360.domain.discounts import current_single_person_discount, posting_for_end, posting_for_start


def previewed_schedule(
    account: CouncilTaxAccountRecord, today: date, *, starts_on: date | None = None, ends_on: date | None = None
) -> tuple[ScheduledInstalment, ...] | None:
    """The instalments with a discount from `starts_on`, or with the current one ending on `ends_on` (one
    of the two); None when there is nothing to preview (both or neither given, a discount to start that
    is already there, one to end that is not)."""
    current = current_single_person_discount(account)
    if starts_on is not None and ends_on is None and current is None:
        return posting_for_start(account, starts_on, today).schedule
    if ends_on is not None and starts_on is None and current is not None:
        return posting_for_end(account, current, ends_on, today).schedule
    return None
