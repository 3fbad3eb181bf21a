"""Launcher: specdouble with every garbage collection timed (what stalls the loop).

``SDGC_OUT=/tmp/gc.json python -m bench --targets specdouble --specdouble-module
bench.gctimer ...`` (also with bench.sweeps). The counts, total and longest
pause per generation are written to ``SDGC_OUT`` after every full collection
and every 200th of a generation (uvicorn re-raises SIGTERM, so atexit would
never run). A full collection walks every tracked object: seeded tenants
make it long, and every request in flight waits for it.
"""

from __future__ import annotations

import gc
import json
import os
import sys
import time
from typing import Any

STATS: dict[int, dict[str, float]] = {
    g: {"count": 0, "total_ms": 0.0, "max_ms": 0.0} for g in (0, 1, 2)
}
_started = [0.0]


def _dump() -> None:
    with open(os.environ.get("SDGC_OUT", "/tmp/specdouble-gc.json"), "w") as out:
        json.dump({"generations": STATS, "threshold": gc.get_threshold()}, out, indent=1)


def _timer(phase: str, info: dict[str, Any]) -> None:
    if phase == "start":
        _started[0] = time.perf_counter()
        return
    ms = (time.perf_counter() - _started[0]) * 1000
    stats = STATS[info["generation"]]
    stats["count"] += 1
    stats["total_ms"] += ms
    stats["max_ms"] = max(stats["max_ms"], ms)
    if info["generation"] == 2 or stats["count"] % 200 == 0:
        _dump()


def main() -> int:
    gc.callbacks.append(_timer)
    from specdouble.cli import main as serve

    return serve()


if __name__ == "__main__":
    sys.exit(main())
