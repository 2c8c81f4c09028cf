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


# What residents and staff call each back office: the name shown in a request's history.
DISPLAY_NAMES = {
    SourceSystem.REVENUES: "Council Tax",
    SourceSystem.BENEFITS: "Benefits",
    SourceSystem.HOUSING: "Housing",
    SourceSystem.CRM: "Customer services",
    SourceSystem.STREET_SCENE: "Street cleansing (Green & Clean)",
    SourceSystem.PAYMENTS: "Payments",
}
