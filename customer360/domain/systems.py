"""The back-office systems a golden record is assembled from.

Each is declared whole (adapters, survivorship rank, reads) in `sources/<system>/`; the domain names
them, because its records say which system each came from, and says what residents call each (a
request's history, worked out by domain rules, names the office that has it).
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
    HOUSING_MANAGEMENT = "HOUSING_MANAGEMENT"  # council tenancies, rent accounts and repairs


# What residents and staff call each back office: the name shown in a request's history.
DISPLAY_NAMES: dict[SourceSystem, str] = {
    SourceSystem.REVENUES: "Council Tax",
    SourceSystem.BENEFITS: "Benefits",
    SourceSystem.HOUSING: "Housing",
    SourceSystem.CRM: "Customer services",
    SourceSystem.STREET_SCENE: "Street cleansing (Green & Clean)",
    SourceSystem.PAYMENTS: "Payments",
    SourceSystem.HOUSING_MANAGEMENT: "Council homes (rent and repairs)",
}
