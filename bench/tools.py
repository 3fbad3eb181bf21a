"""The peer (Prism) and the load generator (wrk): installed on demand, versioned.

Prism is pinned and installed from the npm registry into bench/.peer/
(ignored by git); install scripts are skipped (Prism needs none; the one in
its tree only sends telemetry). wrk comes from Debian's apt; it is installed
when missing and the bench runs as root, otherwise the bench says how.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import subprocess
import sys
from importlib import metadata
from pathlib import Path

PRISM_PACKAGE = "@stoplight/prism-cli"
PRISM_VERSION = "5.16.0"


class ToolMissing(RuntimeError):
    """A tool the bench needs is absent and could not be installed."""


def _run(argv: list[str], timeout: float = 600) -> str:
    done = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, check=False)
    if done.returncode != 0:
        raise ToolMissing(f"{' '.join(argv)} failed ({done.returncode}):\n"
                          f"{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
    return done.stdout


def prism_bin(peer_dir: Path) -> Path:
    return peer_dir / "node_modules" / ".bin" / "prism"


def installed_prism_version(peer_dir: Path) -> str | None:
    manifest = peer_dir / "node_modules" / "@stoplight" / "prism-cli" / "package.json"
    if not manifest.is_file() or not prism_bin(peer_dir).exists():
        return None
    return str(json.loads(manifest.read_text())["version"])


def ensure_prism(peer_dir: Path) -> Path:
    """Install the pinned Prism into ``peer_dir`` unless that exact version is there."""
    if installed_prism_version(peer_dir) == PRISM_VERSION:
        return prism_bin(peer_dir)
    if shutil.which("npm") is None:
        raise ToolMissing("npm is not installed: install Node.js 18+ with npm to get Prism")
    peer_dir.mkdir(parents=True, exist_ok=True)
    print(f"installing {PRISM_PACKAGE}@{PRISM_VERSION} into {peer_dir} ...", flush=True)
    _run(["npm", "install", "--prefix", str(peer_dir), "--no-audit", "--no-fund",
          "--ignore-scripts", "--save-exact", f"{PRISM_PACKAGE}@{PRISM_VERSION}"])
    if installed_prism_version(peer_dir) != PRISM_VERSION:
        raise ToolMissing(f"npm finished but {PRISM_PACKAGE}@{PRISM_VERSION} is not in {peer_dir}")
    return prism_bin(peer_dir)


def ensure_wrk() -> str:
    """Path of wrk; apt-installs it when missing and running as root."""
    found = shutil.which("wrk")
    if found:
        return found
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        raise ToolMissing("wrk is not installed. On Debian/Ubuntu run as root: "
                          "apt-get update && apt-get install -y wrk")
    print("installing wrk with apt-get ...", flush=True)
    _run(["apt-get", "update"])
    _run(["apt-get", "install", "-y", "wrk"])
    found = shutil.which("wrk")
    if not found:
        raise ToolMissing("apt-get installed wrk but it is not on PATH")
    return found


def _first_line(argv: list[str]) -> str:
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired) as err:
        return f"unavailable ({err})"
    text = (done.stdout or done.stderr).strip().splitlines()
    return text[0] if text else "unknown"


def _dist(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "not installed"


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def machine_and_versions(wrk: str | None, prism: Path | None) -> dict[str, object]:
    """Core count and every version that shapes the figures."""
    return {
        "cores": os.cpu_count(),
        "cores_usable": len(os.sched_getaffinity(0)),
        "cpu_model": cpu_model(),
        "kernel": platform.release(),
        "python": sys.version.split()[0],
        "specdouble": _dist("specdouble"),
        "connexion": _dist("connexion"),
        "starlette": _dist("starlette"),
        "uvicorn": _dist("uvicorn"),
        "uvloop": _dist("uvloop"),
        "httptools": _dist("httptools"),
        "jsonschema": _dist("jsonschema"),
        "orjson": _dist("orjson"),
        "wrk": _first_line([wrk, "--version"]) if wrk else "not used",
        "node": _first_line(["node", "--version"]) if prism else "not used",
        "prism": _first_line([str(prism), "--version"]) if prism else "not used",
    }
