"""Workers on Redis: what ``serve --workers N --state-url redis://...`` costs and gains.

``python -m bench.workers`` starts its own ``redis-server`` on a free
127.0.0.1 port (no persistence), then measures, each alone on the machine and
started afresh: ``memory-1`` (plain ``serve``, the state in process memory:
the baseline) and ``redis-N`` for each N of ``--workers-list`` (``serve
--workers N --state-url ... --state-prefix <own>``, so every start seeds its
own world). Per scenario: requests/s, p50, p99, errors, the server's CPU
(parent and workers), Redis's CPU, and the Redis commands and read events
(about one per round trip) per request, from ``INFO``. specdouble only.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

import redis

from bench import procs, report, tools
from bench.load import LoadSettings, run_wrk
from bench.run import BENCH, QUIET_CORES, ROOT, Launch, launches, other_load
from bench.scenarios import Scenario, by_name

BASELINE = "memory-1"
DEFAULT_SCENARIOS = "read,write,cm-list"
BANNER = "serving on"  # printed by `serve` once every worker answers
REDIS_START_SECONDS = 10.0


@dataclass(frozen=True)
class Config:
    """One way to run specdouble: its name in the tables, worker count, shared state or not."""

    name: str
    workers: int
    shared: bool


def plan(workers_list: list[int]) -> list[Config]:
    """The baseline first, then one Redis configuration per worker count."""
    return [Config(BASELINE, 1, False),
            *(Config(f"redis-{n}", n, True) for n in workers_list)]


# --- Redis ---------------------------------------------------------------------------


def start_redis(binary: str, logs: Path, nice: int) -> tuple[subprocess.Popen[bytes], str]:
    """A throwaway redis-server (no RDB, no AOF) on a free port; its URL once it answers."""
    port = procs.free_port()
    argv = [binary, "--bind", procs.HOST, "--port", str(port), "--save", "",
            "--appendonly", "no", "--protected-mode", "yes"]
    proc = procs.spawn(argv, logs / "redis-server.log", cwd=ROOT, nice=nice)
    client = redis.Redis(host=procs.HOST, port=port, socket_timeout=2)
    deadline = time.perf_counter() + REDIS_START_SECONDS
    try:
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"redis-server exited with status {proc.returncode}")
            try:
                client.ping()
                return proc, f"redis://{procs.HOST}:{port}/0"
            except redis.ConnectionError:
                if time.perf_counter() > deadline:
                    raise RuntimeError(f"redis-server did not answer within "
                                       f"{REDIS_START_SECONDS:.0f} s") from None
                time.sleep(0.05)
    finally:
        client.close()


@dataclass(frozen=True)
class RedisCounters:
    """What Redis has done so far: commands by name and read events (about one per round trip)."""

    calls: dict[str, int]
    reads: int

    @classmethod
    def read(cls, client: redis.Redis) -> RedisCounters:
        stats = client.info("stats")
        commands = client.info("commandstats")
        calls = {name.removeprefix("cmdstat_"): int(v["calls"]) for name, v in commands.items()}
        return cls(calls, int(stats.get("total_reads_processed", 0)))

    def since(self, before: RedisCounters) -> tuple[dict[str, int], int]:
        """Commands (without our own INFO) and read events between ``before`` and this."""
        calls = {name: n - before.calls.get(name, 0) for name, n in self.calls.items()
                 if name != "info" and n - before.calls.get(name, 0) > 0}
        # Our INFO calls are read events too: two between the snapshots.
        return calls, max(0, self.reads - before.reads - 2)


# --- specdouble ----------------------------------------------------------------------


def launch_for(config: Config, scenarios: list[Scenario], url: str, prefix: str) -> Launch:
    """The bench's usual specdouble launch, with the workers and the shared state added."""
    launch = launches("specdouble", scenarios, ROOT / "specs", None)[0]
    if not config.shared:
        return replace(launch, target=config.name)
    return replace(launch, target=config.name, argv=[
        *launch.argv, "--workers", str(config.workers), "--state-url", url,
        "--state-prefix", prefix])


