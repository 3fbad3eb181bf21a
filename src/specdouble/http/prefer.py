"""The ``Prefer`` header, Prism-compatible: ``code=N``, ``example=NAME``, ``dynamic=true``.

Decoded once per request at the edge. :class:`PreferMiddleware` sits twice
in the stack: before security (only forced 400/401/403 answer there, so QA
can force them without credentials) and after validation (every other
forced response, once auth and validation passed). A forced response never
reaches a handler, so it never changes state.
"""

from __future__ import annotations

from dataclasses import dataclass

from starlette.types import ASGIApp, Receive, Scope, Send

from specdouble.data.generator import GenerationError
from specdouble.data.responses import ChosenResponse, choose_response
from specdouble.http.middleware import send_problem
from specdouble.support.jsonparse import dumps
from specdouble.support.problems import Problem, bad_request
from specdouble.world import journal
from specdouble.world.runtime import get_runtime

EARLY_CODES = frozenset({400, 401, 403})


@dataclass(frozen=True)
class Preferences:
    code: int | None = None
    example: str | None = None
    dynamic: bool = False

    @property
    def forces(self) -> bool:
        return self.code is not None or self.example is not None or self.dynamic

    @property
    def applied(self) -> str:
        """The ``Preference-Applied`` value (RFC 7240): what was honoured."""
        parts = []
        if self.code is not None:
            parts.append(f"code={self.code}")
        if self.example is not None:
            parts.append(f"example={self.example}")
        if self.dynamic:
            parts.append("dynamic=true")
        return ", ".join(parts)


def parse_prefer(value: str | None) -> Preferences:
    """``code=404, example=notFound, dynamic=true`` -> Preferences (Prism's syntax).

    Unknown preferences are ignored, as RFC 7240 asks; malformed known ones are 400.
    """
    if not value:
        return Preferences()
    code: int | None = None
    example: str | None = None
    dynamic = False
    for part in value.replace(";", ",").split(","):
        key, _, raw = part.strip().partition("=")
        key, raw = key.strip().lower(), raw.strip().strip('"')
        if key == "code":
            if not raw.isdigit() or not 100 <= int(raw) <= 599:
                raise bad_request("Invalid Prefer header.",
                                  f"header.Prefer: code={raw!r} is not an HTTP status")
            code = int(raw)
        elif key == "example":
            if not raw:
                raise bad_request("Invalid Prefer header.", "header.Prefer: example needs a name")
            example = raw
        elif key == "dynamic":
            if raw.lower() not in {"true", "false"}:
                raise bad_request("Invalid Prefer header.",
                                  f"header.Prefer: dynamic={raw!r} is not true or false")
            dynamic = raw.lower() == "true"
    return Preferences(code, example, dynamic)


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key == name:
            return value.decode("latin-1")
    return None


def _operation_id(scope: Scope) -> str | None:
    return scope.get("extensions", {}).get("connexion_routing", {}).get("operation_id")


async def _send_chosen(send: Send, chosen: ChosenResponse, applied: str) -> None:
    headers = [(k.lower().encode("latin-1"), v.encode("latin-1"))
               for k, v in chosen.headers.items()]
    headers.append((b"preference-applied", applied.encode("latin-1")))
    body = b""
    if chosen.has_body and chosen.status != 204:
        body = dumps(chosen.body)
        headers.append((b"content-type", (chosen.media_type or "application/json").encode()))
    headers.append((b"content-length", str(len(body)).encode()))
    await send({"type": "http.response.start", "status": chosen.status, "headers": headers})
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
