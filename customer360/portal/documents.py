"""The GraphQL documents the portal sends: one `.graphql` file per operation, named as the operation.

These files are the whole of what the portal may ask the API, so they are also its production
trusted-document allowlist (`C360_TRUSTED_DOCUMENTS`).
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

FOLDER = Path(__file__).parent / "graphql"


@cache
def document(operation: str) -> str:
    return (FOLDER / f"{operation}.graphql").read_text(encoding="utf-8")


def all_documents() -> dict[str, str]:
    return {path.stem: document(path.stem) for path in sorted(FOLDER.glob("*.graphql"))}
