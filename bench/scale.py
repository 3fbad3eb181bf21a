"""Cost as the data grows: Customer Management list and get-by-id at 100..100,000 assignments.

``python -m bench.scale`` exports tenant acme from a fresh specdouble
(``GET /__admin/state/acme``), multiplies its contact assignments to each
size (new ids, the same legal entities and customers, varied type, primary
and creation time), starts specdouble with ``--state FILE`` (the state
import), and measures with wrk: the list with ``q``, ``sort`` and ``fields``
(may grow with the records it scans, at most linearly), one request at a
time, and with wrk GET by id (must stay flat: a dict lookup). specdouble
only; Prism keeps no data to grow.
"""

from __future__ import annotations

import argparse
import http.client
import json
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench import procs, report, tools
from bench.load import LoadSettings, run_wrk
from bench.run import BENCH, ROOT, launches
from bench.scenarios import SCENARIOS, TOKEN, Scenario

ASSIGNMENTS = "cm.contactAssignments"
TYPES = ("BILLING", "LOGISTICS", "CONTACT", "PRIMARY")


def export_acme(startup_timeout: float, logs: Path) -> dict[str, object]:
    """The seeded state of tenant acme, as the admin API exports it."""
    launch = launches("specdouble", [SCENARIOS[0]], ROOT / "specs", None)[0]
    proc = procs.spawn(launch.argv, logs / "export.log", cwd=ROOT)
    try:
        procs.wait_first_answer(proc, launch.port, "/__admin/health", {}, startup_timeout)
        conn = http.client.HTTPConnection(procs.HOST, launch.port, timeout=30)
        conn.request("GET", "/__admin/state/acme")
        answer = conn.getresponse()
        body = answer.read()
        if answer.status != 200:
            raise RuntimeError(f"export answered {answer.status}: {body[:500]!r}")
        return json.loads(body)  # type: ignore[no-any-return]
    finally:
        procs.stop(proc)


def grown(state: dict[str, object], size: int) -> tuple[dict[str, object], str]:
    """``state`` with exactly ``size`` assignments; the id of one of them."""
    collections = dict(state["collections"])  # type: ignore[call-overload]
    seeds = list(collections[ASSIGNMENTS].values())
    epoch = datetime(2024, 1, 1, tzinfo=UTC)
    out: dict[str, object] = {}
    for i in range(size):
        record = json.loads(json.dumps(seeds[i % len(seeds)]))
        record["id"] = f"{i:024x}"
        record["type"] = TYPES[i % len(TYPES)]
        record["primary"] = i % 7 == 0
        created = (epoch - timedelta(minutes=i)).isoformat(timespec="milliseconds")
        record.setdefault("metadata", {}).update(
            {"createdAt": created.replace("+00:00", "Z"),
             "modifiedAt": created.replace("+00:00", "Z"), "version": 1})
        out[record["id"]] = record
    collections[ASSIGNMENTS] = out
    return {"tenant": "acme", "collections": collections}, f"{size // 2:024x}"


def sequential(port: int, scenario: Scenario, budget: float, most: int = 20
               ) -> dict[str, object]:
    """Send ``scenario`` one at a time (at least once, then until ``budget`` s or ``most``)."""
    times: list[float] = []
    errors, total_header = 0, None
    started = time.perf_counter()
    while not times or (time.perf_counter() - started < budget and len(times) < most):
        conn = http.client.HTTPConnection(procs.HOST, port, timeout=600)
        t0 = time.perf_counter()
        conn.request(scenario.method, scenario.path,
                     headers={**scenario.headers, "X-Total-Count": "true"})
        answer = conn.getresponse()
        answer.read()
        times.append(time.perf_counter() - t0)
        conn.close()
        errors += answer.status != scenario.expected
        total_header = answer.getheader("X-Total-Count") or total_header
    p50 = statistics.median(times)
    return {"requests": len(times), "p50_ms": round(p50 * 1000, 2),
            "max_ms": round(max(times) * 1000, 2), "rps": round(1 / p50, 2),
            "errors": errors, "matched_total": total_header}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.scale", description=__doc__)
    p.add_argument("--sizes", default="100,10000,100000")
    p.add_argument("--duration", type=int, default=10)
    p.add_argument("--warmup", type=int, default=2)
    p.add_argument("--connections", type=int, default=4)
    p.add_argument("--nice", type=int, default=0)
    p.add_argument("--startup-timeout", type=float, default=600.0)
    args = p.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",")]
    if any(not 1 <= s <= 1_000_000 for s in sizes) or not 1 <= args.duration <= 300:
        p.error("sizes within 1..1000000, --duration within 1..300")
    procs.install_cleanup()
    wrk = tools.ensure_wrk()
    load = LoadSettings(connections=args.connections, threads=1, timeout_s=60, nice=args.nice)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    logs = BENCH / "results" / "logs" / f"scale-{stamp}"
    cm_list = next(s for s in SCENARIOS if s.name == "cm-list")
    rows: list[dict[str, object]] = []
    with tempfile.TemporaryDirectory(prefix="bench-scale-") as tmp:
        work = Path(tmp)
        base = export_acme(args.startup_timeout, logs)
        for size in sizes:
            doc, some_id = grown(base, size)
            state_file = work / f"acme-{size}.json"
            state_file.write_text(json.dumps(doc))
            get = Scenario("cm-get", "GET one assignment by id", "GET",
                           f"/customer-management/acme/contact-assignments/{some_id}", 200,
                           cm_list.spec, TOKEN)
            launch = launches("specdouble", [cm_list, get], ROOT / "specs", None)[0]
            launch = replace(launch, argv=[*launch.argv, "--state", str(state_file)])
            proc = procs.spawn(launch.argv, logs / f"{size}.log", cwd=ROOT, nice=args.nice)
            try:
                secs = procs.wait_first_answer(proc, launch.port, get.path, get.headers,
                                               args.startup_timeout)
                row: dict[str, object] = {"assignments": size, "startup_s": round(secs, 2)}
                # The list one request at a time: its cost per request, and nothing left
                # queued on the server's single event loop when the get-by-id run starts.
                row["cm-list"] = sequential(launch.port, cm_list, args.duration)
                if args.warmup:
                    run_wrk(wrk, launch.port, get, args.warmup, load, proc.pid, work)
                row["cm-get"] = run_wrk(wrk, launch.port, get, args.duration, load, proc.pid,
                                        work)
                row["rss_mib"] = round(procs.rss_mib(proc.pid), 1)
            finally:
                procs.stop(proc)
            rows.append(row)
            lst, one = row["cm-list"], row["cm-get"]
            assert isinstance(lst, dict) and isinstance(one, dict)
            print(f"{size:>8} assignments: list {lst['p50_ms']:>9.2f} ms/request "
                  f"(median of {lst['requests']}, {lst['matched_total']} matched, errors "
                  f"{lst['errors']}) | get {one['rps']:>8,.1f} "
                  f"req/s p50 {one['p50_ms']:>7.2f} ms errors {one['errors']} | start "
                  f"{row['startup_s']} s, RSS {row['rss_mib']} MiB", flush=True)
    path = BENCH / "results" / f"scale-{stamp}.json"
    report.write_json(path, {"started": stamp, "connections": args.connections,
                             "duration_s": args.duration,
                             "machine": tools.machine_and_versions(wrk, None), "rows": rows})
    print(f"written {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
