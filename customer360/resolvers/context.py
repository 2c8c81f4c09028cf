"""The typed per-request context (who is asking, the loaders, errors to report beside the data) and
the services every request shares."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from typing import TYPE_CHECKING, Any, TypeVar

from graphql import GraphQLError
from starlette.requests import Request
from strawberry.types import Info

from customer360.auth.actor_tokens import ActorTokenIssuer
from customer360.auth.grants import GrantChecks
from customer360.auth.principal import Principal
from customer360.auth.purpose import access_purpose
from customer360.cache.base import ReadThrough, StaleReads
from customer360.resolvers.directory import (
    AccountsSeen,
    AddressBook,
    CustomerDirectory,
    ListedServices,
    SubmissionLog,
)
from customer360.resolvers.loaders import Loaders
from customer360.sources.errors import SourceUnavailable
from customer360.sources.registry import Sources

if TYPE_CHECKING:  # commands are the resolvers' siblings (neither imports the other): only their types are named
    from aiodataloader import DataLoader

    from customer360.analytics.figures import Analytics
    from customer360.analytics.keys import PersonKeys
    from customer360.analytics.recorder import EventRecorder
    from customer360.commands.attachments import Attachments
    from customer360.commands.payments import Payments
    from customer360.commands.safeguarding import SafeguardingAccess
    from customer360.commands.stewardship import Stewardship
    from customer360.commands.write_path import WritePath
    from customer360.domain.attachments import AttachmentRecord
    from customer360.store.audit import AuditLog
    from customer360.store.cases import DeliveryCaseStore
    from customer360.store.feedback import FeedbackStore
    from customer360.store.notifications import NotificationStore
    from customer360.store.service_definitions import ServiceDefinitionStore

T = TypeVar("T")

SOURCE_UNAVAILABLE = "SOURCE_UNAVAILABLE"


@dataclass(frozen=True)
class Services:
    """What the API's resolvers and mutations use, built once at start-up by the composition root
    (`runtime.py`) and shared by every request: a request's context points at it, nothing is copied."""

    directory: CustomerDirectory  # golden records and their links (the gateway's store)
    submissions: SubmissionLog  # what residents submitted through customer360, and its delivery
    writes: WritePath
    payments: Payments
    cases: DeliveryCaseStore
    service_definitions: ServiceDefinitionStore  # staff-defined services
    listed_services: ListedServices  # each back office's services as last seen
    accounts_seen: AccountsSeen  # tenancies and Council Tax accounts as last seen (writes while one is down)
    safeguarding: SafeguardingAccess
    audit: AuditLog
    stewardship: Stewardship
    analytics: Analytics
    events: EventRecorder
    person_keys: PersonKeys
    sources: Sources
    cache: ReadThrough
    locate_uprn: Callable[[str], tuple[float, float] | None]
    addresses: AddressBook
    actor_tokens: ActorTokenIssuer
    grants: GrantChecks
    attachments: Attachments
    notifications: NotificationStore | None  # contact preferences and messages sent
    feedback: FeedbackStore | None  # residents' ratings of finished requests
    # How a request's loaders are made (which reads each batches); called once per request, when first needed.
    loaders_for: Callable[[StaleReads], Loaders]


@dataclass
class Context:
    """One request's: who asks, the shared services, and what only this request holds (its loaders,
    the date it runs on, errors to report beside the data). Loaders are made on first use: an answer
    kept for the resident (cache/views.py) or a request refused before execution needs none."""

    request: Request
    principal: Principal
    services: Services
    today: date
    # What this request was answered from last known copies (`extensions.stale`), shared by its loaders.
    stale: StaleReads = field(default_factory=StaleReads)
    # Errors for fields that still have an answer (an empty list while a back office is down);
    # the error-shaping extension adds them to the response's `errors`.
    partial_errors: list[GraphQLError] = field(default_factory=list)

    @cached_property
    def loaders(self) -> Loaders:
        return self.services.loaders_for(self.stale)

    @cached_property
    def visible_attachments(self) -> DataLoader[str, list[AttachmentRecord]]:
        """Each request's attachments the principal may see, by reference (`ServiceRequest.photos`)."""
        purpose = access_purpose(self.request) is not None
        return self.services.attachments.loader(self.principal, purpose=purpose)

    def report_forbidden(self, info: Info[Any, Any], message: str) -> None:
        self.partial_errors.append(GraphQLError(message, path=info.path.as_list(), extensions={"code": "FORBIDDEN"}))

    def report_unavailable(self, info: Info[Any, Any], error: SourceUnavailable) -> None:
        self.partial_errors.append(
            GraphQLError(
                f"{error.system} is unavailable; this field is incomplete",
                path=info.path.as_list(),
                extensions={"code": SOURCE_UNAVAILABLE, "source": str(error.system)},
            )
        )


async def or_unavailable(info: Info[Context, Any], work: Awaitable[T], fallback: T) -> T:
    """The answer, or `fallback` with a SOURCE_UNAVAILABLE error on this field: a partial result."""
    try:
        return await work
    except SourceUnavailable as error:
        info.context.report_unavailable(info, error)
        return fallback
