"""The ASGI app of ``specdouble mock``: user specs served with Prism's behaviour.

A thin edge around :class:`~specdouble.engine.mock.Mocker`: it reads the
request, adds Prism's CORS headers (and answers any preflight with 204),
and renders every problem with Prism's problem+json shape from
``http/errors.py``. Each loaded document also becomes a generic
:class:`~specdouble.world.catalog.Service` (no handlers, no seeder, Prism's
error shape), the descriptor stateful mocking will hang its records on.

The admin API is the built-in services' one: a :class:`Runtime` holds the
journal, fault rules and store of the mock, each request is journaled and
may be faulted here (as the compiled path does it), and ``/__admin`` is
handed to a Connexion app of the admin spec alone (``create_admin_app``).
"""

from __future__ import annotations

import asyncio
import functools
import json
import logging
import os
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import uvicorn
from starlette.types import ASGIApp, Receive, Scope, Send
from uvicorn.supervisors import Multiprocess

from specdouble.engine.mock import Mocker, Options, Reply, Request, Route
from specdouble.engine.stateful import Stateful
from specdouble.http import errors
from specdouble.http.admin import guard
from specdouble.http.observe import ConnectionDropped, drop_connection
from specdouble.http.server import WORKER_START_SECONDS, bind, built_and_frozen, freeze_heap
from specdouble.spec.documents import Document, SpecError, load_document
from specdouble.state.base import Store
from specdouble.state.memory import MemoryStore
from specdouble.support.clock import iso_millis, utc_now
from specdouble.support.problems import Problem
from specdouble.support.settings import Settings
from specdouble.world import faults, journal
from specdouble.world.catalog import Catalog, Service
from specdouble.world.runtime import Runtime

log = logging.getLogger("specdouble.mock")

MAX_BODY = 10 * 1024 * 1024  # Prism's limit
ADMIN_PREFIX = "/__admin"
COLLECTIONS = ADMIN_PREFIX + "/collections"
# The status of a reply never sent: a fault rule dropped the connection.
DROPPED = 0


def service_for(document: Document) -> Service:
    """A user's spec as a catalog descriptor: generic behaviour, Prism's errors."""
    slug = re.sub(r"[^a-z0-9]+", "-", Path(document.source).stem.lower()).strip("-") or "spec"
    prefixes = tuple(sorted({"/" + op.path.strip("/").split("/")[0]
                             for op in document.operations} | set(document.base_paths)))
    return Service(name=slug, title=document.title, spec_file=document.source,
                   prefixes=prefixes, handlers=None, error_shape=errors.prism_problem)


