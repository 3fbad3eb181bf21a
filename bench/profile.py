"""Profile specdouble under the bench's load with py-spy: where the CPU goes.

``python -m bench.profile --scenario read --seconds 20`` starts specdouble
alone, warms it up, samples it with py-spy while wrk sends the scenario, and
prints the hottest functions by own time (self) and by time below them
(inclusive), each with file:line. The raw stacks are kept in bench/results/
for flame graphs (e.g. https://www.speedscope.app or flamegraph.pl). py-spy
is not a dependency of specdouble: ``.venv/bin/pip install py-spy``.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
import threading
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

from bench import procs, tools
from bench.load import LoadSettings, run_wrk
from bench.run import BENCH, ROOT, launches
from bench.scenarios import by_name

FRAME = re.compile(r"^(?P<func>.*) \((?P<file>[^()]*?)(?::(?P<line>\d+))?\)$")


def _short(path: str) -> str:
    for marker in ("/site-packages/", "/src/", "/lib/python3.11/"):
        if marker in path:
            return path.split(marker, 1)[1]
    return path


def parse_raw(text: str) -> tuple[int, Counter[str], Counter[str], Counter[str]]:
    """Total samples, self samples per line, inclusive per function, self per file."""
    total = 0
    own: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    by_file: Counter[str] = Counter()
    for row in text.splitlines():
        stack, _, count = row.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        n = int(count)
        total += n
        frames = [f for f in stack.split(";") if f]
        seen: set[str] = set()
        for i, frame in enumerate(frames):
            m = FRAME.match(frame)
            func, file, line = (m["func"], _short(m["file"]), m["line"]) if m else (frame, "", "")
            if i == len(frames) - 1:
                own[f"{func} ({file}:{line})"] += n
                by_file[file] += n
            key = f"{func} ({file})"
            if key not in seen:
                seen.add(key)
                inclusive[key] += n
    return total, own, inclusive, by_file


def report(raw: Path, top: int) -> None:
    """Print the tables for a raw stack file (also usable on an old one: --report)."""
    total, own, inclusive, by_file = parse_raw(raw.read_text())
    if not total:
        print("no samples")
        return
    print(f"{total} samples from {raw}")
    print(f"\ntop {top} by own time (file:line):")
    for key, n in own.most_common(top):
        print(f"  {100 * n / total:5.1f}%  {key}")
    print(f"\ntop {top} files by own time:")
    for key, n in by_file.most_common(top):
        print(f"  {100 * n / total:5.1f}%  {key}")
    print(f"\ntop {top} of specdouble's functions by inclusive time:")
    ours = Counter({k: n for k, n in inclusive.items() if "(specdouble/" in k})
    for key, n in ours.most_common(top):
        print(f"  {100 * n / total:5.1f}%  {key}")
    print(f"\ntop {top} by inclusive time (function):")
    for key, n in inclusive.most_common(top):
        print(f"  {100 * n / total:5.1f}%  {key}")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.profile", description=__doc__)
    p.add_argument("--scenario", default="read")
    p.add_argument("--seconds", type=int, default=20)
    p.add_argument("--warmup", type=int, default=3)
    p.add_argument("--connections", type=int, default=32)
    p.add_argument("--top", type=int, default=25)
    p.add_argument("--rate", type=int, default=200, help="py-spy samples per second")
    p.add_argument("--specdouble-module", default="specdouble", metavar="MODULE",
                   help="profile 'python -m MODULE serve' (a what-if launcher) instead")
    p.add_argument("--report", type=Path, metavar="RAW",
                   help="only print the tables of an existing raw stack file")
    args = p.parse_args(argv)
    if args.report:
        report(args.report, args.top)
        return 0
    if not 1 <= args.seconds <= 300:
        p.error("--seconds must be within 1..300")
    pyspy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    if not Path(pyspy).exists():
        print("py-spy is missing: .venv/bin/pip install py-spy", file=sys.stderr)
        return 2
    procs.install_cleanup()
    wrk = tools.ensure_wrk()
    scenario = by_name([args.scenario])[0]
    launch = launches("specdouble", [scenario], ROOT / "specs", None,
                      args.specdouble_module)[0]
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    out_dir = BENCH / "results" / "profiles"
    raw = out_dir / f"{scenario.name}-{stamp}.txt"
    out_dir.mkdir(parents=True, exist_ok=True)
    proc = procs.spawn(launch.argv, out_dir / f"{scenario.name}-{stamp}.log", cwd=ROOT)
    load = LoadSettings(connections=args.connections, threads=1)
    try:
        procs.wait_first_answer(proc, launch.port, scenario.path, scenario.headers, 60)
        with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
            work = Path(tmp)
            if args.warmup:
                run_wrk(wrk, launch.port, scenario, args.warmup, load, proc.pid, work)
            spy = subprocess.Popen(
                [pyspy, "record", "--pid", str(proc.pid), "--duration", str(args.seconds),
                 "--rate", str(args.rate), "--format", "raw", "--output", str(raw),
                 "--nonblocking"],
                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            result: dict[str, object] = {}
            worker = threading.Thread(target=lambda: result.update(run_wrk(
                wrk, launch.port, scenario, args.seconds, load, proc.pid, work)))
            worker.start()
            _, err = spy.communicate(timeout=args.seconds + 60)
            worker.join()
            if spy.returncode != 0:
                print(f"py-spy failed: {err.decode(errors='replace')[-2000:]}", file=sys.stderr)
                return 1
    finally:
        procs.stop(proc)
    print(f"{scenario.name}: {result.get('rps')} req/s under py-spy; "
          f"raw stacks in {raw.relative_to(ROOT)}")
    report(raw, args.top)
    return 0


if __name__ == "__main__":
    sys.exit(main())
