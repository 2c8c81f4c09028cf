"""The deployment's pseudonymisation salt: `person_key`s made with it cannot be linked to another council's."""

from __future__ import annotations

import secrets
from pathlib import Path

from customer360.domain.analytics import pseudonym


def load_or_create_salt(data_dir: Path) -> bytes:
    """Made once per data dir, like the other keys: every worker sharing the dir makes the same keys."""
    path = data_dir / "keys" / "analytics-salt"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip().encode()


class PersonKeys:
    """Turns golden ids into the pseudonymous `person_key` events carry."""

    def __init__(self, salt: bytes) -> None:
        self._salt = salt

    def key_for(self, customer_id: str) -> str:
        return pseudonym(self._salt, customer_id)
