"""One ASGI callable in front of the Connexion app: the whole request in one pass.

route -> fault check -> auth -> parameters and body -> Prefer -> handler ->
response -> journal, each a plain step. The fault check comes first, as the
Connexion stack's fault layer sits before its security and validation: a
delay, a status answered in the service's error shape, or a dropped
connection (closed by the edge's ``drop``), with the rule's id in the
journal. A request the plan cannot serve exactly as the Connexion app would
(a CORS request, a chunked or oversized body, an unexpected media type, an
unindexed or declined operation) is handed to the Connexion app untouched.
Every error body is rendered by the edge's one renderer (``http/errors.py``).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from specdouble.data.generator import GenerationError
from specdouble.data.responses import choose_response
from specdouble.engine.call import Call, Headers, current_call
from specdouble.engine.plan import JSON, OperationPlan, ParamPlan
from specdouble.engine.prefer import EARLY_CODES, Preferences, chosen_reply, parse_prefer
from specdouble.engine.routes import RouteIndex
from specdouble.engine.validate import coerce
from specdouble.support.clock import iso_millis, utc_now
from specdouble.support.jsonparse import JSONError, parse_json
from specdouble.support.problems import Problem
from specdouble.world import auth, faults, journal
from specdouble.world.catalog import TokenCheck
from specdouble.world.runtime import Runtime, reset_runtime, set_runtime

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]
RawHeaders = list[tuple[bytes, bytes]]
Reply = tuple[int, RawHeaders, bytes]

# Mirrors the body limit layer: more query parameters than this are its 400.
MAX_QUERY_PARAMS = 256
REFUSALS_KEPT = 256
MAX_REFUSAL_KEPT = 4096  # bytes: larger invalid bodies are checked every time
_TYPES: dict[str, Callable[[Any], Any]] = {"integer": int, "number": float}


@dataclass(frozen=True)
class Edge:
    """What the HTTP edge lends the pipeline: its error renderer, 500 wording and the
    closing of a client's connection (``drop(receive, reset)``, a fault rule's), which
    needs the server's transport. Without ``drop`` requests go to Connexion while any
    fault rule is defined."""

    render: Callable[[Problem, str], tuple[int, dict[str, str], bytes]]
    unexpected: Callable[[BaseException, str, str], Problem]
    vary_origin: bool = True
    drop: Callable[[Receive, bool], Awaitable[None]] | None = None


class Declined(Exception):
    """The request is left to the Connexion app."""


@dataclass
class _Request:
    method: str
    path: str
    headers: Headers
    query: list[tuple[str, str]]
    length: int


def _boolean(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    lowered = str(value).lower()
    if lowered in {"true", "false"}:
        return lowered == "true"
    raise ValueError("Invalid boolean value")


def _is_null(value: Any) -> bool:
    return value is None or (isinstance(value, str) and value.strip() in {"null", "None"})


def _typed(param: ParamPlan, value: Any) -> Any:
    """A query value as Connexion's URI parser types it (text when it does not read as one)."""
    if param.nullable and _is_null(value):
        return None
    convert = _boolean if param.kind == "boolean" else _TYPES.get(param.kind)
    if convert is None:
        return value
    try:
        return convert(value)
    except (ValueError, TypeError):
        return value


