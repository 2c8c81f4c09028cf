"""The deployment's pseudonymisation salt: `person_key`s made with it cannot be linked to another council's."""

from __future__ import annotations

import secrets
from pathlib import Path

from customer360.domain.analytics import pseudonym
from customer360.keyfiles import kept_secret


def load_or_create_salt(data_dir: Path) -> bytes:
    """Made once per data dir, like the other keys: every worker sharing the dir makes the same keys."""
    return kept_secret(data_dir / "keys" / "analytics-salt", lambda: secrets.token_hex(32).encode()).strip()


class PersonKeys:
    """Turns golden ids into the pseudonymous `person_key` events carry."""

    def __init__(self, salt: bytes) -> None:
        self._salt = salt

    def key_for(self, customer_id: str) -> str:
        return pseudonym(self._salt, customer_id)
