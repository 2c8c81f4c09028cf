"""A resident's access log: which council team looked at their record, when, and why."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from strawberry.types import Info

from customer360.auth.policy import ACTED_FOR_PREFIX, can_see_access_log, can_see_safeguarding_reports
from customer360.auth.principal import Role
from customer360.resolvers.context import Context
from customer360.resolvers.pagination import checked_first, decode_cursor, encode_cursor

if TYPE_CHECKING:
    from customer360.store.audit import AuditEntry

STAFF_READS = (
    "customer.read",
    "customer.search",
    # Records management: reviewing, merging and splitting the records held about the resident.
    "identity.review",
    "identity.match_confirmed",
    "identity.merge",
    "identity.merged_away",
    "identity.unmerge",
    "assisted.start",  # an officer began acting for the resident on a call or at a desk
)
CHANNEL_WORDS = {"phone": "by phone", "face_to_face": "face to face", "assisted_digital": "online"}


async def access_log(
    info: Info[Context, Any], customer_id: str, first: int | None, after: str | None
) -> tuple[list[tuple[AuditEntry, str]], bool]:
    """Entries newest first with their cursors, and whether there are more."""
    if not can_see_access_log(info.context.principal, customer_id):
        info.context.report_forbidden(info, "only the resident, or staff who may see them, can read this log")
        return [], False
    size = checked_first(first)
    boundary = None
    if after:
        at, entry_id = decode_cursor(after)
        boundary = (datetime.fromisoformat(at), int(entry_id))
    # Through a grant, the safeguarding team's reads are not shown: they would say a concern was raised.
    hidden = None if can_see_safeguarding_reports(info.context.principal) else Role.SAFEGUARDING.value
    found = await info.context.services.audit.for_customer(
        customer_id, STAFF_READS, size + 1, boundary, action_prefix=ACTED_FOR_PREFIX, hidden_role=hidden
    )
    shown = found[:size]
    return [(entry, encode_cursor([entry.at.isoformat(), entry.id])) for entry in shown], len(found) > size


def summary(entry: AuditEntry) -> str | None:
    """What someone did for the resident, in their words: "Made for you by Customer services by phone"."""
    detail = entry.detail or {}
    how = CHANNEL_WORDS.get(str(detail.get("channel", "")), "")
    who = entry.team or "someone you chose"
    if entry.action.startswith(ACTED_FOR_PREFIX) and detail.get("outcome") == "OK":
        return f"Made for you by {who} {how}".strip()
    if entry.action.startswith(ACTED_FOR_PREFIX):
        return f"Tried for you by {who} {how}".strip()
    if entry.action == "assisted.start":
        return f"{who} started helping you {how}".strip()
    return None
