"""`Channel`: how a request reached the council, as residents and staff read it."""

from __future__ import annotations

from enum import Enum

import strawberry


@strawberry.enum(
    description="How something reached the council: ONLINE (the resident, or someone they chose, on the web), "
    "PHONE or FACE_TO_FACE (an officer acting for them)."
)
class Channel(Enum):
    ONLINE = "online"
    PHONE = "phone"
    FACE_TO_FACE = "face_to_face"

    @classmethod
    def of(cls, recorded: str | None) -> Channel:
        """From a recorded analytics channel value (web, phone, face_to_face, assisted_digital)."""
        return cls(recorded) if recorded in (cls.PHONE.value, cls.FACE_TO_FACE.value) else cls.ONLINE
