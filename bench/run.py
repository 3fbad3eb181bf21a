"""Orchestration: install tools, start each server alone, warm up, measure, report.

Rounds alternate which server goes first; each round starts every server
afresh (that start is the start-up measurement) and stops it before the next
one runs, so the servers never share the machine. Prism serves one spec per
process: a scenario of another spec gets its own Prism start. specdouble
serves every spec in one process, the way users run it.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from bench import procs, report, tools, userspec
from bench.load import LoadSettings, run_wrk
from bench.scenarios import SCENARIOS, Scenario, by_name

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
TARGETS = ("specdouble", "prism", "starlette", "connexion", "granian")
QUIET_CORES = 0.25  # the machine counts as quiet below a quarter of a core busy


@dataclass(frozen=True)
class Launch:
    """One server process and the scenarios it serves in a round."""

    target: str
    label: str
    argv: list[str]
    port: int
    scenarios: list[Scenario]


def launches(target: str, scenarios: list[Scenario], specs: Path, prism: Path | None,
             module: str = "specdouble", generated: Path | None = None) -> list[Launch]:
    """How ``target`` is started to serve ``scenarios`` (one or more processes in turn).

    ``generated`` is the directory the user specs were written to (``--specs``
    holds the built-in ones).
    """
    if target == "specdouble":
        out = []
        builtin = [s for s in scenarios if not s.generated]
        if builtin:
            port = procs.free_port()
            argv = [sys.executable, "-m", module, "serve", "--host", procs.HOST,
                    "--port", str(port), "--specs", str(specs), "--log-level", "warning"]
            out.append(Launch(target, "all specs", argv, port, builtin))
        for (mode, spec), mine in _groups(s for s in scenarios if s.generated):
            assert generated is not None
            port = procs.free_port()
            # -v silent as Prism's; the journal stays on (its default), as in `serve`.
            argv = [sys.executable, "-m", module, "mock", "-h", procs.HOST, "-p", str(port),
                    "-v", "silent", str(generated / spec)]
            argv += ["--stateful"] if mode == "stateful" else []
            out.append(Launch(target, f"mock {'--stateful ' * (mode == 'stateful')}{spec}",
                              argv, port, mine))
        return out
    if target == "granian":  # the same app and arguments as `serve`, under granian
        port = procs.free_port()
        mine = [s for s in scenarios if not s.generated]
        argv = [sys.executable, "-m", "bench.granian_app", "serve", "--host", procs.HOST,
                "--port", str(port), "--specs", str(specs), "--log-level", "warning"]
        return [Launch(target, "all specs, granian", argv, port, mine)] if mine else []
    if target in ("starlette", "connexion"):
        port = procs.free_port()
        mine = [s for s in scenarios if s.name == "read"]
        argv = [sys.executable, "-m", "bench.ceiling", "--port", str(port),
                "--framework", target]
        return [Launch(target, f"bare {target}", argv, port, mine)] if mine else []
    assert prism is not None
    out = []
    for spec in dict.fromkeys(s.spec for s in scenarios):
        port = procs.free_port()
        folder = generated if any(s.generated for s in scenarios if s.spec == spec) else specs
        assert folder is not None
        # -v silent: Prism's per-request log is its access log; ours is off too.
        argv = [str(prism), "mock", "-h", procs.HOST, "-p", str(port), "-v", "silent",
                str(folder / spec)]
        out.append(Launch(target, spec, argv, port, [s for s in scenarios if s.spec == spec]))
    return out


def _groups(scenarios: Iterable[Scenario]) -> list[tuple[tuple[str, str], list[Scenario]]]:
    """User-spec scenarios by (mode, spec): one `specdouble mock` process each."""
    groups: dict[tuple[str, str], list[Scenario]] = {}
    for scenario in scenarios:
        groups.setdefault((scenario.mode, scenario.spec), []).append(scenario)
    return list(groups.items())


def write_user_specs(scenarios: list[Scenario], directory: Path) -> None:
    """Generate the user specs the scenarios name into ``directory``."""
    for spec in {s.spec for s in scenarios if s.generated}:
        operations = int(spec.removeprefix("generated-").removesuffix(".json"))
        userspec.write(operations, directory)


def start(launch: Launch, logs: Path, tag: str, startup_timeout: float, nice: int = 0
          ) -> tuple[object, float]:
    """Start one server; seconds from exec to the first HTTP answer."""
    log = logs / f"{launch.target}-{tag}.log"
    proc = procs.spawn(launch.argv, log, cwd=ROOT, nice=nice)
    probe = launch.scenarios[0]
    try:
        secs = procs.wait_first_answer(proc, launch.port, probe.path, probe.headers,
                                       startup_timeout)
    except RuntimeError as err:
        procs.stop(proc)
        tail = log.read_text(errors="replace")[-3000:]
        raise RuntimeError(f"{launch.target} ({launch.label}) did not start: {err}\n"
                           f"--- {log} ---\n{tail}") from err
    return proc, secs


def other_load(seconds: float = 1.0) -> float:
    """Cores' worth of CPU busy on the machine over ``seconds`` (servers idle meanwhile)."""
    before = procs.machine_busy_seconds()
    time.sleep(seconds)
    return (procs.machine_busy_seconds() - before) / seconds


