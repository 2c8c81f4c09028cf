"""Stale-if-error, as a client sees it: when any answer came from a last known copy because its back
office was down, the response says so in `extensions`:

    {"stale": true, "staleAgeSeconds": 812, "staleSources": ["REVENUES"]}

`staleAgeSeconds` is the age of the oldest copy served (whole seconds); `staleSources` the back
offices it stood in for. A mutation never acts on a stale answer: its reads are live or fail.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from strawberry.extensions import SchemaExtension
from strawberry.types.graphql import OperationType

from customer360.cache.base import StaleReads


class StaleAnswers(SchemaExtension):
    def on_execute(self) -> Iterator[None]:
        stale = self._stale_reads()
        if stale is not None and self.execution_context.operation_type is OperationType.MUTATION:
            stale.serving = False  # validation and eligibility rules must not run on old data
        yield

    def get_results(self) -> dict[str, Any]:
        stale = self._stale_reads()
        if stale is None or not stale.ages:
            return {}
        return {
            "stale": True,
            "staleAgeSeconds": int(stale.oldest_seconds),
            # Namespaces are `<source>.<operation>` (sources/<system>/); sources as `extensions.source` names them.
            "staleSources": sorted({namespace.split(".", 1)[0].upper() for namespace in stale.ages}),
        }

    def _stale_reads(self) -> StaleReads | None:
        # The request's, not its loaders': a request that made no loader has nothing stale to report.
        return getattr(self.execution_context.context, "stale", None)
