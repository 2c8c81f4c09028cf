"""Trusted documents (`C360_TRUSTED_DOCUMENTS`): in production, only the GraphQL documents the council's
own clients ship may run.

The file is JSON: either an object `{"<sha256 hex>": "<document>", ...}` (the manifest persisted-query
tooling writes) or a list of documents. A request names a document by its hash
(`extensions.persistedQuery.sha256Hash`, as Apollo clients send it) or sends its full text; either
way the text that runs is the stored one, and no persisted query can be registered. Without the setting,
any document within the limits may run. In demo mode the file's documents are persisted queries known
from the start (`persisted_queries.py`); other documents still run and register.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from pathlib import Path

from customer360.settings import SettingsError


class UntrustedDocument(Exception):
    """The request's document is not on the allowlist (or names a hash the allowlist lacks)."""


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class TrustedDocuments:
    def __init__(self, documents: Mapping[str, str], *, enforce: bool) -> None:
        self._documents = {key.lower().removeprefix("sha256:"): text for key, text in documents.items()}
        self.enforce = enforce

    @classmethod
    def load(cls, path: Path, *, enforce: bool) -> TrustedDocuments:
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as error:
            raise SettingsError(f"C360_TRUSTED_DOCUMENTS: cannot read {path}: {error}") from None
        if isinstance(raw, list) and all(isinstance(item, str) for item in raw):
            return cls({sha256(text): text for text in raw}, enforce=enforce)
        if isinstance(raw, dict) and all(isinstance(v, str) for v in raw.values()):
            for key, text in raw.items():
                if sha256(text) != key.lower().removeprefix("sha256:"):
                    raise SettingsError(f"C360_TRUSTED_DOCUMENTS: the document under {key!r} does not hash to it")
            return cls(raw, enforce=enforce)
        raise SettingsError("C360_TRUSTED_DOCUMENTS must hold a JSON object of hash -> document, or a list")

    def __len__(self) -> int:
        return len(self._documents)

    def get(self, sha: str) -> str | None:
        return self._documents.get(sha)

    def resolve(self, query: str | None, wanted: str | None) -> str:
        """The document text to run when enforced: the allowlisted one the request names by hash
        (`wanted`, as `persisted_queries.requested_hash` read it) or sends; else `UntrustedDocument`."""
        if wanted:
            text = self._documents.get(wanted)
            if text is not None:
                return text
            if query is None:
                raise UntrustedDocument("PersistedQueryNotFound")
        if query is not None and sha256(query) in self._documents:
            return query
        raise UntrustedDocument("only the council's trusted documents may run here")
