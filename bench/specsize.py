"""Cost as the spec grows: start-up and GET on the last operation, 50 to 5,000 operations.

``python -m bench.specsize`` generates specs of each size (``bench/userspec.py``),
starts ``specdouble mock SPEC`` and ``prism mock SPEC`` on each in turn (one
server at a time), times exec to first answer, then measures with wrk the
read of the last resource, the operation declared last. The table gives
requests/s, p99 and requests per CPU-second per size, the ratio to Prism,
and specdouble's figure at each size against its smallest.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from bench import procs, report, tools, userspec
from bench.load import LoadSettings, run_wrk
from bench.run import BENCH, ROOT, Launch, start
from bench.scenarios import Scenario

TARGETS = ("specdouble", "prism")


def scenario(operations: int) -> Scenario:
    last = userspec.last_resource(operations)
    return Scenario(f"last-of-{operations}", f"GET /r{last}/items/1 of {operations} operations",
                    "GET", f"/r{last}/items/1", 200, userspec.file_name(operations),
                    mode="mock")


def launch(target: str, spec: Path, request: Scenario, prism: Path | None,
           module: str) -> Launch:
    port = procs.free_port()
    if target == "specdouble":
        argv = [sys.executable, "-m", module, "mock", "-h", procs.HOST, "-p", str(port),
                "-v", "silent", str(spec)]
    else:
        assert prism is not None
        argv = [str(prism), "mock", "-h", procs.HOST, "-p", str(port), "-v", "silent",
                str(spec)]
    return Launch(target, spec.name, argv, port, [request])


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench.specsize", description=__doc__)
    p.add_argument("--sizes", default="50,1000,5000",
                   help="operations per generated spec, comma-separated (default %(default)s)")
    p.add_argument("--targets", default="specdouble,prism")
    p.add_argument("--duration", type=int, default=5, help="seconds measured per size (5)")
    p.add_argument("--warmup", type=int, default=2, help="seconds of discarded load (2)")
    p.add_argument("--connections", type=int, default=32)
    p.add_argument("--startup-timeout", type=float, default=180.0)
    p.add_argument("--nice", type=int, default=0)
    p.add_argument("--peer-dir", type=Path, default=BENCH / ".peer")
    p.add_argument("--specdouble-module", default="specdouble", metavar="MODULE")
    p.add_argument("--no-save", action="store_true")
    args = p.parse_args(argv)
    args.sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    args.targets = [t.strip() for t in args.targets.split(",") if t.strip()]
    if not args.sizes or any(not 5 <= s <= 20_000 for s in args.sizes):
        p.error("--sizes: each within 5..20000")
    if not args.targets or any(t not in TARGETS for t in args.targets):
        p.error(f"--targets: some of {', '.join(TARGETS)}")
    if not 1 <= args.duration <= 120 or not 0 <= args.warmup <= 60:
        p.error("--duration within 1..120, --warmup within 0..60")
    return args


def measure(args: argparse.Namespace, wrk: str, prism: Path | None, work: Path,
            logs: Path) -> list[dict[str, object]]:
    load = LoadSettings(connections=args.connections, threads=1, nice=args.nice)
    rows: list[dict[str, object]] = []
    for size in args.sizes:
        path = userspec.write(size, work)
        request = scenario(size)
        for target in args.targets:
            server = launch(target, path, request, prism, args.specdouble_module)
            proc, seconds = start(server, logs, f"{target}-{size}", args.startup_timeout,
                                  args.nice)
            try:
                pid = proc.pid  # type: ignore[attr-defined]
                rss_idle = procs.rss_mib(pid)
                if args.warmup:
                    run_wrk(wrk, server.port, request, args.warmup, load, pid, work)
                result = run_wrk(wrk, server.port, request, args.duration, load, pid, work)
            finally:
                procs.stop(proc)  # type: ignore[arg-type]
            row = {"operations": size, "target": target, "startup_s": round(seconds, 2),
                   "rss_idle_mib": round(rss_idle, 1), **result}
            rows.append(row)
            print(f"{size:>6} ops  {target:<11} start-up {seconds:6.2f} s  "
                  f"{result['rps']:>9,.0f} req/s  p99 {result['p99_ms']:8.2f} ms  "
                  f"req/CPU-s {result['rps_per_server_cpu_s'] or 0:>9,.0f}  "
                  f"errors {result['errors']}  other {result['other_cpu_pct']}%", flush=True)
    return rows


def print_summary(rows: list[dict[str, object]], sizes: list[int]) -> None:
    def get(size: int, target: str, key: str) -> float | None:
        row = next((r for r in rows if r["operations"] == size and r["target"] == target), None)
        value = row.get(key) if row else None
        return float(value) if value else None  # type: ignore[arg-type]

    print("\nper CPU-second (req/CPU-s), specdouble/prism, and specdouble against "
          f"{sizes[0]} operations:")
    base = get(sizes[0], "specdouble", "rps_per_server_cpu_s")
    for size in sizes:
        ours, theirs = (get(size, t, "rps_per_server_cpu_s") for t in TARGETS)
        ratio = f"{ours / theirs:.2f}x" if ours and theirs else "-"
        own = f"{100 * ours / base:.0f}%" if ours and base else "-"
        print(f"  {size:>6} ops: specdouble {ours or 0:>9,.0f}  prism {theirs or 0:>7,.0f}  "
              f"ratio {ratio:>7}  specdouble vs {sizes[0]} ops {own:>5}  start-up "
              f"{get(size, 'specdouble', 'startup_s') or 0:.2f} s vs "
              f"{get(size, 'prism', 'startup_s') or 0:.2f} s")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    procs.install_cleanup()
    try:
        wrk = tools.ensure_wrk()
        prism = tools.ensure_prism(args.peer_dir) if "prism" in args.targets else None
    except tools.ToolMissing as err:
        print(f"cannot run the bench: {err}", file=sys.stderr)
        return 2
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    logs = BENCH / "results" / "logs" / f"specsize-{stamp}"
    with tempfile.TemporaryDirectory(prefix="bench-specsize-") as tmp:
        try:
            rows = measure(args, wrk, prism, Path(tmp), logs)
        finally:
            procs.stop_all()
    print_summary(rows, args.sizes)
    if not args.no_save:
        path = BENCH / "results" / f"specsize-{stamp}.json"
        report.write_json(path, {"started": stamp, "sizes": args.sizes,
                                 "connections": args.connections, "duration_s": args.duration,
                                 "machine": tools.machine_and_versions(wrk, prism),
                                 "rows": rows})
        print(f"written {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