class Pipeline:
    """The compiled path; ``fallback`` is the Connexion app."""

    def __init__(self, routes: RouteIndex[OperationPlan], fallback: ASGIApp, runtime: Runtime,
                 edge: Edge) -> None:
        self.routes = routes
        self.fallback = fallback
        self.runtime = runtime
        self.edge = edge
        self.max_body = runtime.settings.max_body
        # A body's 400 is a pure function of its bytes: a client repeating an invalid body
        # (a retry loop) is answered without parsing and validating it again.
        self._refusals: dict[tuple[int, bytes], tuple[str, tuple[str, ...]]] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        found = self.routes.find(scope["method"], scope["path"]) \
            if scope["type"] == "http" else None
        request = self._admit(scope, found[0]) if found is not None else None
        if found is None or request is None:
            await self.fallback(scope, receive, send)
            return
        await self.serve(found[0], found[1], request, scope, receive, send)

    def _admit(self, scope: Scope, plan: OperationPlan) -> _Request | None:
        """The request, decoded, if this path serves it exactly; None to decline."""
        if plan.declined is not None:
            return None
        headers = Headers()
        for key, value in scope["headers"]:
            name = key.decode("latin-1")
            if name not in headers:
                headers[name] = value.decode("latin-1")
        if "origin" in headers or "transfer-encoding" in headers:
            return None
        try:
            length = int(headers.get("content-length") or 0)
        except ValueError:
            return None
        content_type = headers.get("content-type")
        if plan.body is None:
            if length or content_type is not None:
                return None
        elif length > self.max_body or content_type is None or content_type.lower() != JSON:
            return None  # a 413, a missing type's 400 or a 415 are the Connexion stack's
        raw_query = scope.get("query_string", b"")
        if raw_query.count(b"&") >= MAX_QUERY_PARAMS:
            return None
        if self.edge.drop is None and self.runtime.faults.definitions():
            return None
        query = parse_qsl(raw_query.decode("latin-1"), keep_blank_values=True)
        return _Request(scope["method"], scope["path"], headers, query, length)

    async def serve(self, plan: OperationPlan, path_values: dict[str, str], request: _Request,
                    scope: Scope, receive: Receive, send: Send) -> None:
        runtime = self.runtime
        marks = journal.Marks(operation_id=plan.operation_id,
                              tenant=path_values.get("tenant") or self._token_tenant(request))
        started_at, started = utc_now(), time.perf_counter()
        rule = self._fault(plan, request, marks.tenant)
        runtime_token = set_runtime(runtime)
        raw = b""
        status: int | None = None
        reply: Reply | None = None
        dropped = False
        try:
            with journal.marking(marks):
                if rule is not None and rule.delay_ms:
                    await asyncio.sleep(rule.delay_ms / 1000)
                raw = await _read(receive) if request.length else b""
                dropped, reply = await self._faulted(rule, plan.operation_id, request, receive)
                if dropped and reply is None:
                    return
                if reply is None:
                    reply = await self._answer(plan, path_values, request, raw)
            status = reply[0]
            await self._send(send, reply)
        except BaseException:
            if status is None:
                status = 500
            raise
        finally:
            reset_runtime(runtime_token)
            # a dropped request has no status in the journal, whatever was sent
            self._journal(request, scope, marks, None if dropped else status, raw, reply,
                          started_at, started, None if rule is None else rule.id)

    async def _faulted(self, rule: faults.FaultRule | None, operation_id: str,
                       request: _Request, receive: Receive) -> tuple[bool, Reply | None]:
        """(dropped, answer) of the fault rule: a status fault's answer, a dropped
        connection, or (False, None) to serve the request (no rule, or a delay only)."""
        if rule is None:
            return False, None
        if rule.fault is not None and self.edge.drop is not None:
            try:
                await self.edge.drop(receive, rule.fault == faults.CONNECTION_RESET)
                return True, None
            except Exception as exc:  # no transport (an in-process client): Connexion's 500
                problem = self.edge.unexpected(exc, request.method, request.path)
                return True, self._problem(problem, request.path)
        if rule.status is not None:
            return False, self._problem(faults.fault_problem(rule, operation_id), request.path)
        return False, None

    def _fault(self, plan: OperationPlan, request: _Request,
               tenant: str | None) -> faults.FaultRule | None:
        """The fault rule this request gets, if any (counted down, as the fault layer does)."""
        rules = self.runtime.faults.definitions()
        if not rules:
            return None
        return self.runtime.faults.pick(plan.operation_id, request.method, request.path, tenant,
                                        among=rules)

    def _token_tenant(self, request: _Request) -> str | None:
        """The bearer token's tenant, as the journal finds it before routing."""
        service = self.runtime.catalog.for_path(request.path)
        realm = service.realm if service and service.check_token else None
        value = request.headers.get("authorization") or ""
        if realm is None or value[:7].lower() != "bearer ":
            return None
        try:
            return self.runtime.tokens.resolve(realm.name, value[7:].strip()).tenant
        except Problem:
            return None

    async def _answer(self, plan: OperationPlan, path_values: dict[str, str],
                      request: _Request, raw: bytes) -> Reply:
        try:
            prefs = parse_prefer(request.headers.get("prefer")) \
                if "prefer" in request.headers else Preferences()
            if prefs.forces and prefs.code in EARLY_CODES:
                return self._forced(plan, prefs)
            principal = self._authenticate(plan, path_values, request)
            kwargs = self._parameters(plan, path_values, request)
            if plan.body is not None:
                body = self._body(plan, raw)
                if plan.source.body_argument in plan.source.arguments:
                    kwargs[plan.source.body_argument] = body
            if prefs.forces:
                return self._forced(plan, prefs)
            call_token = current_call.set(Call(request.headers, principal))
            try:
                assert plan.source.invoke is not None
                return await plan.source.invoke(kwargs)
            finally:
                current_call.reset(call_token)
        except Problem as problem:
            return self._problem(problem, request.path)
        except Exception as exc:  # the documented 500, as the Connexion app answers it
            return self._problem(self.edge.unexpected(exc, request.method, request.path),
                                 request.path)

    def _forced(self, plan: OperationPlan, prefs: Preferences) -> Reply:
        operation, root = self.runtime.operation(plan.operation_id)
        try:
            chosen = choose_response(operation, root, self.runtime.generator, status=prefs.code,
                                     example=prefs.example, dynamic=prefs.dynamic)
        except GenerationError as error:
            raise Problem(500, "The mock could not generate a body for this response.",
                          [f"schema: {error}"]) from None
        journal.mark(forced=True)
        return chosen_reply(chosen, prefs.applied)

    def _authenticate(self, plan: OperationPlan, path_values: dict[str, str],
                      request: _Request) -> auth.Principal | None:
        """The bearer token of the path's service, resolved and checked (Connexion's wording)."""
        if plan.bearer_scopes is None:
            return None
        value = request.headers.get("authorization")
        if not value:
            raise Problem(401, "No authorization token provided", kind=auth.INVALID_TOKEN)
        parts = value.split(maxsplit=1)
        if len(parts) != 2:
            raise Problem(401, "Invalid authorization header", kind=auth.INVALID_TOKEN)
        if parts[0].lower() != "bearer":
            raise Problem(401, "No authorization token provided", kind=auth.INVALID_TOKEN)
        service = self.runtime.catalog.for_path(request.path)
        if service is None or service.realm is None:
            raise Problem(401, "No token realm serves this path.", kind=auth.INVALID_TOKEN)
        principal = self.runtime.tokens.resolve(service.realm.name, parts[1])
        if service.check_token is not None:
            service.check_token(principal, TokenCheck(plan.bearer_scopes, dict(path_values),
                                                      request.headers))
        return principal

    def _parameters(self, plan: OperationPlan, path_values: dict[str, str],
                    request: _Request) -> dict[str, Any]:
        """The handler's arguments from path and query; every invalid parameter is one 400."""
        query = dict(request.query)
        details: list[str] = []
        kwargs: dict[str, Any] = {}
        arguments = plan.source.arguments
        for location in ("path", "query", "header"):
            for param in plan.params:
                if param.location != location:
                    continue
                value = self._value(param, path_values, query, request.headers)
                details.extend(_check(param, value))
                if location == "header" or param.argument not in arguments:
                    continue
                if value is None and location == "query" and param.has_default:
                    value = _typed(param, param.default)
                if value is not None or location == "path":
                    kwargs[param.argument] = value
        if details:
            journal.mark(validation_errors=details)
            raise Problem(400, "The request parameters are invalid.", details)
        return kwargs

    @staticmethod
    def _value(param: ParamPlan, path_values: dict[str, str], query: dict[str, str],
               headers: Headers) -> Any:
        if param.location == "path":
            value: Any = path_values.get(param.name)
            return None if param.nullable and _is_null(value) else value
        if param.location == "query":
            raw = query.get(param.name)
            return None if raw is None else _typed(param, raw)
        return coerce(headers.get(param.name), param.check.schema)

    def _body(self, plan: OperationPlan, raw: bytes) -> Any:
        assert plan.body is not None
        if not raw.strip():
            if plan.body.required or raw:
                _invalid("The request body is required.", ["body: is required"])
            return dict(plan.body.default)
        key = (id(plan), raw)  # plans live as long as the pipeline
        refused = self._refusals.get(key)
        if refused is not None:
            _invalid(refused[0], list(refused[1]))
        try:
            return _parsed_body(plan, raw)
        except Problem as problem:
            if len(raw) <= MAX_REFUSAL_KEPT:
                if len(self._refusals) >= REFUSALS_KEPT:
                    self._refusals.clear()
                self._refusals[key] = (problem.message, tuple(problem.details))
            raise

    def _problem(self, problem: Problem, path: str) -> Reply:
        status, headers, body = self.edge.render(problem, path)
        raw = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers.items()]
        raw.append((b"content-length", str(len(body)).encode()))
        return status, raw, body

    async def _send(self, send: Send, reply: Reply) -> None:
        status, headers, body = reply
        if self.edge.vary_origin:
            headers = [*headers, (b"vary", b"Origin")]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    def _journal(self, request: _Request, scope: Scope, marks: journal.Marks,
                 status: int | None, raw: bytes, reply: Reply | None, started_at: Any,
                 started: float, fault: str | None) -> None:
        log = self.runtime.journal
        entry = journal.Entry(
            id=0, time=iso_millis(started_at), method=request.method, path=request.path,
            query=scope.get("query_string", b"").decode("latin-1"),
            tenant=marks.tenant, operation_id=marks.operation_id, status=status,
            duration_ms=round((time.perf_counter() - started) * 1000, 3),
            request=journal.Body.of(raw, log.body_limit),
            response=journal.Body.of(reply[2] if reply else b"", log.body_limit),
            validation_errors=tuple(marks.validation_errors), forced=marks.forced,
            fault=fault, response_violations=None,
        )
        journal.record(log, entry, self.runtime.settings.log_requests)


def _check(param: ParamPlan, value: Any) -> list[str]:
    """``<where>.<name>: <why>`` for each error of one parameter (the Connexion path's words)."""
    where = f"{param.location}.{param.name}"
    # An empty query or path value is no value; a header sent empty is present.
    if value is None or (value == "" and param.location != "header" and param.required):
        return [f"{where}: is required"] if param.required else []
    if param.nullable and _is_null(value):
        return []
    return [f"{where}: {message}" for message in param.check.messages(value)]


def _parsed_body(plan: OperationPlan, raw: bytes) -> Any:
    """The JSON body, or the 400 that says every way it is invalid."""
    assert plan.body is not None
    try:
        body = parse_json(raw)
    except JSONError as err:
        _invalid(str(err), [f"body: {err.message} (line {err.line}, column {err.column})"])
    if body is None:
        _invalid("The request body is required.", ["body: is required"])
    details = plan.body.check.body_errors(body)
    if details:
        _invalid("The request body is invalid.", details)
    return body


def _invalid(message: str, details: list[str]) -> None:
    journal.mark(validation_errors=details)
    raise Problem(400, message, details)


async def _read(receive: Receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(chunks)
