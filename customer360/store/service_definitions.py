"""Staff-defined services, versioned: define, change (a new version), retire; read the live ones."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from customer360.domain.services import DefinedService, ServiceAttributeRecord, ServiceDefinitionRecord
from customer360.domain.systems import SourceSystem
from customer360.store.tables import service_definitions
from customer360.tracing import traced_methods


@traced_methods("service_definitions")
class ServiceDefinitionStore:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def live(self) -> list[DefinedService]:
        """The newest version of every service not retired. Read on every call, so a definition made
        by any process is offered by every process at once."""
        latest = (
            select(service_definitions.c.code, func.max(service_definitions.c.version).label("version"))
            .group_by(service_definitions.c.code)
            .subquery()
        )
        query = select(service_definitions).join(
            latest,
            (latest.c.code == service_definitions.c.code) & (latest.c.version == service_definitions.c.version),
        )
        async with self._engine.connect() as conn:
            rows = (await conn.execute(query.order_by(service_definitions.c.code))).all()
        return [_defined(row) for row in rows if row.retired_at is None]

    async def names(self) -> dict[str, str]:
        """Every service ever defined, by code, under its newest version's name (retired ones too: figures
        about a past period still name them)."""
        latest = (
            select(service_definitions.c.code, func.max(service_definitions.c.version).label("version"))
            .group_by(service_definitions.c.code)
            .subquery()
        )
        query = select(service_definitions.c.code, service_definitions.c.name).join(
            latest,
            (latest.c.code == service_definitions.c.code) & (latest.c.version == service_definitions.c.version),
        )
        async with self._engine.connect() as conn:
            return {row.code: row.name for row in (await conn.execute(query)).all()}

    async def codes(self) -> frozenset[str]:
        async with self._engine.connect() as conn:
            rows = (await conn.execute(select(service_definitions.c.code).distinct())).all()
        return frozenset(row.code for row in rows)

    async def latest(self, code: str) -> DefinedService | None:
        async with self._engine.connect() as conn:
            row = (
                await conn.execute(
                    select(service_definitions)
                    .where(service_definitions.c.code == code)
                    .order_by(service_definitions.c.version.desc())
                    .limit(1)
                )
            ).first()
        return _defined(row) if row else None

    async def version(self, code: str, version: int) -> DefinedService | None:
        async with self._engine.connect() as conn:
            row = (
                await conn.execute(
                    select(service_definitions).where(
                        service_definitions.c.code == code, service_definitions.c.version == version
                    )
                )
            ).first()
        return _defined(row) if row else None

    async def save_version(self, service: DefinedService, by: str) -> DefinedService | None:
        """Store `service` as its version; None if that version already exists (a concurrent change)."""
        definition = service.definition
        try:
            async with self._engine.begin() as conn:
                await conn.execute(
                    insert(service_definitions).values(
                        code=definition.code,
                        version=service.version,
                        name=definition.name,
                        group_name=definition.group,
                        description=definition.description,
                        attributes=[attribute_json(a) for a in definition.attributes],
                        sign_in_required=service.sign_in_required,
                        fee_pence=service.fee_pence,
                        route_to=service.route_to,
                        expected_days=service.expected_days,
                        created_at=datetime.now(UTC),
                        created_by=by,
                    )
                )
        except IntegrityError:
            return None
        return service

    async def retire(self, code: str) -> DefinedService | None:
        async with self._engine.begin() as conn:
            await conn.execute(
                update(service_definitions)
                .where(service_definitions.c.code == code, service_definitions.c.retired_at.is_(None))
                .values(retired_at=datetime.now(UTC))
            )
        found = await self.latest(code)
        return replace(found, retired=True) if found else None


def attribute_json(attribute: ServiceAttributeRecord) -> dict[str, Any]:
    return {
        "code": attribute.code,
        "description": attribute.description,
        "datatype": attribute.datatype,
        "required": attribute.required,
        "values": list(attribute.values) if attribute.values is not None else None,
        "min": attribute.min,
        "max": attribute.max,
        "max_length": attribute.max_length,
    }


def attribute_from_json(stored: dict[str, Any]) -> ServiceAttributeRecord:
    return ServiceAttributeRecord(
        code=stored["code"],
        description=stored["description"],
        datatype=stored["datatype"],
        required=bool(stored["required"]),
        values=tuple(stored["values"]) if stored.get("values") is not None else None,
        min=stored.get("min"),
        max=stored.get("max"),
        max_length=stored.get("max_length"),
    )


def _defined(row: Any) -> DefinedService:
    return DefinedService(
        definition=ServiceDefinitionRecord(
            code=row.code,
            name=row.name,
            group=row.group_name,
            description=row.description,
            attributes=tuple(attribute_from_json(a) for a in row.attributes),
            system=SourceSystem.CRM,  # defined services open a case in a CRM queue
        ),
        version=row.version,
        sign_in_required=bool(row.sign_in_required),
        fee_pence=row.fee_pence,
        route_to=row.route_to,
        expected_days=row.expected_days,
        retired=row.retired_at is not None,
    )
