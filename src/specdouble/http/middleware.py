"""ASGI middleware that must see every request, before Connexion routes it."""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from specdouble.http.errors import render
from specdouble.http.runtime import Runtime, reset_runtime, set_runtime
from specdouble.problems import Problem


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
    """413 for bodies over ``max_body`` bytes, without reading the rest into memory.

    A declared ``Content-Length`` over the limit is refused before any byte is
    read; a chunked body is counted as it streams and refused at the limit.
    """

    def __init__(self, app: ASGIApp, max_body: int) -> None:
        self.app = app
        self.max_body = max_body

    def _problem(self) -> Problem:
        return Problem(413, f"The request body exceeds the limit of {self.max_body} bytes.",
                       [f"body: larger than {self.max_body} bytes"])

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope.get("path", "/")
        for name, value in scope.get("headers", []):
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = 0
                if declared > self.max_body:
                    await send_problem(send, self._problem(), path)
                    return
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
