"""Cost of tenants created on demand: latency of other clients meanwhile, and memory.

``python -m bench.tenants [--tenants N]`` starts ``specdouble serve`` on a free
loopback port, creates N tenants one after another while a second client
times plain GETs, and prints the GETs' p50/p99 and the server's RSS before,
after creating and after deleting them. A measurement, not a test.
"""

from __future__ import annotations

import argparse
import statistics
import threading
import time

import httpx
from tests.liveserver import serving


def rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tenants", type=int, default=100)
    args = parser.parse_args(argv)
    with serving() as server, httpx.Client(base_url=server.base_url, timeout=60) as admin:
        pid = server.process.pid
        before = rss_mb(pid)
        latencies: list[float] = []
        done = threading.Event()

        def probe() -> None:
            with httpx.Client(base_url=server.base_url, timeout=60) as client:
                while not done.is_set():
                    started = time.perf_counter()
                    client.get("/pick-pack/acme/events?pageSize=1",
                               headers={"Authorization": "Bearer acme-all"})
                    latencies.append((time.perf_counter() - started) * 1000)
                    time.sleep(0.01)

        prober = threading.Thread(target=probe)
        prober.start()
        started = time.perf_counter()
        for i in range(args.tenants):
            assert admin.post("/__admin/tenants", json={"name": f"bench{i}"}).status_code == 201
        seconds = time.perf_counter() - started
        done.set()
        prober.join()
        created = rss_mb(pid)
        started = time.perf_counter()
        assert admin.post("/__admin/reset").status_code == 200
        reset_seconds = time.perf_counter() - started
        for i in range(args.tenants):
            assert admin.delete(f"/__admin/tenants/bench{i}").status_code == 204
        deleted = rss_mb(pid)
        cuts = statistics.quantiles(latencies, n=100)
        print(f"{args.tenants} tenants created in {seconds:.1f} s; {len(latencies)} GETs "
              f"meanwhile: p50 {cuts[49]:.1f} ms, p99 {cuts[98]:.1f} ms, max "
              f"{max(latencies):.1f} ms")
        print(f"RSS: {before:.0f} MB at start, {created:.0f} MB with the tenants "
              f"({(created - before) / args.tenants * 1000:.0f} MB per 1,000), "
              f"{deleted:.0f} MB after deleting them; reset of all: {reset_seconds:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
