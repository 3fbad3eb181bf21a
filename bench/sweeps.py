"""Per-request cost must not depend on journal size or on the number of tenants.

``python -m bench.sweeps`` measures the read and reject-401 scenarios with wrk
on specdouble started with a small and a large journal (``--journal-size``),
the large one filled before measuring (a full ring is the steady state), and
on a server with the two default tenants against one with N more created on
demand (``POST /__admin/tenants``). specdouble only.
"""

from __future__ import annotations

import argparse
import http.client
import json
import sys
import tempfile
import time
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from bench import procs, report, tools
from bench.load import LoadSettings, run_wrk
from bench.run import BENCH, ROOT, launches
from bench.scenarios import by_name


def _post_tenant(port: int, name: str) -> None:
    conn = http.client.HTTPConnection(procs.HOST, port, timeout=120)
    conn.request("POST", "/__admin/tenants", body=json.dumps({"name": name}),
                 headers={"Content-Type": "application/json"})
    answer = conn.getresponse()
    body = answer.read()
    conn.close()
    if answer.status != 201:
        raise RuntimeError(f"creating tenant {name}: {answer.status} {body[:300]!r}")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.sweeps", description=__doc__)
    p.add_argument("--journal-sizes", default="100,10000")
    p.add_argument("--extra-tenants", type=int, default=100)
    p.add_argument("--duration", type=int, default=8)
    p.add_argument("--warmup", type=int, default=2)
    p.add_argument("--connections", type=int, default=32)
    p.add_argument("--nice", type=int, default=0)
    p.add_argument("--specdouble-module", default="specdouble", metavar="MODULE",
                   help="run 'python -m MODULE serve' (a what-if launcher) instead")
    args = p.parse_args(argv)
    if not 1 <= args.duration <= 120 or not 0 <= args.extra_tenants <= 1000:
        p.error("--duration within 1..120, --extra-tenants within 0..1000")
    procs.install_cleanup()
    wrk = tools.ensure_wrk()
    load = LoadSettings(connections=args.connections, threads=1, nice=args.nice)
    scenarios = by_name(["read", "reject-401"])
    filler = scenarios[1]  # the cheapest request: fills the journal fastest
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    logs = BENCH / "results" / "logs" / f"sweeps-{stamp}"
    rows: list[dict[str, object]] = []
    cases: list[tuple[str, list[str], int, int]] = [
        (f"journal {size}", ["--journal-size", str(size)], size, 0)
        for size in (int(s) for s in args.journal_sizes.split(",") if s)
    ]
    cases += [("2 tenants", [], 0, 0),
              (f"{2 + args.extra_tenants} tenants", [], 0, args.extra_tenants)]
    with tempfile.TemporaryDirectory(prefix="bench-sweeps-") as tmp:
        work = Path(tmp)
        for label, extra_argv, fill, tenants in cases:
            launch = launches("specdouble", scenarios, ROOT / "specs", None,
                              args.specdouble_module)[0]
            launch = replace(launch, argv=[*launch.argv, *extra_argv])
            proc = procs.spawn(launch.argv, logs / f"{label.replace(' ', '-')}.log", cwd=ROOT,
                               nice=args.nice)
            try:
                procs.wait_first_answer(proc, launch.port, "/__admin/health", {}, 120)
                t0 = time.perf_counter()
                for i in range(tenants):
                    _post_tenant(launch.port, f"bench{i:05d}")
                row: dict[str, object] = {"case": label,
                                          "setup_s": round(time.perf_counter() - t0, 1)}
                sent = 0
                while sent < fill:  # fill the ring before measuring
                    got = run_wrk(wrk, launch.port, filler, 5, load, proc.pid, work)
                    sent += int(got["requests"])  # type: ignore[call-overload]
                for scenario in scenarios:
                    if args.warmup:
                        run_wrk(wrk, launch.port, scenario, args.warmup, load, proc.pid, work)
                    row[scenario.name] = run_wrk(wrk, launch.port, scenario, args.duration,
                                                 load, proc.pid, work)
                row["rss_mib"] = round(procs.rss_mib(proc.pid), 1)
            finally:
                procs.stop(proc)
            rows.append(row)
            cells = "  ".join(
                f"{s.name} {row[s.name]['rps']:,.0f} req/s p50 {row[s.name]['p50_ms']:.2f} ms "  # type: ignore[index]
                f"p99 {row[s.name]['p99_ms']:.2f} ms req/CPU-s "  # type: ignore[index]
                f"{row[s.name]['rps_per_server_cpu_s']:,.0f}"  # type: ignore[index]
                for s in scenarios)
            print(f"{label:<14} {cells}  RSS {row['rss_mib']} MiB (setup {row['setup_s']} s)",
                  flush=True)
    path = BENCH / "results" / f"sweeps-{stamp}.json"
    report.write_json(path, {"started": stamp, "connections": args.connections,
                             "duration_s": args.duration,
                             "machine": tools.machine_and_versions(wrk, None), "rows": rows})
    print(f"written {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