def start_server(launch: Launch, log: Path, timeout: float, nice: int
                 ) -> tuple[subprocess.Popen[bytes], float]:
    """Start one configuration; seconds until the banner (all workers up) and a real answer."""
    t0 = time.perf_counter()
    proc = procs.spawn(launch.argv, log, cwd=ROOT, nice=nice)
    deadline = t0 + timeout
    try:
        while BANNER not in log.read_text(errors="replace"):
            if proc.poll() is not None:
                raise RuntimeError(f"exited with status {proc.returncode} before its banner")
            if time.perf_counter() > deadline:
                raise RuntimeError(f"no banner within {timeout:.0f} s")
            time.sleep(0.05)
        probe = launch.scenarios[0]
        procs.wait_first_answer(proc, launch.port, probe.path, probe.headers,
                                max(1.0, deadline - time.perf_counter()))
    except RuntimeError as err:
        procs.stop(proc)
        tail = log.read_text(errors="replace")[-3000:]
        raise RuntimeError(f"{launch.target} did not start: {err}\n--- {log} ---\n{tail}"
                           ) from err
    return proc, time.perf_counter() - t0


def measure(wrk: str, launch: Launch, scenario: Scenario, args: argparse.Namespace,
            load: LoadSettings, server_pid: int, redis_pid: int, client: redis.Redis,
            work: Path) -> dict[str, object]:
    """Warm up, then one timed wrk run; the run's figures plus Redis's share of it."""
    if args.warmup:
        run_wrk(wrk, launch.port, scenario, args.warmup, load, server_pid, work)
    counters = RedisCounters.read(client)
    redis_before, t0 = procs.cpu_seconds(redis_pid), time.perf_counter()
    result = run_wrk(wrk, launch.port, scenario, args.duration, load, server_pid, work)
    wall = time.perf_counter() - t0
    redis_cpu = procs.cpu_seconds(redis_pid) - redis_before
    calls, reads = RedisCounters.read(client).since(counters)
    requests = int(result["requests"])  # type: ignore[call-overload]
    server_cpu = float(result["server_cpu_pct"]) * wall / 100  # type: ignore[arg-type]
    redis_pct = round(100 * redis_cpu / wall, 1)
    result.update(
        redis_cpu_pct=redis_pct,
        # run_wrk counts everything but server and wrk as "other": Redis is ours here.
        other_incl_redis_cpu_pct=result["other_cpu_pct"],
        other_cpu_pct=round(max(0.0, float(result["other_cpu_pct"]) - redis_pct), 1),  # type: ignore[arg-type]
        rps_per_cpu_s_with_redis=(round(requests / (server_cpu + redis_cpu), 1)
                                  if server_cpu + redis_cpu > 0 else None),
        redis_commands_per_request=round(sum(calls.values()) / requests, 2) if requests else None,
        redis_reads_per_request=round(reads / requests, 2) if requests else None,
        redis_commands=calls,
    )
    return result


# --- report --------------------------------------------------------------------------