@dataclass
class MockApp:
    """The ASGI callable; ``cors`` False is Prism's ``--cors=false``.

    ``runtime`` keeps the journal, the fault rules and the store (``store``);
    ``admin`` answers ``/__admin`` (None: the admin API is served by whoever
    fronts this app, as ``serve --spec`` does).
    """

    mocker: Mocker
    services: tuple[Service, ...]
    cors: bool = True
    runtime: Runtime = field(default_factory=lambda: mock_runtime(()))
    admin: Callable[[], ASGIApp] | None = None
    # --stateful: CRUD on the inferred collections (engine/stateful.py); None is stateless.
    stateful: Stateful | None = None

    @property
    def store(self) -> Store:
        return self.runtime.store

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await _lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        if self.stateful is not None and scope["path"] == COLLECTIONS:
            await self._collections(scope, send)
            return
        if self.admin is not None and _is_admin(scope["path"]):
            await self.admin()(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1")
                   for k, v in scope.get("headers", [])}
        origin = headers.get("origin")
        if (self.cors and scope["method"] == "OPTIONS" and origin
                and "access-control-request-method" in headers):
            await _send(send, self._preflight(headers, origin))
            return
        started_at, started = utc_now(), time.perf_counter()
        body = await _read(receive)
        request = Request(scope["method"], scope["path"],
                          scope.get("query_string", b"").decode("latin-1"), headers, body)
        marks = journal.Marks()
        rule: faults.FaultRule | None = None
        reply: Reply | None = None
        try:
            with journal.marking(marks):
                rule, reply = await self._faulted(request, receive)
                if reply is None:
                    reply = self._answer(request)
            if reply.status != DROPPED:
                self._finish(request, reply, origin)
                await _send(send, reply)
        finally:
            dropped = rule is not None and rule.fault is not None
            self._journal(request, marks, reply, dropped, rule, started_at, started)

    def _answer(self, request: Request) -> Reply:
        try:
            return self._respond(request)
        except Problem as problem:
            return _from_problem(problem)
        except Exception as exc:  # never a traceback on the wire
            log.exception("unexpected error on %s %s", request.method, request.path)
            return _from_problem(Problem(500, f"{type(exc).__name__}: {exc}", kind="UNKNOWN"))

    async def _faulted(self, request: Request, receive: Receive
                       ) -> tuple[faults.FaultRule | None, Reply | None]:
        """The fault rule this request gets and its answer (None: answer it as usual).

        As the compiled path does it: only routed operations read the rules; a
        delay first, then a dropped connection or the spec's own answer for
        the rule's status, else the usual answer.
        """
        rules = self.runtime.faults.definitions()
        if not rules:
            return None, None
        try:
            route, _ = self.mocker.route(request.method, request.path)
        except Problem:
            return None, None
        rule = self.runtime.faults.pick(route.operation.operation_id, request.method,
                                        request.path, None, among=rules)
        if rule is None:
            return None, None
        if rule.delay_ms:
            await asyncio.sleep(rule.delay_ms / 1000)
        if rule.fault is not None:
            try:
                await drop_connection(receive, reset=rule.fault == faults.CONNECTION_RESET)
                return rule, Reply(DROPPED)
            except ConnectionDropped as exc:  # no transport (an in-process client): a 500
                return rule, _from_problem(Problem(500, f"Connection dropped by fault rule "
                                                   f"{rule.id}: {exc}", kind="UNKNOWN"))
        if rule.status is not None:
            return rule, self._documented(route, rule, request)
        return rule, None

    def _documented(self, route: Route, rule: faults.FaultRule, request: Request) -> Reply:
        """A status fault: the spec's answer for it, else Prism's problem naming the rule."""
        assert rule.status is not None
        try:
            return self.mocker.documented(route, rule.status, request)
        except Problem:
            problem = faults.fault_problem(rule, route.operation.operation_id)
            return _from_problem(problem)

    def _finish(self, request: Request, reply: Reply, origin: str | None) -> None:
        """CORS, ``Content-Length`` and HEAD's empty body, on every answer."""
        if self.cors:
            reply.headers += _cors_headers(origin)
        if not any(k.lower() == "content-length" for k, _ in reply.headers) and \
                reply.status >= 200 and reply.status != 204:
            reply.headers.append(("Content-Length", str(len(reply.body))))
        if request.method == "HEAD":
            reply.body = b""  # the GET's headers, Content-Length included, and no body

    def _journal(self, request: Request, marks: journal.Marks, reply: Reply | None,
                 dropped: bool, rule: faults.FaultRule | None, started_at: Any,
                 started: float) -> None:
        log = self.runtime.journal
        status = None if dropped or reply is None else reply.status
        entry = journal.Entry(
            id=0, time=iso_millis(started_at), method=request.method, path=request.path,
            query=request.query, tenant=None, operation_id=marks.operation_id, status=status,
            duration_ms=round((time.perf_counter() - started) * 1000, 3),
            request=journal.Body.of(request.body, log.body_limit),
            response=journal.Body.of(reply.body if reply and not dropped else b"",
                                     log.body_limit),
            validation_errors=tuple(marks.validation_errors), forced=marks.forced,
            fault=None if rule is None else rule.id,
        )
        journal.record(log, entry, self.runtime.settings.log_requests)

    def _respond(self, request: Request) -> Reply:
        if self.stateful is None:
            return self.mocker.answer(request)
        return self.stateful.answer(request)

    async def _collections(self, scope: Scope, send: Send) -> None:
        """``GET /__admin/collections``: what ``--stateful`` inferred, behind the admin guard."""
        settings = self.runtime.settings
        problem = guard.check(scope, settings.admin_token, settings.host,
                              settings.admin_cors_origins)
        if problem is None and scope["method"] != "GET":
            problem = Problem(405, f"{scope['method']} is not allowed on {COLLECTIONS}.",
                              [f"method: {scope['method']}: expected GET"])
        if problem is not None:
            await _send(send, _from_problem(problem))
            return
        assert self.stateful is not None
        body = json.dumps(self.stateful.describe(), indent=2).encode()
        await _send(send, Reply(200, [("Content-Type", "application/json"),
                                      ("Content-Length", str(len(body)))], body))

    @staticmethod
    def _preflight(headers: dict[str, str], origin: str) -> Reply:
        out = [("Access-Control-Allow-Origin", origin),
               ("Access-Control-Allow-Methods", headers["access-control-request-method"]),
               ("Access-Control-Allow-Credentials", "true"),
               ("Access-Control-Expose-Headers", "*"),
               ("Vary", "origin"), ("Content-Length", "0")]
        requested = headers.get("access-control-request-headers") or "*"
        out.insert(2, ("Access-Control-Allow-Headers", requested))
        return Reply(204, out)