def wait_quiet(max_wait: float) -> None:
    """Wait (up to ``max_wait`` s) until other processes leave the cores mostly idle."""
    if max_wait <= 0:
        return
    deadline = time.perf_counter() + max_wait
    busy = other_load()
    while busy > QUIET_CORES and time.perf_counter() < deadline:
        print(f"  waiting: other processes use {busy:.2f} cores", flush=True)
        busy = other_load(2.0)


def measure_round(round_no: int, order: list[str], plan: dict[str, list[Launch]],
                  args: argparse.Namespace, wrk: str, load: LoadSettings, logs: Path,
                  work: Path) -> tuple[list[dict[str, object]], list[dict[str, object]]]:
    runs: list[dict[str, object]] = []
    startups: list[dict[str, object]] = []
    for target in order:
        for launch in plan[target]:
            proc, secs = start(launch, logs, f"r{round_no}-{launch.port}", args.startup_timeout,
                               args.nice)
            try:
                startups.append({"round": round_no, "target": target, "launch": launch.label,
                                 "seconds": round(secs, 3),
                                 "rss_mib": round(procs.rss_mib(proc.pid), 1)})  # type: ignore[attr-defined]
                print(f"round {round_no}: {target} ({launch.label}) answered after "
                      f"{secs:.2f} s", flush=True)
                for scenario in launch.scenarios:
                    wait_quiet(args.wait_quiet)
                    if args.warmup > 0:
                        run_wrk(wrk, launch.port, scenario, args.warmup, load,
                                proc.pid, work)  # type: ignore[attr-defined]
                    result = run_wrk(wrk, launch.port, scenario, args.duration, load,
                                     proc.pid, work)  # type: ignore[attr-defined]
                    result.update(round=round_no, target=target, launch=launch.label,
                                  scenario=scenario.name,
                                  rss_after_mib=round(procs.rss_mib(proc.pid), 1))  # type: ignore[attr-defined]
                    runs.append(result)
                    print(f"  {scenario.name:<11}{result['rps']:>9,.0f} req/s  p50 "
                          f"{result['p50_ms']:.2f} ms  p99 {result['p99_ms']:.2f} ms  "
                          f"errors {result['errors']}  cpu server {result['server_cpu_pct']}% "
                          f"wrk {result['wrk_cpu_pct']}% other {result['other_cpu_pct']}%"
                          + (f"  read back {result['read_back']} of {result['reads']} GETs"
                             if "reads" in result else ""), flush=True)
            finally:
                procs.stop(proc)  # type: ignore[arg-type]
    return runs, startups


