"""Every outbox operation and the handler that delivers it."""

from __future__ import annotations

from customer360.commands import complaints, discounts, housing, moving, payments, reporting
from customer360.commands.delivery import Handler

HANDLERS: dict[str, Handler] = {
    **complaints.HANDLERS,
    **discounts.HANDLERS,
    **housing.HANDLERS,
    **moving.HANDLERS,
    **payments.HANDLERS,
    **reporting.HANDLERS,
}
