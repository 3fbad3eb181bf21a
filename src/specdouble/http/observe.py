"""ASGI middleware that records every mocked request and applies fault rules.

:class:`JournalMiddleware` sits outermost (it sees 413s and faults too): it
finds the operation from the specs (method + path; routing has not run yet),
the tenant (the path's, else the bearer token's), captures bodies up to the
journal's limit and adds one entry when the answer is sent.
:class:`FaultMiddleware` sits inside CORS (so a browser sees a faulted
status) and before routing, security and validation: a fault never reaches
a handler, so it never changes state.

Dropping a connection needs the transport, which ASGI does not expose:
uvicorn's ``receive`` is a bound method of its request cycle, which holds it.
Without one (the in-process test client) a drop raises :class:`ConnectionDropped`.
"""

from __future__ import annotations

import asyncio
import socket
import struct
import time
from contextvars import ContextVar
from dataclasses import dataclass

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from specdouble.http.middleware import send_problem
from specdouble.spec.loader import Route
from specdouble.state.base import StoreUnavailable
from specdouble.support.clock import iso_millis, utc_now
from specdouble.support.problems import Problem
from specdouble.world import faults, journal
from specdouble.world.runtime import Runtime

ADMIN_PREFIX = "/__admin"
# Tooling, not traffic under test: never journaled.
_UNJOURNALED = (ADMIN_PREFIX, "/specs/", "/docs/")
_VALIDATION_STATUSES = (400, 415)


class ConnectionDropped(ConnectionError):
    """A fault dropped the connection where no transport could be closed."""


@dataclass
class Observation:
    """What the edge knows about the request in flight (shared by both middlewares)."""

    route: Route | None
    tenant: str | None
    receive: Receive
    fault: str | None = None
    dropped: bool = False


_observation: ContextVar[Observation | None] = ContextVar("specdouble_observation", default=None)


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key == name:
            return value.decode("latin-1")
    return None


def observe(runtime: Runtime, scope: Scope, receive: Receive) -> Observation:
    """Operation and tenant of the request, before routing."""
    path = scope.get("path", "/")
    found = runtime.operations.find(scope.get("method", "GET"), path)
    if found is not None and found[0].service == "admin":
        found = None
    route, params = (found[0], found[1]) if found else (None, {})
    tenant = params.get("tenant")
    if tenant is None:
        service = runtime.catalog.for_path(path)
        realm = service.realm if service and service.check_token else None
        auth = _header(scope, b"authorization") or ""
        if realm and auth[:7].lower() == "bearer ":
            try:
                tenant = runtime.tokens.resolve(realm.name, auth[7:].strip()).tenant
            except (Problem, StoreUnavailable):
                tenant = None
    return Observation(route, tenant, receive)


class _Capture:
    """Collects at most ``limit`` bytes of a body while counting all of it.

    ``declared`` (a request's ``Content-Length``) stands for the size of a body
    that was not read to its end: one refused before it was read.
    """

    def __init__(self, limit: int, declared: int | None = None) -> None:
        self.limit = limit
        self.size = 0
        self.chunks: list[bytes] = []
        self.kept = 0
        self.declared = declared
        self.complete = False

    def add(self, data: bytes, more: bool = False) -> None:
        self.size += len(data)
        self.complete = not more
        if self.kept < self.limit and data:
            piece = data[: self.limit - self.kept]
            self.chunks.append(piece)
            self.kept += len(piece)

    async def read_rest(self, receive: Receive) -> None:
        """Read what the app left unread, up to the limit (a refusal before the body)."""
        while not self.complete and self.kept < self.limit:
            message = await receive()
            if message["type"] != "http.request":
                return
            self.add(message.get("body", b""), message.get("more_body", False))

    def body(self) -> journal.Body:
        size = self.size if self.complete else max(self.size, self.declared or 0)
        if not size:
            return journal.Body(None, 0, False)
        text = b"".join(self.chunks).decode("utf-8", errors="replace")
        return journal.Body(text, size, size > self.kept)


def _declared_body(scope: Scope) -> int | None:
    """The request body's declared length; None when it has none (or sends it chunked)."""
    length = _header(scope, b"content-length")
    if length is None:
        return None
    try:
        return max(int(length), 0)
    except ValueError:
        return None


