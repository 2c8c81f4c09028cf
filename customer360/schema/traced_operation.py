"""The GraphQL operation's span: its type, its name and its document's hash, never a variable or a value.

Added to the schema only while tracing is on (`customer360/tracing.py`). The document is recorded by its
SHA-256 (the hash a persisted query or a trusted document is known by), not its text: a document can
carry literal values (`customer(email: "...")`) as well as variables.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator

from strawberry.extensions import SchemaExtension

from customer360 import tracing


class TracedOperation(SchemaExtension):
    def on_operation(self) -> Iterator[None]:
        execution = self.execution_context
        with tracing.span("graphql") as span:
            yield
            if span is None:
                return
            if execution.query is not None:
                span.set_attribute("graphql.document.hash", hashlib.sha256(execution.query.encode()).hexdigest())
            name = execution.operation_name
            if name:
                span.set_attribute("graphql.operation.name", name)
            try:
                kind = execution.operation_type.value
            except RuntimeError:  # a document that did not parse, or names no operation it has
                kind = "unknown"
            span.set_attribute("graphql.operation.type", kind)
            span.update_name(f"{kind} {name}" if name else kind)
            errors = execution.result.errors if execution.result is not None else None
            span.set_attribute("graphql.errors", len(errors or ()))
