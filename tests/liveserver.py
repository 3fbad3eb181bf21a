"""Real servers on free loopback ports for live tests: uvicorn in a thread, or the command.

Concurrency and streamed bodies only exist on a real socket: the in-process
test client runs one request at a time and reads every body whole. The server
binds port 0 (the OS picks a free port), serves 127.0.0.1 only, and stops when
the ``with`` block ends (or with the test process: the thread is a daemon).
"""

from __future__ import annotations

import asyncio
import queue
import re
import ssl
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from connexion import AsyncApp

from specdouble.http.app import create_app
from specdouble.http.server import connection_limits
from specdouble.support.settings import Settings

START_TIMEOUT = 30.0


@dataclass(frozen=True)
class Live:
    app: AsyncApp
    base_url: str
    port: int


@contextmanager
def live_server(settings: Settings) -> Iterator[Live]:
    """Serve ``create_app(settings)`` on 127.0.0.1 until the block exits."""
    app = create_app(settings)
    config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="critical",
                            lifespan="off", backlog=1024, **connection_limits(settings))
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="specdouble-live", daemon=True)
    thread.start()
    deadline = time.monotonic() + START_TIMEOUT
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            server.should_exit = True
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.02)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield Live(app, f"http://127.0.0.1:{port}", port)
    finally:
        server.should_exit = True
        thread.join(timeout=15)


def distinct_packing_events(orders: dict[str, dict], count: int) -> list[dict]:
    """``count`` pick-pack events with distinct ids, spread over open orders' entries."""
    import itertools

    open_orders = [o for o in orders.values()
                   if o.get("packingStatus") != "CANCELLED" and o.get("entries")][:4]
    targets = [(o["orderId"], e["productId"]) for o in open_orders for e in o["entries"]]
    assert len(targets) >= 4, "the seeded tenant has open orders with entries"
    return [
        {"eventId": f"conc-{i:04d}", "orderNumber": order, "productId": product, "unit": "H87",
         "timestamp": f"2031-01-01T00:{i // 60:02d}:{i % 60:02d}.000Z", "site": "main",
         "pickedAmount": 1, "packedAmount": 0}
        for i, (order, product) in zip(range(count), itertools.cycle(targets), strict=False)
    ]


@dataclass(frozen=True)
class Served:
    process: subprocess.Popen[str]
    base_url: str


@contextmanager
def serving(*args: str, timeout: float = 120.0) -> Iterator[Served]:
    """``specdouble serve --port 0 ARGS`` as its own process, with the URL it prints.

    For what only the real command does: ``--workers`` processes on one socket.
    The process (and its workers) is stopped with SIGTERM when the block exits.
    """
    process = subprocess.Popen(
        [sys.executable, "-m", "specdouble", "serve", "--host", "127.0.0.1", "--port", "0",
         *args],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines: queue.Queue[str] = queue.Queue()

    def pump() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            lines.put(line)

    threading.Thread(target=pump, daemon=True).start()
    try:
        seen = []
        deadline = time.monotonic() + timeout
        while True:
            try:
                line = lines.get(timeout=max(deadline - time.monotonic(), 0.01))
            except queue.Empty:
                raise RuntimeError(f"no banner within {timeout} s: {''.join(seen)}") from None
            seen.append(line)
            found = re.search(r"serving on (http://\S+)", line)
            if found:
                break
        yield Served(process, found.group(1))
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextmanager
def served(*args: str, timeout: float = 120.0) -> Iterator[str]:
    """The base URL of :func:`serving`."""
    with serving(*args, timeout=timeout) as server:
        yield server.base_url


CONNECTIONS = 64  # requests on the wire at a time
ONE_CONNECTION = httpx.Limits(max_connections=1, max_keepalive_connections=1)
TIMEOUT = httpx.Timeout(60.0)


def fire(base_url: str, requests: list[tuple[str, str, dict[str, Any]]]) -> list[httpx.Response]:
    """Send every (method, path, kwargs) at once over many connections; answers in order.

    ``CONNECTIONS`` keep-alive connections each take the next waiting request as soon as
    they have their answer, as one pool of that size would. One client per connection:
    httpcore's pool spends CPU time quadratic in its connections on every request
    (seconds for a few hundred requests over 64 connections).
    """

    async def run() -> list[httpx.Response]:
        answers: list[httpx.Response | None] = [None] * len(requests)
        waiting = iter(enumerate(requests))  # shared by the connections, in order
        tls = ssl.create_default_context()  # unused on http://, but built once, not per client

        async def connection() -> None:
            async with httpx.AsyncClient(base_url=base_url, limits=ONE_CONNECTION,
                                         timeout=TIMEOUT, verify=tls) as client:
                for index, (method, path, kwargs) in waiting:
                    answers[index] = await client.request(method, path, **kwargs)

        await asyncio.gather(*(connection() for _ in range(min(CONNECTIONS, len(requests)))))
        assert all(answer is not None for answer in answers)
        return answers  # type: ignore[return-value]

    return asyncio.run(run())


def collections(admin: httpx.Client, tenant: str = "acme") -> dict[str, dict[str, Any]]:
    """The tenant's data as the admin API exports it."""
    response = admin.get(f"/__admin/state/{tenant}")
    assert response.status_code == 200, response.text
    return response.json()["collections"]  # type: ignore[no-any-return]


def spawned_workers(pid: int) -> list[int]:
    """The worker processes (multiprocessing spawns) of the server process ``pid``."""
    kids: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*/children"):
        kids += [int(x) for x in task.read_text().split()]
    return [kid for kid in kids if "spawn_main" in Path(f"/proc/{kid}/cmdline").read_text()]


def wait_gone(pids: list[int], seconds: float = 20.0) -> None:
    """Until none of ``pids`` runs any more; fails after ``seconds``."""
    deadline = time.monotonic() + seconds
    while any(Path(f"/proc/{pid}").exists() for pid in pids):
        assert time.monotonic() < deadline, f"orphan workers still running: {pids}"
        time.sleep(0.1)
