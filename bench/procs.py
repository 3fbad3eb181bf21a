"""Processes the bench starts, and what /proc says about them.

Every server and load generator is started in its own session and recorded
here, so one call (also from atexit and on SIGTERM/Ctrl-C) kills them all and
nothing keeps a port or a core busy after the bench. psutil is not a
dependency: RSS and CPU time come straight from /proc.
"""

from __future__ import annotations

import atexit
import contextlib
import http.client
import os
import signal
import socket
import subprocess
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
HOST = "127.0.0.1"  # the one address the bench ever talks to

_started: list[subprocess.Popen[bytes]] = []


def free_port() -> int:
    """A port on 127.0.0.1 nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def prioritize(pid: int, nice: int) -> None:
    """Give ``pid``'s session ``nice`` against other sessions.

    With sched_autogroup (Linux default) every session is one scheduling
    group, so a plain ``nice`` only ranks processes inside their own session;
    other sessions' load is held back only by the session's autogroup nice.
    Only processes the bench started (each in its own session) are touched.
    """
    if not nice:
        return
    with contextlib.suppress(OSError):
        os.setpriority(os.PRIO_PROCESS, pid, nice)
    with contextlib.suppress(OSError):
        Path(f"/proc/{pid}/autogroup").write_text(str(nice))


def spawn(
    argv: Sequence[str], log: Path, cwd: Path, env: Mapping[str, str] | None = None,
    nice: int = 0,
) -> subprocess.Popen[bytes]:
    """Start a process in its own session (so its whole group can be killed)."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("wb") as out:
        proc = subprocess.Popen(
            list(argv), stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            cwd=cwd, env=dict(env) if env is not None else None, start_new_session=True,
        )
    _started.append(proc)
    prioritize(proc.pid, nice)
    return proc


def stop(proc: subprocess.Popen[bytes], grace: float = 5.0) -> None:
    """SIGTERM the process group, SIGKILL it if it is still there after ``grace``."""
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=grace)
    # Children that outlived their leader still belong to the group.
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
    if proc in _started:
        _started.remove(proc)


def stop_all() -> None:
    """Kill everything this bench started (atexit, signals, errors)."""
    for proc in list(_started):
        stop(proc, grace=2.0)


def _on_sigterm(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)


def install_cleanup() -> None:
    """Clean up on normal exit, on exceptions and on SIGTERM/SIGHUP."""
    atexit.register(stop_all)
    signal.signal(signal.SIGTERM, _on_sigterm)
    signal.signal(signal.SIGHUP, _on_sigterm)


def wait_first_answer(
    proc: subprocess.Popen[bytes], port: int, path: str, headers: Mapping[str, str],
    timeout: float,
) -> float:
    """Seconds from now until ``GET path`` gets any HTTP answer; raises if it never does."""
    start = time.perf_counter()
    deadline = start + timeout
    while time.perf_counter() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"exited with status {proc.returncode} before answering")
        try:
            conn = http.client.HTTPConnection(HOST, port, timeout=2)
            conn.request("GET", path, headers=dict(headers))
            conn.getresponse().read()
            conn.close()
            return time.perf_counter() - start
        except OSError:
            time.sleep(0.02)
    raise RuntimeError(f"no answer on {HOST}:{port} within {timeout:.0f} s")


def _children(pid: int) -> list[int]:
    kids: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*/children"):
        with contextlib.suppress(OSError):
            kids.extend(int(x) for x in task.read_text().split())
    return kids


def tree(pid: int) -> list[int]:
    """``pid`` and all its descendants."""
    pids, todo = [], [pid]
    while todo:
        current = todo.pop()
        pids.append(current)
        todo.extend(_children(current))
    return pids


def rss_mib(pid: int) -> float:
    """Resident memory of the process tree, MiB."""
    total_kib = 0
    for p in tree(pid):
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total_kib += int(line.split()[1])
    return total_kib / 1024


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of the process tree so far (all threads), seconds."""
    total = 0
    for p in tree(pid):
        with contextlib.suppress(OSError):
            stat = Path(f"/proc/{p}/stat").read_text()
            fields = stat[stat.rindex(")") + 2:].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / CLOCK_TICKS


def machine_busy_seconds() -> float:
    """CPU seconds all cores spent busy since boot (/proc/stat): to see other load."""
    fields = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    return (sum(fields[:8]) - idle) / CLOCK_TICKS
