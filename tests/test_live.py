"""The server started as the README says answers GET / and a pick-pack call."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time

import httpx
import pytest

pytestmark = pytest.mark.live


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_readme_command_serves() -> None:
    port = _free_port()
    env = {**os.environ, "SPECDOUBLE_PORT": str(port)}
    process = subprocess.Popen(
        [sys.executable, "-m", "specdouble", "serve"], env=env,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    try:
        assert process.stdout is not None
        # one line per start stage, then the banner with the URL
        lines = [process.stdout.readline() for _ in range(3)]
        assert [line.split(":")[1].strip() for line in lines[:2]] == ["specs loaded",
                                                                       "tenants seeded"]
        assert f"serving on http://127.0.0.1:{port}" in lines[2]
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 20
        while True:
            try:
                index = httpx.get(f"{base}/", timeout=2)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "server did not answer"
                time.sleep(0.1)
        assert index.status_code == 200
        assert "pickpack" in {s["name"] for s in index.json()["services"]}
        events = httpx.get(f"{base}/pick-pack/acme/events", params={"pageSize": 1},
                           headers={"Authorization": "Bearer acme-all"}, timeout=5)
        assert events.status_code == 200 and len(events.json()) == 1
    finally:
        process.terminate()
        process.wait(timeout=10)
