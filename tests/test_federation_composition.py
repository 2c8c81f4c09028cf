"""Real composition: Apollo's own `@apollo/composition` (tests/federation, installed by `npm ci`) composes
customer360's subgraph SDL with a small libraries subgraph (tests/libraries_subgraph.py) that extends
`Customer` with `libraryLoans`, as a council's gateway would. Without node, or before `npm ci`, the test
skips (CI installs both)."""

from __future__ import annotations

import re

from customer360.schema.schema import build_schema
from tests.libraries_subgraph import schema as libraries_schema
from tests.supergraph import compose


def test_customer360_composes_with_a_libraries_subgraph(tmp_path):
    customer360 = build_schema(federation=True).as_str()
    composed = compose(tmp_path, customer360=customer360, libraries=libraries_schema.as_str())
    assert "errors" not in composed, composed
    supergraph = composed["supergraphSdl"]
    for entity in ("Customer", "CouncilTaxAccount", "ServiceRequest", "Tenancy"):  # what a channel app may extend
        header = re.search(rf"^type {entity}\b[^{{]*", supergraph, re.MULTILINE)
        assert header and '@join__type(graph: CUSTOMER360, key: "id", resolvable: true)' in header.group(), entity
    assert "libraryLoans: [LibraryLoan!]! @join__field(graph: LIBRARIES)" in supergraph
    assert '@join__type(graph: CUSTOMER360, key: "id", resolvable: true)' in supergraph
    assert '@join__type(graph: LIBRARIES, key: "id")' in supergraph


def test_composition_refuses_a_subgraph_that_contradicts_customer360(tmp_path):
    """The check can fail: a libraries subgraph redefining `Customer.name` as an Int does not compose."""
    clashing = libraries_schema.as_str().replace("  id: ID!\n", "  id: ID!\n  name: Int @shareable\n")
    clashing = clashing.replace('import: ["@key"]', 'import: ["@key", "@shareable"]')
    assert clashing.count("name: Int @shareable") == 1
    composed = compose(tmp_path, customer360=build_schema(federation=True).as_str(), libraries=clashing)
    assert composed.get("errors"), composed