def _median(values: list[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return statistics.median(present) if present else None


def summarize(runs: list[dict[str, object]]) -> tuple[dict[str, dict[str, dict[str, object]]],
                                                      dict[str, dict[str, float | None]]]:
    """bench.report's medians plus Redis's; the req/s ratio of every config to memory-1."""
    summary = report.summarize(runs)
    ratio: dict[str, dict[str, float | None]] = {}
    for scenario, configs in summary.items():
        for name, row in configs.items():
            mine = [r for r in runs if r["scenario"] == scenario and r["target"] == name]
            for key in ("redis_cpu_pct", "rps_per_cpu_s_with_redis",
                        "redis_commands_per_request", "redis_reads_per_request"):
                row[key] = _median([r[key] for r in mine])  # type: ignore[misc]
            commands = {c for r in mine for c in r["redis_commands"]}  # type: ignore[attr-defined]
            requests = sum(int(r["requests"]) for r in mine)  # type: ignore[call-overload]
            row["redis_commands_by_name_per_request"] = {
                c: round(sum(r["redis_commands"].get(c, 0) for r in mine)  # type: ignore[attr-defined]
                         / requests, 2) for c in sorted(commands)} if requests else {}
        ratio[scenario] = {
            name: report.ratios(summary, name, BASELINE).get(scenario, {}).get("rps")
            for name in configs}
    return summary, ratio


def _fmt(value: object, spec: str) -> str:
    return "-" if value is None else format(value, spec)


def print_tables(summary: dict[str, dict[str, dict[str, object]]],
                 ratio: dict[str, dict[str, float | None]], titles: dict[str, str]) -> None:
    head = (f"  {'config':<10}{'req/s':>8}{'p50 ms':>9}{'p99 ms':>9}{'errors':>7}"
            f"{'srv CPU%':>9}{'redis%':>8}{'wrk%':>6}{'other%':>8}{'cmd/req':>8}"
            f"{'rt/req':>7}{'x mem-1':>8}")
    for scenario, configs in summary.items():
        print(f"\n{scenario}: {titles.get(scenario, '')}")
        print(head)
        for name, s in configs.items():
            flag = ""
            if s["other_cpu_pct"] and float(s["other_cpu_pct"]) > report.OTHER_LOAD_LIMIT:  # type: ignore[arg-type]
                flag = "  <- other processes busy"
            print(f"  {name:<10}{_fmt(s['rps'], ',.0f'):>8}{_fmt(s['p50_ms'], '.2f'):>9}"
                  f"{_fmt(s['p99_ms'], '.2f'):>9}{_fmt(s['errors'], 'd'):>7}"
                  f"{_fmt(s['server_cpu_pct'], '.0f'):>9}{_fmt(s['redis_cpu_pct'], '.0f'):>8}"
                  f"{_fmt(s['wrk_cpu_pct'], '.0f'):>6}{_fmt(s['other_cpu_pct'], '.0f'):>8}"
                  f"{_fmt(s['redis_commands_per_request'], '.1f'):>8}"
                  f"{_fmt(s['redis_reads_per_request'], '.1f'):>7}"
                  f"{_fmt(ratio[scenario].get(name), '.2f'):>8}{flag}")
    print("\n  CPU% of one core (server: parent and workers); other% excludes Redis; cmd/req: "
          "Redis commands per request; rt/req: Redis read events per request (~round trips)")


# --- command line --------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench.workers", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--quick", action="store_true",
                   help="1 round, 1 s warm-up, 3 s per scenario (~1 min); explicit flags win")
    p.add_argument("--rounds", type=int, help="rounds, each starting every config afresh (2)")
    p.add_argument("--duration", type=int, help="seconds measured per scenario (8)")
    p.add_argument("--warmup", type=int, help="seconds of discarded load first (2)")
    p.add_argument("--connections", type=int, default=32, help="open connections (32)")
    p.add_argument("--workers-list", default="1,2,4",
                   help="worker counts of the Redis configs (default 1,2,4)")
    p.add_argument("--scenarios", default=DEFAULT_SCENARIOS,
                   help=f"comma-separated scenarios (default {DEFAULT_SCENARIOS})")
    p.add_argument("--nice", type=int, default=0,
                   help="autogroup priority of servers, Redis and wrk (see bench/README.md)")
    p.add_argument("--startup-timeout", type=float, default=120.0)
    p.add_argument("--results", type=Path, default=BENCH / "results")
    p.add_argument("--no-save", action="store_true", help="do not write the JSON file")
    args = p.parse_args(argv)
    defaults = ({"rounds": 1, "duration": 3, "warmup": 1} if args.quick
                else {"rounds": 2, "duration": 8, "warmup": 2})
    for key, value in defaults.items():
        if getattr(args, key) is None:
            setattr(args, key, value)
    bounds = {"rounds": (1, 5), "duration": (1, 60), "warmup": (0, 30),
              "connections": (1, 512), "nice": (-20, 19)}
    for key, (low, high) in bounds.items():
        if not low <= getattr(args, key) <= high:
            p.error(f"--{key} must be within {low}..{high}")
    try:
        args.workers = [int(n) for n in args.workers_list.split(",") if n.strip()]
        args.scenario_list = by_name([s for s in args.scenarios.split(",") if s])
    except ValueError as err:
        p.error(str(err))
    if any(not 1 <= n <= 16 for n in args.workers) or len(set(args.workers)) != len(args.workers):
        p.error("--workers-list: distinct worker counts within 1..16")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    procs.install_cleanup()
    redis_bin = shutil.which("redis-server")
    try:
        wrk = tools.ensure_wrk()
        if redis_bin is None:
            raise tools.ToolMissing("redis-server is not installed (apt-get install -y "
                                    "redis-server)")
    except tools.ToolMissing as err:
        print(f"cannot run the workers bench: {err}", file=sys.stderr)
        return 2
    scenarios: list[Scenario] = args.scenario_list
    configs = plan(args.workers)
    load = LoadSettings(connections=args.connections, threads=1, nice=args.nice)
    busy = other_load()
    if busy > QUIET_CORES:
        print(f"warning: other processes use {busy:.2f} cores before the bench starts; "
              "the figures will be noisy (see the other% column)", flush=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    logs = args.results / "logs" / f"workers-{stamp}"
    runs: list[dict[str, object]] = []
    startups: list[dict[str, object]] = []
    redis_proc, url = start_redis(redis_bin, logs, args.nice)  # type: ignore[arg-type]
    client = redis.Redis.from_url(url, socket_timeout=5)
    try:
        with tempfile.TemporaryDirectory(prefix="bench-workers-") as tmp:
            for r in range(1, args.rounds + 1):
                order = configs if r % 2 else list(reversed(configs))
                for config in order:
                    launch = launch_for(config, scenarios, url, f"bench-{stamp}-r{r}-{config.name}")
                    proc, secs = start_server(launch, logs / f"{config.name}-r{r}.log",
                                              args.startup_timeout, args.nice)
                    try:
                        startups.append({"round": r, "config": config.name,
                                         "seconds": round(secs, 2),
                                         "rss_mib": round(procs.rss_mib(proc.pid), 1)})
                        print(f"round {r}: {config.name} serving after {secs:.1f} s", flush=True)
                        for scenario in scenarios:
                            result = measure(wrk, launch, scenario, args, load, proc.pid,
                                             redis_proc.pid, client, Path(tmp))
                            result.update(round=r, target=config.name, scenario=scenario.name,
                                          rss_after_mib=round(procs.rss_mib(proc.pid), 1))
                            runs.append(result)
                            print(f"  {scenario.name:<9}{result['rps']:>8,.0f} req/s  p99 "
                                  f"{result['p99_ms']:.1f} ms  errors {result['errors']}  cpu "
                                  f"server {result['server_cpu_pct']}% redis "
                                  f"{result['redis_cpu_pct']}% other "
                                  f"{result['other_cpu_pct']}%", flush=True)
                    finally:
                        procs.stop(proc)
        redis_version = str(client.info("server").get("redis_version"))
    except KeyboardInterrupt:
        print("\ninterrupted: stopping every process the bench started", file=sys.stderr)
        return 130
    finally:
        client.close()
        procs.stop_all()
    summary, ratio = summarize(runs)
    machine = tools.machine_and_versions(wrk, None)
    print(f"\nmachine: {machine['cores']} cores ({machine['cores_usable']} usable), "
          f"{machine['cpu_model']}; redis {redis_version}; other load before start "
          f"{busy:.2f} cores")
    print(f"load: {args.connections} connections, 1 wrk thread, {args.rounds} round(s) x "
          f"{args.duration} s after {args.warmup} s warm-up; medians over rounds")
    print_tables(summary, ratio, {s.name: s.title for s in scenarios})
    if not args.no_save:
        path = args.results / f"workers-{stamp}.json"
        report.write_json(path, {
            "started": stamp, "machine": {**machine, "redis": redis_version},
            "load": {"connections": args.connections, "wrk_threads": 1,
                     "duration_s": args.duration, "warmup_s": args.warmup,
                     "rounds": args.rounds, "quick": args.quick, "nice": args.nice},
            "busy_cores_before": round(busy, 2),
            "configs": [vars(c) for c in configs],
            "scenarios": [s.name for s in scenarios],
            "summary": summary, "ratio_rps_to_memory_1": ratio,
            "startups": startups, "runs": runs})
        print(f"\nwritten {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