def _cors_headers(origin: str | None) -> list[tuple[str, str]]:
    return [("Access-Control-Allow-Origin", origin or "*"),
            ("Access-Control-Allow-Headers", "*"),
            ("Access-Control-Allow-Credentials", "true"),
            ("Access-Control-Expose-Headers", "*")]


def _from_problem(problem: Problem) -> Reply:
    status, headers, body = errors.render_prism(problem)
    return Reply(status, list(headers.items()), body)


async def _read(receive: Receive) -> bytes:
    chunks, size = [], 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size <= MAX_BODY:
            chunks.append(chunk)
        if not message.get("more_body"):
            break
    return b"".join(chunks)


async def _send(send: Send, reply: Reply) -> None:
    raw = [(k.lower().encode("latin-1"), str(v).encode("latin-1")) for k, v in reply.headers]
    await send({"type": "http.response.start", "status": reply.status, "headers": raw})
    await send({"type": "http.response.body", "body": reply.body})


async def _lifespan(receive: Receive, send: Send) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return


def _is_admin(path: str) -> bool:
    return path == ADMIN_PREFIX or path.startswith(ADMIN_PREFIX + "/")


def fault_statuses(mocker: Mocker) -> dict[str, set[int]]:
    """operationId -> the error statuses its spec documents (what a fault rule may answer).

    ``4XX`` stands for 400..499, ``default`` for every error status.
    """
    out: dict[str, set[int]] = {}
    for routes in mocker.routes.values():
        for route in routes:
            statuses = out.setdefault(route.operation.operation_id, set())
            for code in route.operation.responses:
                statuses.update(_error_statuses(str(code)))
    return out


def _error_statuses(code: str) -> range:
    if code.isdigit() and 400 <= int(code) <= 599:
        return range(int(code), int(code) + 1)
    if code.upper() in ("4XX", "5XX"):
        return range(int(code[0]) * 100, int(code[0]) * 100 + 100)
    return range(400, 600) if code == "default" else range(0)


def mock_runtime(services: tuple[Service, ...], settings: Settings | None = None,
                 store: Store | None = None,
                 statuses: dict[str, set[int]] | None = None) -> Runtime:
    """The world of user specs (``http/app.py`` wires it: the admin API is a built-in)."""
    from specdouble.http.app import build_mock_runtime

    return build_mock_runtime(services, settings or Settings(),
                              store if store is not None else MemoryStore(), statuses or {})


def reserved(mocker: Mocker, taken: Callable[[str], str | None]) -> None:
    """Refuse a user's path that ``taken`` says another server part owns (a SpecError)."""
    for method, template, _ in mocker.served():
        owner = taken(template)
        if owner is not None:
            source = next(r.document.source for rs in mocker.routes.values() for r in rs
                          if r.template == template)
            raise SpecError(f"{source}: {method} {template} clashes with {owner}")


def create_mock_app(paths: list[Path] | list[str], options: Options,
                    cors: bool = True, *, stateful: bool = False,
                    store: Store | None = None, settings: Settings | None = None) -> MockApp:
    """Load every spec (raises ``SpecError`` with one line on bad input) and build the app.

    ``stateful`` keeps records of the inferred collections; ``store`` keeps the
    mock's data (tenant ``default``; None: a memory store of this process);
    ``settings`` carries the admin options (token, ``--faults``, ``--state``,
    the journal's console line).
    """
    documents = [load_document(path) for path in paths]
    mocker = Mocker(documents, options)
    reserved(mocker, lambda t: "the admin API (/__admin)" if _is_admin(t) else None)
    services = tuple(service_for(d) for d in documents)
    runtime = mock_runtime(services, settings, store, fault_statuses(mocker))
    layer = Stateful(mocker, runtime.store) if stateful else None
    return MockApp(mocker, services, cors, runtime, _admin_app(runtime), layer)


def _admin_app(runtime: Runtime) -> Callable[[], ASGIApp]:
    """The Connexion app of ``/__admin``, built on its first call (start-up stays quick)."""
    built: list[ASGIApp] = []

    def admin() -> ASGIApp:
        if not built:
            from specdouble.http.app import create_admin_app

            built.append(create_admin_app(runtime))
        return built[0]

    return admin


# --- serve --spec: user specs beside the built-in services ---------------------------------

# Paths of the built-in server that are not a service's: the index, specs, docs, admin.
SERVER_PATHS = ("/specs/", "/docs/", ADMIN_PREFIX)


