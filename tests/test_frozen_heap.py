"""`customer360 serve` freezes each worker's heap once its start-up is done (customer360/heap.py), so a
full collection no longer walks the schemas and caches; an app built by `create_app` (every test's) does
not, so the test suite pays no collection per app start. Read from /metrics, whose gauge is
`gc.get_freeze_count()` of the process answering. How much it saves is measured in bench/gc_freeze.py."""

from __future__ import annotations

import sys

import httpx
from prometheus_client.parser import text_string_to_metric_families

from tests.support import free_port
from tests.test_demo_backoffice_process import _answering, _env, _started

FROZEN = "customer360_gc_frozen_objects"


def _samples(metrics_text: str) -> dict[str, float]:
    return {
        sample.name + "".join(f"/{v}" for v in sample.labels.values()): sample.value
        for family in text_string_to_metric_families(metrics_text)
        for sample in family.samples
    }


def test_serve_freezes_its_started_heap_and_still_answers(own_council, tmp_path):
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    command = [sys.executable, "-m", "customer360", "serve", "--port", str(port)]
    log = tmp_path / "serve.log"
    with _started(command, _env(own_council, C360_DEMO_BACKOFFICES="inline"), log) as serve:
        _answering(f"{base_url}/healthz", serve, log)  # uvicorn listens once the lifespan has started
        with httpx.Client(base_url=base_url, timeout=30, trust_env=False) as client:
            answer = client.post("/graphql", json={"query": "{ services { code } }"})
            samples = _samples(client.get("/metrics").text)
    assert answer.status_code == 200 and answer.json()["data"]["services"]
    # Two schemas with their types, the runtime's pools: far more than a bare interpreter's few thousand.
    assert samples[FROZEN] > 100_000
    assert {"python_gc_collections_total/0", "python_gc_collections_total/2"} <= samples.keys()


async def test_an_app_from_create_app_collects_nothing_at_start_and_freezes_nothing(api):
    _app, client = api
    samples = _samples((await client.get("/metrics")).text)
    assert samples[FROZEN] == 0
