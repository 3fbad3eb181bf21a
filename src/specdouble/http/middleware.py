"""ASGI middleware that must see every request, before Connexion routes it."""

from __future__ import annotations

import logging
import re

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from specdouble.http.errors import render
from specdouble.support.problems import Problem
from specdouble.world import journal
from specdouble.world.runtime import Runtime, reset_runtime, set_runtime

log = logging.getLogger("specdouble.spec.conformance")

# Connexion gathers query parameters with one scan of all of them per distinct
# name (quadratic: 4,000 names cost seconds); no client of these APIs sends more.
MAX_QUERY_PARAMS = 256


class RuntimeMiddleware:
    """Makes this app's :class:`Runtime` visible to handlers and security functions."""

    def __init__(self, app: ASGIApp, runtime: Runtime) -> None:
        self.app = app
        self.runtime = runtime

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        token = set_runtime(self.runtime)
        try:
            await self.app(scope, receive, send)
        finally:
            reset_runtime(token)


async def send_problem(send: Send, problem: Problem, path: str) -> None:
    """Answer ``problem`` directly from middleware (outside Connexion's handlers)."""
    status, headers, body = render(problem, path)
    raw_headers = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers.items()]
    raw_headers.append((b"content-length", str(len(body)).encode()))
    await send({"type": "http.response.start", "status": status, "headers": raw_headers})
    await send({"type": "http.response.body", "body": body})


class BodyLimitMiddleware:
    """413 for bodies over ``max_body`` bytes, without reading the rest into memory;
    400 for more than :data:`MAX_QUERY_PARAMS` query parameters.

    A declared ``Content-Length`` over the limit is refused before any byte is
    read. A chunked body (no ``Content-Length``) is read here, counted as it
    streams and refused as soon as it passes the limit; one within the limit is
    handed on with its length declared, because Connexion's body validators
    look only at ``Content-Length`` and would otherwise take it for no body.
    """

    def __init__(self, app: ASGIApp, max_body: int) -> None:
        self.app = app
        self.max_body = max_body

    def _problem(self) -> Problem:
        return Problem(413, f"The request body exceeds the limit of {self.max_body} bytes.",
                       [f"body: larger than {self.max_body} bytes"])

    async def _read_chunked(self, receive: Receive) -> bytes | None:
        """The whole body, or None as soon as it passes the limit (the rest stays unread)."""
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                break  # the client went away; the app sees an empty body
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body:
                return None
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        return b"".join(chunks)

    async def _declared_within_limit(
        self, scope: Scope, receive: Receive
    ) -> tuple[Scope, Receive] | None:
        """The request as the app reads it; None when its declared length is too large.

        A chunked body is read here, up to the limit, and handed on with its length.
        """
        headers = scope.get("headers", [])
        for name, value in headers:
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = 0
                return None if declared > self.max_body else (scope, receive)
        if any(name == b"transfer-encoding" for name, _ in headers):
            body = await self._read_chunked(receive)
            if body is None:
                return None
            return _with_body(scope, receive, body)
        return scope, receive

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope.get("path", "/")
        too_many = _too_many_query_params(scope.get("query_string", b""))
        if too_many is not None:
            journal.mark(validation_errors=too_many.details)
            await send_problem(send, too_many, path)
            return
        within = await self._declared_within_limit(scope, receive)
        if within is None:
            await send_problem(send, self._problem(), path)
            return
        scope, receive = within
        received = 0
        started = False
        too_large = self._problem()

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body:
                    # A Problem: if raised inside Connexion its handlers render it.
                    raise too_large
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except Problem as problem:
            if problem is not too_large or started:
                raise
            await send_problem(send, problem, path)


def _with_body(scope: Scope, receive: Receive, body: bytes) -> tuple[Scope, Receive]:
    """``scope`` declaring ``body``'s length instead of chunked encoding, and a
    ``receive`` that yields ``body`` once, then whatever the client sends next."""
    headers = [(k, v) for k, v in scope.get("headers", []) if k != b"transfer-encoding"]
    headers.append((b"content-length", str(len(body)).encode()))
    pending: list[Message] = [{"type": "http.request", "body": body, "more_body": False}]

    async def replay() -> Message:
        if pending:
            return pending.pop()
        return await receive()

    return {**scope, "headers": headers}, replay


def _too_many_query_params(query: bytes) -> Problem | None:
    count = sum(1 for pair in query.split(b"&") if pair)
    if count <= MAX_QUERY_PARAMS:
        return None
    return Problem(400, "The request has too many query parameters.",
                   [f"query: {count} parameters, more than the limit of {MAX_QUERY_PARAMS}"])


