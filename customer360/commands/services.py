"""defineService, updateService, retireService: staff with the admin role change what residents can
report or apply for, as data, without a developer or a restart."""

from __future__ import annotations

from dataclasses import dataclass, replace

from customer360.auth.principal import Principal, Role
from customer360.domain.problems import CommonCode, Problem
from customer360.domain.services import (
    DefinedService,
    ServiceAttributeRecord,
    ServiceDefinitionRecord,
    ServiceDesignCode,
    definition_problems,
)
from customer360.domain.systems import SourceSystem
from customer360.store.service_definitions import ServiceDefinitionStore

ADMIN_ONLY = Problem(None, CommonCode.FORBIDDEN, "Only staff with the admin role can change services")


@dataclass(frozen=True)
class ServiceDesign:
    code: str
    name: str
    group: str
    description: str | None
    attributes: tuple[ServiceAttributeRecord, ...]
    sign_in_required: bool
    fee_pence: int | None
    route_to: str
    expected_days: int | None


def _is_admin(principal: Principal) -> bool:
    return principal.is_staff and Role.ADMIN in principal.roles


def _defined(design: ServiceDesign, version: int) -> DefinedService:
    return DefinedService(
        definition=ServiceDefinitionRecord(
            code=design.code,
            name=design.name.strip(),
            group=design.group.strip(),
            description=design.description,
            attributes=design.attributes,
            system=SourceSystem.CRM,
        ),
        version=version,
        sign_in_required=design.sign_in_required,
        fee_pence=design.fee_pence,
        route_to=design.route_to,
        expected_days=design.expected_days,
    )


def _problems(design: ServiceDesign, taken: frozenset[str]) -> list[Problem]:
    return definition_problems(
        code=design.code,
        name=design.name,
        group=design.group,
        attributes=design.attributes,
        fee_pence=design.fee_pence,
        route_to=design.route_to,
        expected_days=design.expected_days,
        taken_codes=taken,
    )


async def define_service(
    principal: Principal, store: ServiceDefinitionStore, design: ServiceDesign, *, reserved: frozenset[str]
) -> DefinedService | list[Problem]:
    """`reserved` are codes the back offices already use (Open311, CRM): a new service may not shadow one."""
    if not _is_admin(principal):
        return [ADMIN_ONLY]
    problems = _problems(design, (await store.codes()) | reserved)
    if problems:
        return problems
    saved = await store.save_version(_defined(design, 1), by=principal.name or principal.subject or "staff")
    if saved is None:
        return [Problem(("input", "code"), ServiceDesignCode.DUPLICATE_CODE, f"{design.code} already exists")]
    return saved


async def update_service(
    principal: Principal, store: ServiceDefinitionStore, design: ServiceDesign
) -> DefinedService | list[Problem]:
    """A new version: requests already made keep the version they were made under."""
    if not _is_admin(principal):
        return [ADMIN_ONLY]
    current = await store.latest(design.code)
    if current is None:
        return [Problem(("input", "code"), ServiceDesignCode.NOT_FOUND, f"There is no service {design.code}")]
    if current.retired:
        return [Problem(("input", "code"), ServiceDesignCode.RETIRED, f"{design.code} has been retired")]
    problems = _problems(design, frozenset())
    if problems:
        return problems
    saved = await store.save_version(_defined(design, current.version + 1), by=principal.name or "staff")
    if saved is None:
        return [Problem(("input", "code"), CommonCode.INVALID, "Someone else changed it at the same time: try again")]
    return saved


async def retire_service(
    principal: Principal, store: ServiceDefinitionStore, code: str
) -> DefinedService | list[Problem]:
    if not _is_admin(principal):
        return [ADMIN_ONLY]
    current = await store.latest(code)
    if current is None:
        return [Problem(("input", "code"), ServiceDesignCode.NOT_FOUND, f"There is no service {code}")]
    if current.retired:
        return [Problem(("input", "code"), ServiceDesignCode.RETIRED, f"{code} is already retired")]
    retired = await store.retire(code)
    return retired or replace(current, retired=True)
