"""Documents already known to pass every check before execution, so a repeat skips the checks.

The portal's documents (trusted, persisted, or sent in full) arrive thousands of times a minute, each
time the same text: Strawberry's `ParserCache` hands back the same parsed `DocumentNode` for it, and
`DocumentLimits` (`schema/limits.py`) then walked it for its depth, aliases and cost (about 0.5 ms for
the portal's full `me`) and hashed the whole tree to find its cached validation (about 0.1 ms).
Neither answer can change for the same document, operation and schema unless variables take part, so
once a document has passed both it is remembered here by the identity of that parsed node, and its
next request goes straight to execution with the same answers, errors and authorization: only the
pre-execution checks are skipped, never a resolver's.

Only documents without variables are remembered: a `first: $n` is measured against each request's
value. A refused document is not remembered either, so it is checked, and refused, every time.
"""

from __future__ import annotations

from collections import OrderedDict

from graphql import DocumentNode, OperationDefinitionNode

MAX_DOCUMENTS = 512  # as many as the parse cache keeps: a node it has let go is not seen again


class KnownDocuments:
    """A bounded memo of (parsed document, operation name) that passed the limits and validation.

    Keyed by the node's `id` with the node itself kept beside it (so the id cannot be reused while the
    entry lives): a `DocumentNode` hashes its whole tree, which is the cost being avoided."""

    def __init__(self, max_documents: int = MAX_DOCUMENTS) -> None:
        self._passed: OrderedDict[tuple[int, str | None], DocumentNode] = OrderedDict()
        self._max = max_documents

    def passed(self, document: DocumentNode, operation_name: str | None) -> bool:
        key = (id(document), operation_name)
        if self._passed.get(key) is not document:
            return False
        self._passed.move_to_end(key)
        return True

    def remember(self, document: DocumentNode, operation_name: str | None) -> None:
        """Keep a document that has just passed every check (one with variables is not kept)."""
        if any(isinstance(d, OperationDefinitionNode) and d.variable_definitions for d in document.definitions):
            return
        self._passed[(id(document), operation_name)] = document
        while len(self._passed) > self._max:
            self._passed.popitem(last=False)

    def __len__(self) -> int:
        return len(self._passed)