@dataclass(frozen=True)
class UserSpecs:
    """The user specs ``serve --spec`` adds: their mock and generic descriptors."""

    mocker: Mocker
    services: tuple[Service, ...]

    @property
    def statuses(self) -> dict[str, set[int]]:
        return fault_statuses(self.mocker)

    @property
    def listing(self) -> tuple[dict[str, Any], ...]:
        """What ``GET /`` says of each spec (served by the generic mock, no Swagger UI)."""
        return tuple({"name": service.name, "title": service.title, "file": document.source,
                      "spec": None, "docs": None,
                      "paths": sorted({op.path for op in document.operations})}
                     for service, document in zip(self.services, self.mocker.documents,
                                                  strict=True))


def _overlap(one: str, other: str) -> bool:
    """Whether some concrete path fits both templates (a ``{param}`` fits any segment)."""
    a, b = one.strip("/").split("/"), other.strip("/").split("/")
    return len(a) == len(b) and all(x == y or x.startswith("{") or y.startswith("{")
                                    for x, y in zip(a, b, strict=True))


def load_user_specs(paths: Sequence[Path | str],
                    builtin: Sequence[tuple[Service, list[str]]]) -> UserSpecs:
    """Load ``serve --spec`` files; a path a built-in service serves is a SpecError.

    ``builtin`` lists each built-in service with its path templates. Requests go
    to a built-in service by path, so a user's path that shares a concrete path
    with one could never be reached: it refuses to start, naming both.
    """
    documents = [load_document(path) for path in paths]
    mocker = Mocker(documents, Options())

    def taken(template: str) -> str | None:
        if template == "/" or template.startswith(SERVER_PATHS):
            return f"the server's own {template.split('/')[1] or 'index'} paths"
        for service, templates in builtin:
            for path in templates:
                if _overlap(template, path):
                    return f"{path} of the built-in service {service.title} ({service.spec_file})"
        return None

    reserved(mocker, taken)
    return UserSpecs(mocker, tuple(service_for(d) for d in documents))


class SpecFront:
    """``serve --spec``: built-in and server paths to the built-in app, the rest to the mock.

    A path under a built-in service's prefix that none of its operations serves
    goes to the mock when a user spec has that path.
    """

    def __init__(self, builtin: ASGIApp, mock: MockApp, catalog: Catalog,
                 builtin_paths: Callable[[str], list[str]],
                 wrap: Callable[[ASGIApp], ASGIApp] = lambda app: app) -> None:
        self.builtin = builtin
        self.mock = mock
        self.serve_mock = wrap(mock)
        self.catalog = catalog
        self.builtin_paths = builtin_paths

    def _mocked(self, path: str) -> bool:
        if path == "/" or path.startswith(SERVER_PATHS):
            return False
        if self.catalog.for_path(path) is None:
            return True
        if self.builtin_paths(path):
            return False
        try:
            self.mock.mocker.route("GET", path)
        except Problem as problem:
            return problem.status == 405
        return True

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and self._mocked(scope["path"]):
            await self.serve_mock(scope, receive, send)
            return
        await self.builtin(scope, receive, send)


def serve_mock(app: MockApp, host: str, port: int, log_level: str,
               banner: Callable[[int], None], workers: int = 1,
               factory: Callable[[], MockApp] | None = None,
               limits: dict[str, Any] | None = None) -> None:
    """Bind first (a port in use is said before anything else), then serve ``app``.

    With ``workers`` > 1 each worker process builds its own app with ``factory``
    (the mock is stateless, so they need share nothing) on the one socket.
    ``limits``: uvicorn options bounding what one client may hold
    (:func:`~specdouble.http.server.connection_limits`), as ``serve`` has them.
    """
    sock = bind(host, port)
    verbose = log_level == "debug"  # one access line per request
    limits = limits or {}
    if workers > 1 and factory is not None:
        config = uvicorn.Config(functools.partial(built_and_frozen, factory, os.getpid()),
                                factory=True,
                                host=host, port=port, workers=workers, log_level=log_level,
                                access_log=verbose, lifespan="off", **limits)

        class Workers(Multiprocess):
            def init_processes(self) -> None:
                super().init_processes()
                if all(p.wait_until_ready(WORKER_START_SECONDS, self.should_exit)
                       for p in self.processes):
                    banner(sock.getsockname()[1])

        Workers(config, sockets=[sock]).run()
        return
    config = uvicorn.Config(app, host=host, port=port, log_level=log_level, access_log=verbose,
                            lifespan="off", **limits)
    freeze_heap()  # the loaded specs and compiled routes, out of the collector's scans
    server = uvicorn.Server(config)
    original_startup = server.startup

    async def startup(sockets: list[Any] | None = None) -> None:
        await original_startup(sockets)
        banner(sock.getsockname()[1])

    server.startup = startup  # type: ignore[method-assign]
    server.run(sockets=[sock])
