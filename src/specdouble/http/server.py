"""Running the server: one uvicorn process, or N workers on one socket.

The CLI decides the settings; this module starts uvicorn for ``serve`` and holds
what every server shares (binding first, connection limits, worker factories);
``http/mock.py`` starts it for ``mock`` with those.
"""

from __future__ import annotations

import asyncio
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
from collections.abc import Callable
from http import HTTPStatus
from typing import Any, TypeVar

import uvicorn
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
from uvicorn.supervisors import Multiprocess

from specdouble import __version__
from specdouble.support.problems import Problem
from specdouble.support.settings import Settings
from specdouble.support.terminal import Console

T = TypeVar("T")


class _Refused(Exception):
    """Raised from a parser callback once the connection was answered and closed."""


class _OneWrite:
    """A request's view of the connection: the status line and headers wait for the body.

    uvicorn writes the head of a response and its body in two calls, so two
    system calls (and two TCP segments) per answer. This joins them: the head
    is kept until the next write or a close, whichever comes first. Every
    body message writes, an empty one too, except a HEAD request's, which is
    why HEAD requests keep the plain transport. A ``100 Continue`` goes out at
    once (the client waits for it). ``abort`` sends nothing, as a dropped
    connection must.
    """

    __slots__ = ("_first", "_head", "_transport")

    def __init__(self, transport: asyncio.Transport) -> None:
        self._transport = transport
        self._head: bytes | None = None
        self._first = True

    def write(self, data: bytes) -> None:
        if self._first:
            self._first = False
            if not data.startswith(b"HTTP/1.1 100 "):
                self._head = data
                return
            self._first = True  # the interim answer: the real head is still to come
        if self._head is not None:
            data, self._head = self._head + data, None
        self._transport.write(data)

    def flush(self) -> None:
        if self._head is not None:
            head, self._head = self._head, None
            self._transport.write(head)

    def close(self) -> None:
        self.flush()
        self._transport.close()

    def abort(self) -> None:
        self._head = None
        self._transport.abort()

    def __getattr__(self, name: str) -> Any:  # is_closing, get_extra_info, ...
        return getattr(self._transport, name)


