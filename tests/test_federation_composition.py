"""Real composition: Apollo's own `@apollo/composition` (tests/federation, installed by `npm ci`) composes
customer360's subgraph SDL with a small libraries subgraph that extends `Customer` with `libraryLoans`,
as a council's gateway would. Without node, or before `npm ci`, the test skips (CI installs both)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from customer360.schema.schema import build_schema

HERE = Path(__file__).parent / "federation"


def compose(tmp_path: Path, **subgraphs: str) -> dict:
    node = shutil.which("node")
    if node is None or not (HERE / "node_modules" / "@apollo" / "composition").is_dir():
        if os.environ.get("CI"):
            pytest.fail("node and tests/federation's npm packages are needed (.ci/run installs them)")
        pytest.skip("no node, or `npm ci --prefix tests/federation` not run")
    arguments = []
    for name, sdl in subgraphs.items():
        (tmp_path / f"{name}.graphql").write_text(sdl)
        arguments.append(f"{name}={tmp_path / f'{name}.graphql'}")
    done = subprocess.run(
        [node, str(HERE / "compose.mjs"), *arguments], capture_output=True, text=True, timeout=120, check=False
    )
    return json.loads(done.stdout)


def test_customer360_composes_with_a_libraries_subgraph(tmp_path):
    libraries = (HERE / "libraries.graphql").read_text()
    composed = compose(tmp_path, customer360=build_schema(federation=True).as_str(), libraries=libraries)
    assert "errors" not in composed, composed
    supergraph = composed["supergraphSdl"]
    assert "libraryLoans: [LibraryLoan!]! @join__field(graph: LIBRARIES)" in supergraph
    assert '@join__type(graph: CUSTOMER360, key: "id", resolvable: true)' in supergraph
    assert '@join__type(graph: LIBRARIES, key: "id")' in supergraph


def test_composition_refuses_a_subgraph_that_contradicts_customer360(tmp_path):
    """The check can fail: a libraries subgraph redefining `Customer.name` as an Int does not compose."""
    clashing = (HERE / "libraries.graphql").read_text().replace("  id: ID!\n", "  id: ID!\n  name: Int @shareable\n")
    clashing = clashing.replace('import: ["@key"]', 'import: ["@key", "@shareable"]')
    composed = compose(tmp_path, customer360=build_schema(federation=True).as_str(), libraries=clashing)
    assert composed.get("errors"), composed
