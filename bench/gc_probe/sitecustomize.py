"""Put on a server's PYTHONPATH by bench/gc_freeze.py: counts its garbage collections and times them.

With BENCH_GC_PROBE set (a directory), every Python process started with this on its path writes
BENCH_GC_PROBE/<pid>.json twice a second: collections and their pause times by generation, the frozen
object count, and its command line (so the harness can tell the gateway from the back offices).
With BENCH_GC_THRESHOLD ("7000,10,10") it sets the collector's thresholds first (a candidate measured).
"""

from __future__ import annotations

import gc
import json
import os
import sys
import threading
import time

_DIR = os.environ.get("BENCH_GC_PROBE")


def _install(directory: str) -> None:
    counts = [0, 0, 0]
    pause_ms = [0.0, 0.0, 0.0]
    longest_ms = [0.0, 0.0, 0.0]
    full_pauses_ms: list[float] = []
    started = [0.0]

    def callback(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            started[0] = time.perf_counter()
            return
        took = (time.perf_counter() - started[0]) * 1000
        generation = info["generation"]
        counts[generation] += 1
        pause_ms[generation] += took
        longest_ms[generation] = max(longest_ms[generation], took)
        if generation == 2:
            full_pauses_ms.append(round(took, 3))

    gc.callbacks.append(callback)
    path = os.path.join(directory, f"{os.getpid()}.json")

    def write() -> None:
        while True:
            snapshot = {
                "argv": sys.argv,
                "counts": counts,
                "pause_ms": pause_ms,
                "longest_ms": longest_ms,
                "full_pauses_ms": full_pauses_ms,
                "frozen": gc.get_freeze_count(),
                "threshold": gc.get_threshold(),
            }
            with open(path + ".tmp", "w") as out:
                json.dump(snapshot, out)
            os.replace(path + ".tmp", path)
            time.sleep(0.5)

    threading.Thread(target=write, name="gc-probe", daemon=True).start()


if _DIR:
    if os.environ.get("BENCH_GC_THRESHOLD"):
        gc.set_threshold(*(int(n) for n in os.environ["BENCH_GC_THRESHOLD"].split(",")))
    _install(_DIR)