class GuardedHttpToolsProtocol(HttpToolsProtocol):
    """uvicorn's HTTP/1.1 protocol with the limits it lacks against slow or huge clients.

    llhttp reads headers of any size, and uvicorn waits for them forever. Here
    the request line and headers together are capped (431), and a client gets
    ``read_timeout`` seconds to send its headers, then as long between two
    parts of its body (408); either answer closes the connection.
    """

    def __init__(self, *args: Any, max_header_bytes: int = 64 * 1024,
                 read_timeout: float = 15.0, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.max_header_bytes = max_header_bytes
        self.read_timeout = read_timeout
        self._header_bytes = 0
        self._refused = False
        # The read deadline moves on every part of a request; the one timer behind it
        # is not rescheduled each time (a heap push and a cancel per part): when it
        # fires early it sleeps again until the deadline it finds then.
        self._deadline: float | None = None
        self._read_timer: asyncio.TimerHandle | None = None

    def _arm(self) -> None:
        self._deadline = self.loop.time() + self.read_timeout
        if self._read_timer is None:
            self._read_timer = self.loop.call_at(self._deadline, self._deadline_reached)

    def _disarm(self) -> None:
        self._deadline = None

    def _stop_timer(self) -> None:
        self._deadline = None
        if self._read_timer is not None:
            self._read_timer.cancel()
            self._read_timer = None

    def _deadline_reached(self) -> None:
        self._read_timer = None
        if self._deadline is None:
            return
        if self._deadline > self.loop.time():
            self._read_timer = self.loop.call_at(self._deadline, self._deadline_reached)
            return
        self._timed_out()

    def _refuse(self, problem: Problem, path: str) -> None:
        """Answer ``problem`` (as the path's service would) and close, unless an answer began."""
        self._refused = True
        self._stop_timer()
        if self.transport.is_closing():
            return
        if self.cycle is None or not self.cycle.response_started:
            status, headers, body = self._render(problem, path)
            lines = [f"HTTP/1.1 {status} {HTTPStatus(status).phrase}",
                     *(f"{k}: {v}" for k, v in headers.items()),
                     f"content-length: {len(body)}", "connection: close", "", ""]
            self.transport.write("\r\n".join(lines).encode("latin-1") + body)
        self.transport.close()

    def _render(self, problem: Problem, path: str) -> tuple[int, dict[str, str], bytes]:
        """The error as the path's service renders it; outside any request, so the
        runtime is found on the app (under uvicorn's wrappers) and set for the call."""
        from specdouble.http.errors import render
        from specdouble.world.runtime import reset_runtime, set_runtime

        app: Any = self.app
        for _ in range(8):  # uvicorn wraps the app in a few middlewares of its own
            if hasattr(app, "runtime") or not hasattr(app, "app"):
                break
            app = app.app
        runtime = getattr(app, "runtime", None)
        if runtime is None:
            return render(problem, path)
        token = set_runtime(runtime)
        try:
            return render(problem, path)
        finally:
            reset_runtime(token)

    def _timed_out(self) -> None:
        path = self.scope.get("path", "/") if self.cycle is not None else "/"
        self._refuse(Problem(408, "The request was not received in time.", [
            f"request: nothing received for {self.read_timeout:g} s before it was complete"]),
            path)

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm()  # a connection that never sends a request is slow too

    def connection_lost(self, exc: Exception | None) -> None:
        self._stop_timer()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self._refused:
            return
        super().data_received(data)  # uvicorn turns _Refused into a parser error: ignored

    def send_400_response(self, msg: str) -> None:
        if not self._refused:  # not for a callback interrupted by our own refusal
            super().send_400_response(msg)

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._header_bytes = 0
        if self._deadline is None:
            self._arm()

    def _count(self, size: int) -> None:
        self._header_bytes += size
        if self._header_bytes > self.max_header_bytes:
            self._refuse(Problem(431, "The request headers are too large.", [
                f"headers: request line and headers over {self.max_header_bytes} bytes"]), "/")
            raise _Refused

    def on_url(self, url: bytes) -> None:
        self._count(len(url))
        super().on_url(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        self._count(len(name) + len(value) + 4)
        super().on_header(name, value)

    def on_headers_complete(self) -> None:
        super().on_headers_complete()
        # the cycle just made has not run yet: it answers through one write per response
        # (a HEAD answer writes no body, so it keeps writing its head at once)
        if self.cycle is not None and self.scope["method"] != "HEAD":
            self.cycle.transport = _OneWrite(self.transport)  # type: ignore[assignment]
        if self.parser.get_method() in (b"GET", b"HEAD", b"DELETE", b"OPTIONS") and not any(
                name in (b"content-length", b"transfer-encoding") for name, _ in self.headers):
            self._disarm()
        else:
            self._arm()  # now the time between two parts of the body

    def on_body(self, body: bytes) -> None:
        self._arm()
        super().on_body(body)

    def on_message_complete(self) -> None:
        self._disarm()
        super().on_message_complete()


def connection_limits(settings: Settings) -> dict[str, Any]:
    """uvicorn.Config options that bound what one client can hold: header size, read
    time, open connections (uvicorn answers 503 beyond ``limit_concurrency``)."""
    # A partial of a module-level class: workers get the config pickled.
    protocol = functools.partial(GuardedHttpToolsProtocol,
                                 max_header_bytes=settings.max_header_bytes,
                                 read_timeout=settings.read_timeout)
    return {"http": protocol, "limit_concurrency": settings.max_connections}


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
        watch_parent(parent_pid)
        # A worker is a process of its own: it prints its own request lines (the
        # supervisor prints the start-up stages, once).
        Console(sys.stdout).attach(requests=settings.log_requests, stages=False)
    # Connexion imports Starlette's test client, which warns about httpx on import.
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from specdouble.http.app import create_app
    from specdouble.spec.loader import use_cache

    use_cache(settings.spec_cache)
    app = create_app(settings)
    freeze_heap()
    return app


def freeze_heap() -> None:
    """Keep what start-up built out of the collector's scans from now on.

    The specs, seeded data and compiled routes live as long as the server; a
    full collection walking them pauses every request now and then (the p99 of
    cheap requests went from ~80 ms to ~9 ms), and walks more the larger the spec.
    """
    gc.collect()
    gc.freeze()


def built_and_frozen(factory: Callable[[], T], parent_pid: int | None = None) -> T:
    """``factory()``, then :func:`freeze_heap`: a worker's app factory (picklable as a
    partial); with ``parent_pid``, the worker stops when that supervisor is gone."""
    if parent_pid is not None:
        watch_parent(parent_pid)
    app = factory()
    freeze_heap()
    return app


def watch_parent(parent_pid: int) -> None:
    """Stop this worker should its supervisor die without stopping it (SIGKILL), instead
    of holding the port as an orphan."""
    threading.Thread(target=_stop_when_orphaned, args=(parent_pid,), daemon=True,
                     name="specdouble-parent-watch").start()


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
                            log_level=log_level, access_log=access_log, lifespan="off",
                            **connection_limits(settings))
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
                            log_level=log_level, access_log=access_log, lifespan="off",
                            **connection_limits(settings))

    class Workers(Multiprocess):
        def init_processes(self) -> None:
            super().init_processes()
            if all(p.wait_until_ready(WORKER_START_SECONDS, self.should_exit)
                   for p in self.processes):
                _banner(settings, sock.getsockname()[1], workers)

    Workers(config, sockets=[sock]).run()


