"""The operation plan: each operation Connexion loaded, compiled once at start-up.

The HTTP edge describes every operation as an :class:`OperationSource` (what
Connexion parsed and resolved: parameters, body, security requirement,
handler and the names it takes). :func:`compile_operation` turns one into an
:class:`OperationPlan`: schema checks compiled, defaults and argument names
fixed, the security requirement reduced to "a bearer token of this service,
with these scopes". An operation whose shape the pipeline does not decode
exactly like Connexion gets ``declined`` set and is always served by the
Connexion app.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from specdouble.engine.validate import Reference, SchemaCheck

PRIMITIVES = frozenset({"string", "integer", "number", "boolean"})
JSON = "application/json"

# (operation kwargs) -> (status, raw headers, body): the edge's adapter of a handler.
Invoke = Callable[[dict[str, Any]], Awaitable[tuple[int, list[tuple[bytes, bytes]], bytes]]]
# (schema, "parameter" | "body") -> the reference validator of the Connexion path.
ReferenceFactory = Callable[[dict[str, Any], str], Reference]


@dataclass(frozen=True)
class OperationSource:
    """One operation as Connexion resolved it (plain data handed in by the HTTP edge)."""

    operation_id: str
    service: str
    method: str  # upper case
    path: str  # the full template, base path included
    parameters: tuple[dict[str, Any], ...]
    # Parameter name -> the handler argument Connexion passes it as.
    argument_names: Mapping[str, str]
    request_body: Mapping[str, Any]
    consumes: tuple[str, ...]
    # The effective requirement: [{scheme name: [scopes]}, ...] and the schemes.
    security: tuple[Mapping[str, list[str]], ...]
    security_schemes: Mapping[str, Mapping[str, Any]]
    invoke: Invoke | None
    arguments: frozenset[str]
    has_kwargs: bool
    body_argument: str = "body"


@dataclass(frozen=True)
class ParamPlan:
    name: str
    location: str  # path, query or header
    required: bool
    kind: str  # the schema's primitive type
    check: SchemaCheck
    argument: str
    default: Any = None
    has_default: bool = False
    nullable: bool = False
    header_key: str = ""  # the header's name, lower case


@dataclass(frozen=True)
class BodyPlan:
    required: bool
    check: SchemaCheck
    default: Any


@dataclass(frozen=True)
class OperationPlan:
    source: OperationSource
    params: tuple[ParamPlan, ...] = ()
    body: BodyPlan | None = None
    # None: no security; else the scopes a bearer token of the path's service needs.
    bearer_scopes: tuple[str, ...] | None = None
    declined: str | None = None  # why the Connexion app serves it
    path_params: tuple[ParamPlan, ...] = field(default=())

    @property
    def operation_id(self) -> str:
        return self.source.operation_id


# Arguments Connexion fills from its request context, not from the request.
_CONTEXT_ARGUMENTS = frozenset({"user", "token_info", "context_"})


def _declined(source: OperationSource, why: str) -> OperationPlan:
    return OperationPlan(source, declined=why)


def _param_plan(param: dict[str, Any], source: OperationSource,
                reference: ReferenceFactory) -> ParamPlan | str:
    """The plan of one parameter, or why it is not decoded here."""
    schema = param.get("schema")
    location = param.get("in", "")
    if not isinstance(schema, dict) or schema.get("type") not in PRIMITIVES:
        return f"parameter {param.get('name')} is not a primitive"
    if location not in {"path", "query", "header"}:
        return f"parameter {param.get('name')} is in {location}"
    if "style" in param or "explode" in param or "content" in param:
        return f"parameter {param.get('name')} has a style"
    if schema.get("nullable") or param.get("x-nullable"):
        return f"parameter {param.get('name')} is nullable"
    if location == "path" and (schema.get("type") != "string" or "-" in str(param["name"])):
        return f"path parameter {param.get('name')} is typed"
    name = str(param["name"])
    return ParamPlan(
        name=name, location=location, required=bool(param.get("required")),
        kind=str(schema["type"]),
        check=SchemaCheck(schema, lambda: reference(schema, "parameter")),
        argument=source.argument_names.get(name, name),
        default=param.get("default", schema.get("default")),
        has_default="default" in param or "default" in schema,
        nullable=bool(schema.get("nullable") or param.get("x-nullable")),
        header_key=name.lower(),
    )


def _bearer_scopes(source: OperationSource) -> tuple[str, ...] | str | None:
    """The scopes of a one-scheme bearer requirement; None without security; else why not."""
    if not source.security:
        return None
    if len(source.security) != 1 or len(source.security[0]) != 1:
        return "a security requirement with several schemes"
    (scheme_name, scopes), = source.security[0].items()
    scheme = source.security_schemes.get(scheme_name, {})
    kind = scheme.get("type")
    if kind == "http":
        kind = str(scheme.get("scheme", "")).lower()
    if kind not in {"oauth2", "bearer"}:
        return f"security scheme {scheme_name} is {kind}"
    return tuple(scopes or ())


def _body_plan(source: OperationSource, reference: ReferenceFactory) -> BodyPlan | str | None:
    content = source.request_body.get("content") or {}
    if not content:
        return None
    if list(content) != [JSON] or list(source.consumes) != [JSON]:
        return f"request body of {', '.join(content)}"
    schema = content[JSON].get("schema") or {}
    if schema.get("nullable") or schema.get("x-nullable") or "default" in schema:
        return "a nullable or defaulted request body"
    return BodyPlan(required=bool(source.request_body.get("required")),
                    check=SchemaCheck(schema, lambda: reference(schema, "body")),
                    default={})


def compile_operation(source: OperationSource, reference: ReferenceFactory) -> OperationPlan:
    """One operation's plan, or a declined one saying why."""
    if source.invoke is None:
        return _declined(source, "no handler")
    if source.has_kwargs or source.arguments & _CONTEXT_ARGUMENTS:
        return _declined(source, "the handler takes Connexion's context")
    params = []
    for param in source.parameters:
        planned = _param_plan(param, source, reference)
        if isinstance(planned, str):
            return _declined(source, planned)
        params.append(planned)
    scopes = _bearer_scopes(source)
    if isinstance(scopes, str):
        return _declined(source, scopes)
    body = _body_plan(source, reference)
    if isinstance(body, str):
        return _declined(source, body)
    return OperationPlan(source, params=tuple(params), body=body, bearer_scopes=scopes,
                         path_params=tuple(p for p in params if p.location == "path"))
