"""Running the server: one uvicorn process, or N workers on one socket.

The CLI decides the settings; this module is the only one that starts uvicorn.
"""

from __future__ import annotations

import errno
import functools
import gc
import os
import signal
import socket
import sys
import threading
import time
import warnings
from typing import Any

import uvicorn
from uvicorn.supervisors import Multiprocess

from specdouble import __version__
from specdouble.support.console import Console
from specdouble.support.settings import Settings

# How long a worker may take to build its app before the server gives up on it.
WORKER_START_SECONDS = 120
# How often a worker checks that the process supervising it is still there.
PARENT_WATCH_SECONDS = 1.0


class CannotBind(OSError):
    """The address cannot be bound (a port in use, an address not of this machine)."""


def bind(host: str, port: int) -> socket.socket:
    """The listening socket, bound before anything slow runs, so a port in use is said first.

    Bound as uvicorn's own ``Config.bind_socket`` would (inheritable, for workers),
    and handed to uvicorn, so nothing can take the port in between.
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family=family, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host.strip("[]"), port))
    except OSError as err:
        sock.close()
        if err.errno == errno.EADDRINUSE:
            raise CannotBind(f"port {port} is in use") from None
        raise CannotBind(f"cannot listen on {host}:{port}: "
                         f"{err.strerror or err}") from None
    sock.set_inheritable(True)
    return sock


def build_worker_app(settings: Settings, parent_pid: int | None = None) -> Any:
    """One worker's app (uvicorn calls it in each worker process).

    ``parent_pid``: the supervising process; should it die without stopping the
    workers (SIGKILL), they stop too instead of holding the port as orphans.
    """
    if parent_pid is not None:
        threading.Thread(target=_stop_when_orphaned, args=(parent_pid,), daemon=True,
                         name="specdouble-parent-watch").start()
        # A worker is a process of its own: it prints its own request lines (the
        # supervisor prints the start-up stages, once).
        Console(sys.stdout).attach(requests=settings.log_requests, stages=False)
    # Connexion imports Starlette's test client, which warns about httpx on import.
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from specdouble.http.app import create_app

    app = create_app(settings)
    # The specs, seeded data and compiled routes live as long as the server: keep
    # them out of the collector's scans, which otherwise pause every request now
    # and then (the p99 of cheap requests went from ~80 ms to ~9 ms).
    gc.collect()
    gc.freeze()
    return app


def _stop_when_orphaned(parent_pid: int) -> None:
    while os.getppid() == parent_pid:
        time.sleep(PARENT_WATCH_SECONDS)
    os.kill(os.getpid(), signal.SIGTERM)  # uvicorn's graceful shutdown


def _banner(settings: Settings, port: int, workers: int) -> None:
    host = f"[{settings.host}]" if ":" in settings.host else settings.host
    processes = f"; {workers} workers" if workers > 1 else ""
    print(f"specdouble {__version__} serving on http://{host}:{port} "
          f"(seed {settings.seed}{processes}; GET / lists the services)", flush=True)


def serve(settings: Settings, log_level: str, access_log: bool, workers: int = 1,
          console: Console | None = None) -> None:
    """Bind, build the world, serve; ``console`` prints the stages (and requests if asked)."""
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    if console is not None:
        console.attach(requests=settings.log_requests and workers == 1)
    sock = bind(settings.host, settings.port)
    if workers > 1:
        serve_workers(settings, log_level, access_log, workers, sock)
        return
    config = uvicorn.Config(build_worker_app(settings), host=settings.host, port=settings.port,
                            log_level=log_level, access_log=access_log, lifespan="off")
    server = uvicorn.Server(config)
    original_startup = server.startup

    async def startup(sockets: list | None = None) -> None:
        await original_startup(sockets)
        port = settings.port
        for srv in getattr(server, "servers", []):
            for sock in srv.sockets:
                port = sock.getsockname()[1]
                break
        _banner(settings, port, 1)

    server.startup = startup  # type: ignore[method-assign]
    server.run(sockets=[sock])


def serve_workers(settings: Settings, log_level: str, access_log: bool, workers: int,
                  sock: socket.socket) -> None:
    """N uvicorn workers on one socket, one shared world; the banner once all serve.

    This process starts the world first (checks the start files, seeds the
    shared store unless it is seeded already), so a bad setting stops it here
    with a clear message instead of N times in the workers.
    """
    from specdouble.http.app import available_services, build_runtime

    build_runtime(settings, available_services(settings)).store.close()  # type: ignore[attr-defined]
    config = uvicorn.Config(functools.partial(build_worker_app, settings, os.getpid()),
                            factory=True,
                            host=settings.host, port=settings.port, workers=workers,
                            log_level=log_level, access_log=access_log, lifespan="off")

    class Workers(Multiprocess):
        def init_processes(self) -> None:
            super().init_processes()
            if all(p.wait_until_ready(WORKER_START_SECONDS, self.should_exit)
                   for p in self.processes):
                _banner(settings, sock.getsockname()[1], workers)

    Workers(config, sockets=[sock]).run()


