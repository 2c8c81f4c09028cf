"""One error model for the whole API.

- A back office that is down: the field's fallback plus an error with `extensions.code =
  SOURCE_UNAVAILABLE` and `extensions.source` (reported by resolvers through the context).
- Errors we raise on purpose carry their own `extensions.code` (FORBIDDEN, BAD_USER_INPUT).
- Anything else is a bug: in production its message is replaced by an error id, which is logged
  with the traceback so an operator can correlate a resident's report with the log.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator, Mapping

from graphql import GraphQLError
from strawberry.extensions import SchemaExtension

from customer360.resolvers.customers import NotAllowed
from customer360.resolvers.nearby import InvalidSearch
from customer360.resolvers.pagination import InvalidCursor, InvalidPageSize
from customer360.sources.errors import SourceUnavailable
from customer360.store.customers import InvalidCursor as InvalidStoreCursor

log = logging.getLogger("customer360.errors")

BAD_USER_INPUT = (InvalidCursor, InvalidPageSize, InvalidStoreCursor, InvalidSearch)


class ErrorShaping(SchemaExtension):
    production = False

    def on_execute(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        context = self.execution_context.context
        partial = getattr(context, "partial_errors", [])
        if result is None:
            return
        errors = [self._shaped(error) for error in result.errors or []]
        result.errors = [*errors, *partial] or None

    def _shaped(self, error: GraphQLError) -> GraphQLError:
        original = error.original_error
        if original is None or isinstance(original, GraphQLError):
            return error
        if isinstance(original, SourceUnavailable):
            return _with(error, str(original), {"code": "SOURCE_UNAVAILABLE", "source": original.system.value})
        if isinstance(original, NotAllowed):
            return _with(error, str(original), original.extensions)
        if isinstance(original, BAD_USER_INPUT):
            return _with(error, str(original), {"code": "BAD_USER_INPUT"})
        error_id = uuid.uuid4().hex[:12]
        log.error("internal error %s at %s", error_id, error.path, exc_info=original)
        message = f"Internal error (id {error_id})" if self.production else str(original)
        return _with(error, message, {"code": "INTERNAL_ERROR", "errorId": error_id})


def _with(error: GraphQLError, message: str, extensions: Mapping[str, object]) -> GraphQLError:
    return GraphQLError(message, nodes=error.nodes, path=error.path, original_error=None, extensions=dict(extensions))


def error_shaping(production: bool) -> type[ErrorShaping]:
    return type("ErrorShaping", (ErrorShaping,), {"production": production})
