"""The back-office systems a golden record is assembled from."""

from __future__ import annotations

from enum import StrEnum


class SourceSystem(StrEnum):
    REVENUES = "REVENUES"
    BENEFITS = "BENEFITS"
    HOUSING = "HOUSING"
    CRM = "CRM"
    STREET_SCENE = "STREET_SCENE"
    PAYMENTS = "PAYMENTS"
