"""defineService, updateService, retireService: "Report It" services as data (admin role)."""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry.types import Info

from customer360.commands import services as command
from customer360.domain.services import DefinedService, ServiceAttributeRecord
from customer360.resolvers.context import Context
from customer360.resolvers.services import catalogue
from customer360.schema.requests import ServiceDefinition
from customer360.schema.values import UserError, user_errors


@strawberry.input
class ServiceAttributeInput:
    code: str
    description: str = strawberry.field(description="The question, as the resident sees it (help text).")
    datatype: str = strawberry.field(description="string, text, number, datetime, singlevaluelist or multivaluelist")
    required: bool
    values: list[str] | None = None
    min: float | None = strawberry.field(default=None, description="number: the smallest answer accepted.")
    max: float | None = strawberry.field(default=None, description="number: the largest answer accepted.")
    max_length: int | None = strawberry.field(default=None, description="string and text: the longest answer.")


@strawberry.input
class DefineServiceInput:
    code: str
    name: str
    group: str
    attributes: list[ServiceAttributeInput]
    sign_in_required: bool
    route_to: str = strawberry.field(description="The back-office queue: LICENSING, WASTE, ENVIRONMENTAL_HEALTH, ...")
    description: str | None = None
    fee_pence: int | None = None
    expected_days: int | None = strawberry.field(default=None, description="The promise, in working days (1-365).")


@strawberry.input(description="The whole new definition: it becomes the next version of the service.")
class UpdateServiceInput(DefineServiceInput):
    pass


@strawberry.input
class RetireServiceInput:
    code: str


@strawberry.type
class DefineServicePayload:
    service: ServiceDefinition | None
    user_errors: list[UserError]


@strawberry.type
class UpdateServicePayload:
    service: ServiceDefinition | None
    user_errors: list[UserError]


@strawberry.type
class RetireServicePayload:
    service: ServiceDefinition | None
    user_errors: list[UserError]


def _design(input: DefineServiceInput) -> command.ServiceDesign:
    return command.ServiceDesign(
        code=input.code,
        name=input.name,
        group=input.group,
        description=input.description,
        attributes=tuple(
            ServiceAttributeRecord(
                code=a.code,  # kept as the admin wrote it: residents answer under this code
                description=a.description,
                datatype=a.datatype,
                required=a.required,
                values=tuple(a.values) if a.values is not None else None,
                min=a.min,
                max=a.max,
                max_length=a.max_length,
            )
            for a in input.attributes
        ),
        sign_in_required=input.sign_in_required,
        fee_pence=input.fee_pence,
        route_to=input.route_to,
        expected_days=input.expected_days,
    )


def _shown(service: DefinedService) -> ServiceDefinition:
    return ServiceDefinition.from_record(service.definition, service)


async def define_service(info: Info[Context, Any], input: DefineServiceInput) -> DefineServicePayload:
    found = await catalogue(info.context)
    reserved = frozenset(s.code for s in found.services if s.code not in found.defined)
    outcome = await command.define_service(
        info.context.principal, info.context.services.service_definitions, _design(input), reserved=reserved
    )
    if isinstance(outcome, list):
        return DefineServicePayload(service=None, user_errors=user_errors(outcome))
    return DefineServicePayload(service=_shown(outcome), user_errors=[])


async def update_service(info: Info[Context, Any], input: UpdateServiceInput) -> UpdateServicePayload:
    outcome = await command.update_service(
        info.context.principal, info.context.services.service_definitions, _design(input)
    )
    if isinstance(outcome, list):
        return UpdateServicePayload(service=None, user_errors=user_errors(outcome))
    return UpdateServicePayload(service=_shown(outcome), user_errors=[])


async def retire_service(info: Info[Context, Any], input: RetireServiceInput) -> RetireServicePayload:
    outcome = await command.retire_service(
        info.context.principal, info.context.services.service_definitions, input.code
    )
    if isinstance(outcome, list):
        return RetireServicePayload(service=None, user_errors=user_errors(outcome))
    return RetireServicePayload(service=_shown(outcome), user_errors=[])