def sustained_run(launch: Launch, args: argparse.Namespace, wrk: str, load: LoadSettings,
                  logs: Path, work: Path) -> dict[str, object]:
    """One long run of the read scenario, sampling RSS: it must level off (journal ring)."""
    scenario = launch.scenarios[0]
    proc, _ = start(launch, logs, f"sustained-{launch.port}", args.startup_timeout,
                               args.nice)
    try:
        pid = proc.pid  # type: ignore[attr-defined]
        rss_start = procs.rss_mib(pid)
        samples: list[tuple[float, float]] = [(0.0, rss_start)]
        box: dict[str, object] = {}

        def go() -> None:
            try:
                box["result"] = run_wrk(wrk, launch.port, scenario, args.sustained, load,
                                        pid, work)
            except Exception as err:  # reported below, in the main thread
                box["error"] = err

        worker = threading.Thread(target=go, daemon=True)
        t0 = time.perf_counter()
        worker.start()
        step = max(1.0, args.sustained / 12)
        while worker.is_alive():
            worker.join(timeout=step)
            samples.append((round(time.perf_counter() - t0, 1), procs.rss_mib(pid)))
        if "error" in box:
            raise box["error"]  # type: ignore[misc]
        result = box["result"]
        assert isinstance(result, dict)
        return {"scenario": scenario.name, "seconds": args.sustained, "rps": result["rps"],
                "p99_ms": result["p99_ms"], "errors": result["errors"],
                "rss_start_mib": round(rss_start, 1), "rss_end_mib": round(samples[-1][1], 1),
                "rss_samples": [(t, round(m, 1)) for t, m in samples]}
    finally:
        procs.stop(proc)  # type: ignore[arg-type]


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="python -m bench",
        description="Benchmark specdouble against Prism on the same specs and requests.")
    p.add_argument("--quick", action="store_true",
                   help="short run (~2 min): 1 round, 1 s warm-up, 3 s per scenario, "
                        "8 s sustained; explicit flags still win")
    p.add_argument("--targets", default="specdouble,prism",
                   help=f"comma-separated, from {', '.join(TARGETS)} (starlette, connexion: "
                        "bare ceilings, read scenario only; granian: specdouble's app "
                        "under granian, built-in specs only); default specdouble,prism")
    p.add_argument("--scenarios", default="",
                   help="comma-separated subset of: " + ", ".join(s.name for s in SCENARIOS))
    p.add_argument("--rounds", type=int, help="rounds alternating the servers (default 3)")
    p.add_argument("--duration", type=int, help="seconds measured per scenario (default 10)")
    p.add_argument("--warmup", type=int, help="seconds of discarded load first (default 5)")
    p.add_argument("--sustained", type=int,
                   help="seconds of the sustained read run per server, 0 to skip (default 60)")
    p.add_argument("--connections", type=int, default=32, help="open connections (32)")
    p.add_argument("--threads", type=int, default=1, help="wrk threads (1)")
    p.add_argument("--startup-timeout", type=float, default=60.0)
    p.add_argument("--wait-quiet", type=float, default=0.0, metavar="SECONDS",
                   help="before each scenario wait up to SECONDS for other processes to "
                        "leave the machine idle (shared machines; default 0: no wait)")
    p.add_argument("--specs", type=Path, default=ROOT / "specs")
    p.add_argument("--peer-dir", type=Path, default=BENCH / ".peer")
    p.add_argument("--results", type=Path, default=BENCH / "results")
    p.add_argument("--nice", type=int, default=0,
                   help="scheduling priority of servers and wrk, also against other sessions "
                        "(autogroup; negative needs root): on a shared machine -10 keeps "
                        "other processes from taking the server's core")
    p.add_argument("--specdouble-module", default="specdouble", metavar="MODULE",
                   help="run specdouble as 'python -m MODULE serve ...' (a what-if launcher "
                        "that patches the server before starting it; default specdouble)")
    p.add_argument("--no-save", action="store_true", help="do not write the JSON file")
    args = p.parse_args(argv)
    quick = {"rounds": 1, "duration": 3, "warmup": 1, "sustained": 8}
    full = {"rounds": 3, "duration": 10, "warmup": 5, "sustained": 60}
    for key, value in (quick if args.quick else full).items():
        if getattr(args, key) is None:
            setattr(args, key, value)
    bounds = {"rounds": (1, 20), "duration": (1, 600), "warmup": (0, 120),
              "sustained": (0, 1800), "connections": (1, 1024), "threads": (1, 64),
              "nice": (-20, 19)}
    for key, (low, high) in bounds.items():
        if not low <= getattr(args, key) <= high:
            p.error(f"--{key} must be within {low}..{high}")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    procs.install_cleanup()
    targets = [t.strip() for t in args.targets.split(",") if t.strip()]
    if not targets or any(t not in TARGETS for t in targets):
        print(f"--targets must name some of {TARGETS}", file=sys.stderr)
        return 2
    scenarios = by_name([s for s in args.scenarios.split(",") if s])
    missing = sorted({s.spec for s in scenarios
                      if not s.generated and not (args.specs / s.spec).is_file()})
    if missing:
        print(f"skipping scenarios of missing spec(s): {missing}")
        scenarios = [s for s in scenarios if s.spec not in missing]
    try:
        wrk = tools.ensure_wrk()
        prism = tools.ensure_prism(args.peer_dir) if "prism" in targets else None
    except tools.ToolMissing as err:
        print(f"cannot run the bench: {err}", file=sys.stderr)
        return 2
    load = LoadSettings(connections=args.connections, threads=args.threads, nice=args.nice)
    busy = other_load()
    if busy > QUIET_CORES:
        print(f"warning: other processes use {busy:.2f} cores before the bench starts; "
              "the figures will be noisy (see the other% column)", flush=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    meta: dict[str, object] = {
        "started": stamp, "machine": tools.machine_and_versions(wrk, prism),
        "load": {"connections": load.connections, "wrk_threads": load.threads,
                 "duration_s": args.duration, "warmup_s": args.warmup, "rounds": args.rounds,
                 "sustained_s": args.sustained, "quick": args.quick, "nice": args.nice},
        "targets": targets, "specdouble_module": args.specdouble_module,
        "busy_cores_before": round(busy, 2),
        "scenarios": {s.name: {"title": s.title, "method": s.method, "path": s.path,
                               "expected": s.expected, "spec": s.spec,
                               "unique_body": s.unique} for s in scenarios},
        "notes": ["Prism does not keep state: its write answers the example without storing; "
                  "in create-read its GET answers the example, not the record posted.",
                  "Prism runs with -v silent (no per-request log), specdouble without "
                  "access log; specdouble keeps its default journal on."],
    }
    logs = args.results / "logs" / stamp
    runs: list[dict[str, object]] = []
    startups: list[dict[str, object]] = []
    sustained: dict[str, object] = {}
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        work = Path(tmp)
        write_user_specs(scenarios, work)
        plan = {t: launches(t, scenarios, args.specs, prism, args.specdouble_module, work)
                for t in targets}
        try:
            for r in range(1, args.rounds + 1):
                order = targets if r % 2 else list(reversed(targets))
                got_runs, got_starts = measure_round(r, order, plan, args, wrk, load, logs, work)
                runs += got_runs
                startups += got_starts
            if args.sustained:
                for target in targets:
                    reads = [ln for ln in plan[target]
                             if any(s.name == "read" for s in ln.scenarios)]
                    if reads:
                        first = reads[0]
                        launch = Launch(first.target, first.label, first.argv, first.port,
                                        [s for s in first.scenarios if s.name == "read"])
                        print(f"sustained: {target} {args.sustained} s ...", flush=True)
                        sustained[target] = sustained_run(launch, args, wrk, load, logs, work)
        except KeyboardInterrupt:
            print("\ninterrupted: stopping every server the bench started", file=sys.stderr)
            procs.stop_all()
            return 130
        finally:
            procs.stop_all()
    summary = report.summarize(runs)
    ratio = report.ratios(summary, "specdouble", "prism")
    report.print_tables(meta, summary, ratio, {s.name: s.title for s in scenarios})
    report.print_startups(startups, sustained)
    document = {**meta, "summary": summary, "ratio_specdouble_over_prism": ratio,
                "startups": startups, "sustained": sustained, "runs": runs}
    if "granian" in targets:
        document["ratio_granian_over_specdouble"] = servers = report.ratios(
            summary, "granian", "specdouble")
        report.print_ratios("granian/uvicorn (same app)", servers)
    if not args.no_save:
        path = args.results / f"{stamp}.json"
        report.write_json(path, document)
        print(f"\nwritten {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")
    return 0
