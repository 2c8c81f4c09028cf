"""updateContactPreferences: e-mail, text, both or neither; the mobile a UK one, the address one Notify takes."""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry.types import Info

from customer360.commands.contact_preferences import update_contact_preferences as command
from customer360.resolvers.context import Context
from customer360.resolvers.customers import me
from customer360.schema.notifications import ContactPreferences
from customer360.schema.values import UserError, user_errors


@strawberry.input
class UpdateContactPreferencesInput:
    email: bool
    sms: bool
    email_address: str | None = None
    mobile: str | None = strawberry.field(default=None, description="A UK mobile number, like 07700 900 982.")


@strawberry.type
class UpdateContactPreferencesPayload:
    contact_preferences: ContactPreferences | None
    user_errors: list[UserError]


async def update_contact_preferences(
    info: Info[Context, Any], input: UpdateContactPreferencesInput
) -> UpdateContactPreferencesPayload:
    store = info.context.services.notifications
    assert store is not None
    outcome = await command(
        store,
        await me(info),
        email=input.email,
        sms=input.sms,
        email_address=input.email_address,
        mobile=input.mobile,
    )
    if isinstance(outcome, list):
        return UpdateContactPreferencesPayload(contact_preferences=None, user_errors=user_errors(outcome))
    return UpdateContactPreferencesPayload(contact_preferences=ContactPreferences.from_record(outcome), user_errors=[])
