"""The ``Prefer`` header, Prism-compatible: ``code=N``, ``example=NAME``, ``dynamic=true``.

Decoded once per request at the edge. :class:`PreferMiddleware` sits twice
in the stack: before security (only forced 400/401/403 answer there, so QA
can force them without credentials) and after validation (every other
forced response, once auth and validation passed). A forced response never
reaches a handler, so it never changes state.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send

from specdouble.data.generator import GenerationError
from specdouble.data.responses import ChosenResponse, choose_response
from specdouble.engine.prefer import EARLY_CODES, chosen_reply, parse_prefer
from specdouble.http.middleware import send_problem
from specdouble.support.problems import Problem
from specdouble.world import journal
from specdouble.world.runtime import get_runtime


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key == name:
            return value.decode("latin-1")
    return None


def _operation_id(scope: Scope) -> str | None:
    return scope.get("extensions", {}).get("connexion_routing", {}).get("operation_id")


async def _send_chosen(send: Send, chosen: ChosenResponse, applied: str) -> None:
    status, headers, body = chosen_reply(chosen, applied)
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class PreferMiddleware:
    """Answers a forced response instead of calling the handler.

    ``early=True`` is the instance before security: it answers only forced
    400/401/403. The other answers everything else that is forced.
    """

    def __init__(self, app: ASGIApp, early: bool) -> None:
        self.app = app
        self.early = early

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        raw = _header(scope, b"prefer") if scope["type"] == "http" else None
        operation_id = _operation_id(scope) if raw else None
        if not raw or operation_id is None:
            await self.app(scope, receive, send)
            return
        try:
            prefs = parse_prefer(raw)
            if not prefs.forces or self.early != (prefs.code in EARLY_CODES):
                await self.app(scope, receive, send)
                return
            runtime = get_runtime()
            operation, root = runtime.operation(operation_id)
            chosen = choose_response(operation, root, runtime.generator, status=prefs.code,
                                     example=prefs.example, dynamic=prefs.dynamic)
        except Problem as problem:
            await send_problem(send, problem, scope.get("path", "/"))
            return
        except GenerationError as error:
            failure = Problem(500, "The mock could not generate a body for this response.",
                              [f"schema: {error}"])
            await send_problem(send, failure, scope.get("path", "/"))
            return
        journal.mark(forced=True)
        await _send_chosen(send, chosen, prefs.applied)
