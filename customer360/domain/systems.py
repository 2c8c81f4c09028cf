"""The back-office systems a golden record is assembled from.

Each is declared whole (adapters, survivorship rank, display name, reads) in `sources/<system>/`;
the domain only names them, because its records say which system each came from.
"""

from __future__ import annotations

from enum import StrEnum


class SourceSystem(StrEnum):
    REVENUES = "REVENUES"
    BENEFITS = "BENEFITS"
    HOUSING = "HOUSING"
    CRM = "CRM"
    STREET_SCENE = "STREET_SCENE"
    PAYMENTS = "PAYMENTS"
