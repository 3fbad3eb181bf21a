"""The ASGI app of ``specdouble mock``: user specs served with Prism's behaviour.

A thin edge around :class:`~specdouble.engine.mock.Mocker`: it reads the
request, adds Prism's CORS headers (and answers any preflight with 204),
and renders every problem with Prism's problem+json shape from
``http/errors.py``. Each loaded document also becomes a generic
:class:`~specdouble.world.catalog.Service` (no handlers, no seeder, Prism's
error shape), the descriptor stateful mocking will hang its records on.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import uvicorn
from starlette.types import Receive, Scope, Send
from uvicorn.supervisors import Multiprocess

from specdouble.engine.mock import Mocker, Options, Reply, Request
from specdouble.engine.stateful import Stateful
from specdouble.http import errors
from specdouble.http.server import WORKER_START_SECONDS, bind
from specdouble.spec.documents import Document, load_document
from specdouble.state.base import Store
from specdouble.state.memory import MemoryStore
from specdouble.support.problems import Problem
from specdouble.world.catalog import Service

log = logging.getLogger("specdouble.mock")

MAX_BODY = 10 * 1024 * 1024  # Prism's limit


def service_for(document: Document) -> Service:
    """A user's spec as a catalog descriptor: generic behaviour, Prism's errors."""
    slug = re.sub(r"[^a-z0-9]+", "-", Path(document.source).stem.lower()).strip("-") or "spec"
    prefixes = tuple(sorted({"/" + op.path.strip("/").split("/")[0]
                             for op in document.operations} | set(document.base_paths)))
    return Service(name=slug, title=document.title, spec_file=document.source,
                   prefixes=prefixes, handlers=None, error_shape=errors.prism_problem)


@dataclass
class MockApp:
    """The ASGI callable; ``cors`` False is Prism's ``--cors=false``."""

    mocker: Mocker
    services: tuple[Service, ...]
    cors: bool = True
    # --stateful: CRUD on the inferred collections (engine/stateful.py); None is stateless.
    stateful: Stateful | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await _lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1")
                   for k, v in scope.get("headers", [])}
        origin = headers.get("origin")
        if (self.cors and scope["method"] == "OPTIONS" and origin
                and "access-control-request-method" in headers):
            await _send(send, self._preflight(headers, origin))
            return
        body = await _read(receive)
        request = Request(scope["method"], scope["path"],
                          scope.get("query_string", b"").decode("latin-1"), headers, body)
        try:
            reply = self._answer(request)
        except Problem as problem:
            reply = _from_problem(problem)
        except Exception as exc:  # never a traceback on the wire
            log.exception("unexpected error on %s %s", request.method, request.path)
            reply = _from_problem(Problem(500, f"{type(exc).__name__}: {exc}", kind="UNKNOWN"))
        if self.cors:
            reply.headers += _cors_headers(origin)
        if not any(k.lower() == "content-length" for k, _ in reply.headers) and \
                reply.status >= 200 and reply.status != 204:
            reply.headers.append(("Content-Length", str(len(reply.body))))
        if request.method == "HEAD":
            reply.body = b""  # the GET's headers, Content-Length included, and no body
        await _send(send, reply)

    def _answer(self, request: Request) -> Reply:
        if self.stateful is None:
            return self.mocker.answer(request)
        if request.method == "GET" and request.path == "/__admin/collections":
            body = json.dumps(self.stateful.describe(), indent=2).encode()
            return Reply(200, [("Content-Type", "application/json")], body)
        return self.stateful.answer(request)

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


def create_mock_app(paths: list[Path] | list[str], options: Options,
                    cors: bool = True, *, stateful: bool = False,
                    store: Store | None = None) -> MockApp:
    """Load every spec (raises ``SpecError`` with one line on bad input) and build the app.

    ``stateful`` keeps records of the inferred collections in ``store`` (tenant
    ``default``; None: a memory store of this process).
    """
    documents = [load_document(path) for path in paths]
    mocker = Mocker(documents, options)
    layer = Stateful(mocker, store if store is not None else MemoryStore()) if stateful \
        else None
    return MockApp(mocker, tuple(service_for(d) for d in documents), cors, layer)


def serve_mock(app: MockApp, host: str, port: int, log_level: str,
               banner: Callable[[int], None], workers: int = 1,
               factory: Callable[[], MockApp] | None = None) -> None:
    """Bind first (a port in use is said before anything else), then serve ``app``.

    With ``workers`` > 1 each worker process builds its own app with ``factory``
    (the mock is stateless, so they need share nothing) on the one socket.
    """
    sock = bind(host, port)
    verbose = log_level == "debug"  # one access line per request
    if workers > 1 and factory is not None:
        config = uvicorn.Config(factory, factory=True, host=host, port=port, workers=workers,
                                log_level=log_level, access_log=verbose, lifespan="off")

        class Workers(Multiprocess):
            def init_processes(self) -> None:
                super().init_processes()
                if all(p.wait_until_ready(WORKER_START_SECONDS, self.should_exit)
                       for p in self.processes):
                    banner(sock.getsockname()[1])

        Workers(config, sockets=[sock]).run()
        return
    config = uvicorn.Config(app, host=host, port=port, log_level=log_level, access_log=verbose,
                            lifespan="off")
    server = uvicorn.Server(config)
    original_startup = server.startup

    async def startup(sockets: list[Any] | None = None) -> None:
        await original_startup(sockets)
        banner(sock.getsockname()[1])

    server.startup = startup  # type: ignore[method-assign]
    server.run(sockets=[sock])
