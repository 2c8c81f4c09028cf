"""What a resident can report or apply for: service definitions (Open311-shaped)."""

from __future__ import annotations

from dataclasses import dataclass, field

from customer360.domain.systems import SourceSystem


@dataclass(frozen=True, slots=True)
class ServiceAttributeRecord:
    """An Open311 attribute: datatype is string, number, datetime, text, singlevaluelist or multivaluelist."""

    code: str
    description: str
    datatype: str
    required: bool
    values: tuple[str, ...] | None = None


@dataclass(frozen=True, slots=True)
class ServiceDefinitionRecord:
    code: str
    name: str
    group: str
    description: str | None = None
    attributes: tuple[ServiceAttributeRecord, ...] = field(default=())
    system: SourceSystem | None = None  # the back office a report of this service goes to
