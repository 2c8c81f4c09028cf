"""One error model for the whole API.

- A back office that is down: the field's fallback plus an error with `extensions.code =
  SOURCE_UNAVAILABLE` and `extensions.source` (reported by resolvers through the context).
- Errors we raise on purpose carry their own `extensions.code` (FORBIDDEN, BAD_USER_INPUT).
- Anything else is a bug: in production its message is replaced by an error id, which is logged
  with the traceback so an operator can correlate a resident's report with the log.
- In production, validation messages lose their "Did you mean ...?" hints: with introspection off,
  suggestions would otherwise let a client rebuild the schema field by field.
- Logs never carry an error's message: graphql-core's messages quote the input (a variable that
  fails coercion is echoed whole: names, NI numbers), and redaction by pattern cannot find a name.
  A client's error (parse, validation, bad variables, refused input, FORBIDDEN) is one INFO line
  with its code and path; a bug is one ERROR line with its error id and traceback.
"""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Iterator, Mapping

from graphql import GraphQLError
from strawberry.extensions import SchemaExtension

from customer360.auth.purpose import PurposeRequired
from customer360.resolvers.customers import NotAllowed
from customer360.resolvers.nearby import InvalidSearch
from customer360.resolvers.pagination import InvalidCursor, InvalidPageSize
from customer360.sources.errors import SourceUnavailable
from customer360.store.customers import InvalidCursor as InvalidStoreCursor

log = logging.getLogger("customer360.errors")


class InvalidRepresentation(ValueError):
    """A gateway's `_entities` representation that is not `{__typename, id}` of one of our entities."""


BAD_USER_INPUT = (InvalidCursor, InvalidPageSize, InvalidStoreCursor, InvalidSearch, InvalidRepresentation)
# graphql-core's hints: " Did you mean 'name'?" / " Did you mean 'a', 'b', or 'c'?" (names never hold '?').
SUGGESTION = re.compile(r"\s*Did you mean [^?]*\?")


def without_suggestions(message: str) -> str:
    return SUGGESTION.sub("", message)


def expected_code(original: BaseException) -> str | None:
    """The code of an error we raise on purpose; None for a bug."""
    if isinstance(original, SourceUnavailable):
        return "SOURCE_UNAVAILABLE"
    if isinstance(original, NotAllowed | PurposeRequired):
        return str(original.extensions.get("code", "FORBIDDEN"))
    if isinstance(original, BAD_USER_INPUT):
        return "BAD_USER_INPUT"
    return None


def log_errors(errors: list[GraphQLError]) -> None:
    """What `Schema.process_errors` logs: code and path of each error we expected, never its message.
    Bugs are logged by `ErrorShaping`, once, with the error id the client is shown."""
    for error in errors:
        original = error.original_error
        if original is None or isinstance(original, GraphQLError):
            code = (error.extensions or {}).get("code") or "GRAPHQL_REQUEST_INVALID"
        else:
            code = expected_code(original)
            if code is None:
                continue
        where = [f"{place.line}:{place.column}" for place in error.locations or ()]
        log.info("graphql error %s at %s %s", code, error.path or "-", " ".join(where) or "-")


class ErrorShaping(SchemaExtension):
    production = False

    def on_operation(self) -> Iterator[None]:
        yield
        if not self.production:
            return
        result = self.execution_context.result
        for error in getattr(result, "errors", None) or []:
            error.message = without_suggestions(error.message)

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
            return _with(error, str(original), {"code": "SOURCE_UNAVAILABLE", "source": str(original.system)})
        if isinstance(original, NotAllowed):
            return _with(error, str(original), original.extensions)
        if isinstance(original, PurposeRequired):
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
