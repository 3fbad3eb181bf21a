"""One timed wrk run of one scenario, with the CPU both sides used.

The server's CPU comes from /proc (its whole process tree), wrk's from
getrusage(RUSAGE_CHILDREN) around the run: wrk is the only child reaped in
that window. If the generator uses a large share of what the server uses,
the figures measure wrk, not the server: the report flags that. CPU that
neither used (other processes on a shared machine) is recorded too, since it
steals the core the server would use.
"""

from __future__ import annotations

import json
import resource
import subprocess
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from bench.procs import HOST, cpu_seconds, machine_busy_seconds, prioritize
from bench.scenarios import Scenario

LUA = Path(__file__).with_name("lua")
MARKER = "BENCH_JSON "


@dataclass(frozen=True)
class LoadSettings:
    """How hard and how long to push: the same for every server."""

    connections: int
    threads: int
    timeout_s: int = 10
    nice: int = 0


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_wrk(
    wrk: str, port: int, scenario: Scenario, seconds: int, load: LoadSettings,
    server_pid: int, workdir: Path,
) -> dict[str, object]:
    """Send ``scenario`` for ``seconds``; requests/s, latency, errors and CPU of both sides."""
    body_arg = "-"
    if scenario.body is not None:
        body_file = workdir / f"{scenario.name}.body"
        body_file.write_text(scenario.body)
        body_arg = str(body_file)
    prefix = "b" + uuid.uuid4().hex[:10]  # a fresh id space per run: no eventId repeats
    headers = [f"{k}: {v}" for k, v in scenario.headers.items()]
    argv = [wrk, "-t", str(load.threads), "-c", str(load.connections), "-d", f"{seconds}s",
            "--timeout", f"{load.timeout_s}s", "-s", str(LUA / scenario.script),
            f"http://{HOST}:{port}{scenario.path}", "--",
            scenario.method, str(scenario.expected), body_arg, prefix, *headers]
    server_before, wrk_before = cpu_seconds(server_pid), _children_cpu()
    busy_before, wall_before = machine_busy_seconds(), time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    prioritize(proc.pid, load.nice)
    try:
        stdout, stderr = proc.communicate(timeout=seconds + 60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    wall = time.perf_counter() - wall_before
    server_cpu, wrk_cpu = cpu_seconds(server_pid) - server_before, _children_cpu() - wrk_before
    others = max(0.0, machine_busy_seconds() - busy_before - server_cpu - wrk_cpu)
    line = next((ln for ln in stdout.splitlines() if ln.startswith(MARKER)), None)
    if proc.returncode != 0 or line is None:
        raise RuntimeError(f"wrk failed ({proc.returncode}): {stderr.strip()[-1000:]}\n"
                           f"{stdout.strip()[-1000:]}")
    raw = json.loads(line[len(MARKER):])
    duration = raw["duration_us"] / 1e6
    socket_errors = raw["connect"] + raw["read"] + raw["write"] + raw["timeout"]
    return {
        "requests": raw["requests"],
        "seconds": round(duration, 3),
        "rps": round(raw["requests"] / duration, 1) if duration else 0.0,
        "p50_ms": raw["p50_us"] / 1000,
        "p90_ms": raw["p90_us"] / 1000,
        "p99_ms": raw["p99_us"] / 1000,
        "max_ms": raw["max_us"] / 1000,
        "errors": raw["unexpected"] + socket_errors,
        "unexpected_status": raw["unexpected"],
        "last_unexpected_status": raw["last_unexpected_status"] or None,
        "socket_errors": socket_errors,
        "server_cpu_pct": round(100 * server_cpu / wall, 1),
        "wrk_cpu_pct": round(100 * wrk_cpu / wall, 1),
        "other_cpu_pct": round(100 * others / wall, 1),
        "rps_per_server_cpu_s": round(raw["requests"] / server_cpu, 1) if server_cpu else None,
        # create-read only: GETs sent, and those that returned the record just posted
        **{key: raw[key] for key in ("reads", "read_back") if key in raw},
    }