class JournalMiddleware:
    """Adds one journal entry per mocked request, with what inner layers marked."""

    def __init__(self, app: ASGIApp, runtime: Runtime) -> None:
        self.app = app
        self.runtime = runtime

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "/")
        if scope["type"] != "http" or path == "/" or path.startswith(_UNJOURNALED):
            await self.app(scope, receive, send)
            return
        log = self.runtime.journal
        seen = observe(self.runtime, scope, receive)
        marks = journal.Marks(operation_id=seen.route.operation_id if seen.route else None,
                              tenant=seen.tenant)
        declared = _declared_body(scope)
        request = _Capture(log.body_limit, declared)
        response = _Capture(log.body_limit)
        expects_body = bool(declared) or _header(scope, b"transfer-encoding") is not None
        status: int | None = None
        started_at, started = utc_now(), time.perf_counter()

        async def capturing_receive() -> Message:
            message = await receive()
            if message["type"] == "http.request":
                request.add(message.get("body", b""), message.get("more_body", False))
            return message

        async def capturing_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
                if status == 413:  # too large: left unread on purpose, shown as far as read
                    request.declared = None
                elif expects_body:  # refused before its body was read: record what was sent
                    await request.read_rest(receive)
            elif message["type"] == "http.response.body":
                response.add(message.get("body", b""))
            await send(message)

        token = _observation.set(seen)
        try:
            with journal.marking(marks):
                await self.app(scope, capturing_receive, capturing_send)
        except BaseException:
            if status is None and not seen.dropped:
                status = 500
            raise
        finally:
            _observation.reset(token)
            errors = list(marks.validation_errors)
            if status == 413 and not errors:
                errors = [f"body: larger than {self.runtime.settings.max_body} bytes"]
            entry = journal.Entry(
                id=0, time=iso_millis(started_at),
                method=scope.get("method", ""), path=path,
                query=scope.get("query_string", b"").decode("latin-1"),
                tenant=marks.tenant, operation_id=marks.operation_id,
                status=None if seen.dropped else status,
                duration_ms=round((time.perf_counter() - started) * 1000, 3),
                request=request.body(), response=response.body(),
                validation_errors=tuple(errors), forced=marks.forced, fault=seen.fault,
                response_violations=(None if marks.response_violations is None
                                     else tuple(marks.response_violations)),
            )
            journal.record(log, entry, self.runtime.settings.log_requests)


class FaultMiddleware:
    """Applies the first matching fault rule to a request for a mocked operation."""

    def __init__(self, app: ASGIApp, runtime: Runtime) -> None:
        self.app = app
        self.runtime = runtime

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "/")
        if scope["type"] != "http" or path.startswith(ADMIN_PREFIX):
            await self.app(scope, receive, send)
            return
        seen = _observation.get() or observe(self.runtime, scope, receive)
        route = seen.route
        # Only mocked operations read the rules (the index and docs work without Redis).
        rules = [] if route is None else self.runtime.faults.definitions()
        if route is None or not rules:
            await self.app(scope, receive, send)
            return
        rule = self.runtime.faults.pick(route.operation_id, scope.get("method", "GET"),
                                        path, seen.tenant, among=rules)
        if rule is None:
            await self.app(scope, receive, send)
            return
        seen.fault = rule.id
        if rule.delay_ms:
            await asyncio.sleep(rule.delay_ms / 1000)
        if rule.fault is not None or rule.status is not None:
            await _drain(receive)  # read the body, so the journal shows what was sent
        if rule.fault is not None:
            seen.dropped = True
            await drop_connection(seen.receive, reset=rule.fault == faults.CONNECTION_RESET)
            return
        if rule.status is not None:
            await send_problem(send, fault_problem(rule, route), path)
            return
        await self.app(scope, receive, send)


async def _drain(receive: Receive) -> None:
    while True:
        message = await receive()
        if message["type"] != "http.request" or not message.get("more_body", False):
            return


def fault_problem(rule: faults.FaultRule, route: Route) -> Problem:
    """The error a status fault answers, in the owning service's error shape."""
    return faults.fault_problem(rule, route.operation_id)


async def drop_connection(receive: Receive, reset: bool) -> None:
    """Close the client's connection without an answer (RST if ``reset``, else FIN)."""
    cycle = getattr(receive, "__self__", None)
    transport = getattr(cycle, "transport", None)
    if transport is None:
        raise ConnectionDropped("connection_reset" if reset else "empty_response")
    if reset:
        sock = transport.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        transport.abort()
    else:
        transport.close()
    # Let the server notice the disconnect, so it does not try to answer 500.
    for _ in range(100):
        if getattr(cycle, "disconnected", True):
            break
        await asyncio.sleep(0)