class ResponseCheckMiddleware:
    """``--check-responses``: each answer of a documented operation checked against its spec.

    The whole response is held back until checked (this costs a buffer and a
    validation per request, hence off by default); a violation is logged and
    noted in the journal entry, and the response is still sent as it was.
    """

    def __init__(self, app: ASGIApp, runtime: Runtime) -> None:
        self.app = app
        self.runtime = runtime

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        held: list[Message] = []

        async def holding_send(message: Message) -> None:
            held.append(message)

        try:
            await self.app(scope, receive, holding_send)
        finally:
            start = next((m for m in held if m["type"] == "http.response.start"), None)
            if start is not None:
                self._check(scope, start, b"".join(m.get("body", b"") for m in held
                                                   if m["type"] == "http.response.body"))
            for message in held:
                await send(message)

    def _check(self, scope: Scope, start: Message, body: bytes) -> None:
        headers = {k.decode("latin-1").lower(): v.decode("latin-1")
                   for k, v in start.get("headers", [])}
        method, path = scope.get("method", "GET"), scope.get("path", "/")
        violations = self.runtime.checker.check(method, path, int(start["status"]), headers, body)
        if violations is None:
            return
        journal.mark(response_violations=violations)
        if violations:
            log.warning("response of %s %s (%s) violates its spec: %s", method, path,
                        start["status"], "; ".join(violations))


_SLASHED = ("/", "/__admin/")


class NoSlashRedirectMiddleware:
    """A path with a trailing slash is an unknown path: a JSON 404, never a 307.

    Connexion's router would redirect ``/<service>/acme/events/`` to the path
    without the slash, an answer no spec declares; the real APIs have no such
    paths. The documentation pages (``/docs/<spec>/``) and the console
    (``/__admin/``) keep their slash.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "/") if scope["type"] == "http" else "/"
        if path in _SLASHED or not path.endswith("/") or path.startswith("/docs/"):
            await self.app(scope, receive, send)
            return
        await send_problem(send, Problem(404, f"No operation is mocked at {path}."), path)


# RFC 9110 section 8.3.1: media-type = type "/" subtype *( OWS ";" OWS parameter ), where
# type, subtype and parameter names are case-insensitive tokens and a value is a token or
# a quoted-string.
_TOKEN = r"[!#$%&'*+.^_`|~0-9A-Za-z-]+"
_QUOTED = r'"(?:[^"\\]|\\.)*"'
_MEDIA_TYPE = re.compile(rf"({_TOKEN})/({_TOKEN})")
_PARAMETER = re.compile(rf"[ \t]*;[ \t]*(?:({_TOKEN})=({_TOKEN}|{_QUOTED}))?")


def parse_media_type(value: str) -> tuple[str, list[tuple[str, str]]] | None:
    """``type/subtype`` in lower case and its parameters (names lower-cased), or None.

    ``Application/JSON ; Charset="utf-8"`` is ``("application/json", [("charset",
    '"utf-8"')])``; a value that is no media type is None.
    """
    value = value.strip(" \t")
    match = _MEDIA_TYPE.match(value)
    if match is None:
        return None
    parameters = []
    position = match.end()
    while position < len(value):
        parameter = _PARAMETER.match(value, position)
        if parameter is None or parameter.end() == position:
            return None
        if parameter.group(1):
            parameters.append((parameter.group(1).lower(), parameter.group(2)))
        position = parameter.end()
    return f"{match.group(1)}/{match.group(2)}".lower(), parameters


class ContentTypeMiddleware:
    """Media types as RFC 9110 has them, before Connexion picks a body parser.

    Connexion matches ``Content-Type`` case-sensitively and hands a body without
    one to the handler as raw bytes (a 500). Here a body with no ``Content-Type``,
    or one that is no media type, is the service's 400 naming
    ``header.Content-Type``; any other value is rewritten in canonical form
    (lower-case type, subtype and parameter names), so ``application/JSON`` is
    JSON and an unsupported type gets Connexion's 415.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = scope.get("headers", [])
        given = [v.decode("latin-1") for k, v in headers if k == b"content-type"]
        problem = None
        if not given:
            if _has_body(headers):
                problem = Problem(400, "The request has a body but no Content-Type header.",
                                  ["header.Content-Type: is required with a request body"])
        else:
            parsed = parse_media_type(given[0])
            if parsed is None or len(given) > 1:
                problem = Problem(400, "The Content-Type header is not a media type.", [
                    f"header.Content-Type: {', '.join(given)!r} is not one media type "
                    "(type/subtype, then optional ; name=value parameters)"])
            else:
                canonical = "".join([parsed[0], *(f"; {k}={v}" for k, v in parsed[1])])
                scope = {**scope, "headers": [
                    (k, canonical.encode("latin-1") if k == b"content-type" else v)
                    for k, v in headers]}
        if problem is not None:
            journal.mark(validation_errors=problem.details)
            await send_problem(send, problem, scope.get("path", "/"))
            return
        await self.app(scope, receive, send)


def _has_body(headers: list[tuple[bytes, bytes]]) -> bool:
    for name, value in headers:
        if name == b"transfer-encoding":
            return True
        if name == b"content-length":
            return value.strip() not in (b"", b"0")
    return False
