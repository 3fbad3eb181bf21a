"""The compiled request path, fed from what Connexion loaded, installed in front of it.

Connexion stays the loader, resolver and fallback: each mounted API's
:class:`~connexion.spec.Specification` is walked through Connexion's own
``OpenAPIOperation`` (effective security, parameters, resolved handler,
pythonic argument names), and the engine compiles its plan from that.
Handlers return ``ConnexionResponse``; :func:`_invoke` turns one into the
bytes Starlette would send. :class:`DifferentialFront` runs requests both
ways and reports any difference.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

from connexion import AsyncApp
from connexion.decorators.parameter import pythonic
from connexion.lifecycle import ConnexionResponse
from connexion.operations import OpenAPIOperation
from connexion.utils import inspect_function_arguments

from specdouble.engine.pipeline import Edge, Pipeline, Reply
from specdouble.engine.plan import Invoke, OperationPlan, OperationSource, compile_operation
from specdouble.engine.routes import RouteIndex
from specdouble.http import errors
from specdouble.http.observe import drop_connection
from specdouble.http.validation import compiled as reference_validator
from specdouble.spec.loader import HTTP_METHODS
from specdouble.state.select import is_shared
from specdouble.world.runtime import Runtime

log = logging.getLogger("specdouble.engine")

ADMIN_PREFIX = "/__admin"


def _invoke(function: Callable[..., Any]) -> Invoke:
    """The handler as the pipeline calls it: kwargs in, (status, headers, body) out."""

    async def invoke(kwargs: dict[str, Any]) -> Reply:
        response = function(**kwargs)
        while asyncio.iscoroutine(response):
            response = await response
        assert isinstance(response, ConnexionResponse), "handlers return ConnexionResponse"
        return _reply(response)

    return invoke


def _reply(response: ConnexionResponse) -> Reply:
    """Status, raw headers and body as the Connexion app sends a handler's response."""
    body = response.body if isinstance(response.body, bytes) else \
        str(response.body or "").encode()
    headers: list[tuple[bytes, bytes]] = []
    content_type = response.content_type or response.mimetype
    given = dict(response.headers or {})
    if content_type and response.status_code != 204 and \
            not any(k.lower() == "content-type" for k in given):
        headers.append((b"content-type", content_type.encode("latin-1")))
    headers += [(k.lower().encode("latin-1"), str(v).encode("latin-1")) for k, v in given.items()]
    if response.status_code != 204 and not 100 <= response.status_code < 200:
        headers.append((b"content-length", str(len(body)).encode()))
    return response.status_code, headers, body


def _service_of(runtime: Runtime, path: str) -> str:
    service = runtime.catalog.for_path(path)
    return service.name if service is not None else ""


def operation_sources(app: AsyncApp, runtime: Runtime) -> list[OperationSource]:
    """Every operation Connexion mounted, described from its own parsed operation."""
    sources = []
    for api in app.middleware.apis:
        spec = api.specification
        base = api.base_path or ""
        resolver = api.kwargs["resolver"]
        for path, item in spec["paths"].items():
            for method in HTTP_METHODS:
                if method not in item:
                    continue
                operation = OpenAPIOperation.from_spec(spec, path=path, method=method,
                                                       resolver=resolver)
                sources.append(_source(operation, base + path, runtime))
    return sources


def _source(operation: OpenAPIOperation, full_path: str, runtime: Runtime) -> OperationSource:
    function = operation.function
    arguments, has_kwargs = inspect_function_arguments(function)
    service = runtime.catalog.for_path(full_path)
    mocked = service is not None and not service.internal and \
        not full_path.startswith(ADMIN_PREFIX)
    return OperationSource(
        operation_id=operation.operation_id,
        service=service.name if service is not None else "",
        method=operation.method.upper(),
        path=full_path,
        parameters=tuple(operation.parameters),
        argument_names={p["name"]: pythonic(p["name"]) for p in operation.parameters},
        request_body=operation.request_body,
        consumes=tuple(operation.consumes) if operation.request_body else (),
        security=tuple(operation.security or ()),
        security_schemes=operation.security_schemes or {},
        invoke=_invoke(function) if mocked else None,
        arguments=frozenset(arguments),
        has_kwargs=has_kwargs,
        body_argument=pythonic(operation.body_name("application/json")),
    )


def build_pipeline(app: AsyncApp, runtime: Runtime) -> Pipeline:
    routes: RouteIndex[OperationPlan] = RouteIndex()
    for source in operation_sources(app, runtime):
        plan = compile_operation(source, reference_validator)
        if plan.declined:
            log.debug("%s is served by Connexion: %s", source.operation_id, plan.declined)
        routes.add(source.method, source.path, plan)
    edge = Edge(render=errors.render, unexpected=errors.unexpected_problem,
                vary_origin=True, drop=drop_connection)
    return Pipeline(routes, app.middleware, runtime, edge)


def engine_applies(runtime: Runtime) -> str | None:
    """Why the compiled path stays off for this server (None: it serves)."""
    if runtime.settings.check_responses:
        return "--check-responses checks every answer in the Connexion stack"
    if is_shared(runtime.store):
        return "a shared store replays conflicting requests in the Connexion stack"
    return None


def install(app: AsyncApp, runtime: Runtime) -> None:
    """Put the compiled path in front of the Connexion app (per the settings)."""
    settings = runtime.settings
    if settings.engine != "compiled":
        return
    why_not = engine_applies(runtime)
    if why_not is not None:
        log.info("compiled request path off: %s", why_not)
        return
    pipeline = build_pipeline(app, runtime)
    if settings.differential:
        from specdouble.http.differential import DifferentialFront

        app.middleware = DifferentialFront(pipeline, runtime)
    else:
        app.middleware = pipeline
    app.pipeline = pipeline
