"""A user's spec (Swagger 2.0, OpenAPI 3.0 or 3.1) read into one neutral operation model.

``specdouble mock`` serves specs it has never seen, so loading must be
lenient where Prism is (a missing ``info`` is a warning, not a refusal) and
precise where it cannot go on (a file that does not parse, a ``$ref`` that
does not resolve): those raise :class:`SpecError`, one line naming the file,
the place and the reason. Every version becomes the same :class:`Operation`
shape (OpenAPI 3 style ``content`` maps, JSON Schema with ``nullable``
folded into ``type``), so the layers above never branch on the version.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urljoin, urlparse
from urllib.request import urlopen

import yaml

HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
JSON = "application/json"
FORM = "application/x-www-form-urlencoded"
# Where the targets of recursive $refs live: schemas refer to them as "#/<this>/<name>",
# and every schema is checked and generated with them at its root.
DEFINITIONS = "x-specdouble-definitions"


class SpecError(ValueError):
    """A spec that cannot be served: ``str()`` is the one line the user sees."""


@dataclass(frozen=True)
class Operation:
    """One operation of a user's spec, whatever its version."""

    method: str  # upper case
    path: str  # the template as written
    operation_id: str
    parameters: tuple[dict[str, Any], ...]
    # media type -> schema; empty when the operation takes no body.
    body: Mapping[str, dict[str, Any]]
    body_required: bool
    # status ("200", "2XX", "default") -> {"content": {media: {...}}, "headers": {...}}
    responses: Mapping[str, dict[str, Any]]
    # OR-ed requirements, each {scheme name: scopes}; () is no security.
    security: tuple[Mapping[str, Any], ...]
    deprecated: bool = False


@dataclass(frozen=True)
class Document:
    """A loaded spec: where it came from, its operations and base paths."""

    source: str
    version: str  # "2.0", "3.0" or "3.1"
    title: str
    operations: tuple[Operation, ...]
    base_paths: tuple[str, ...]  # the path of each servers URL (OAS2: basePath), "" dropped
    security_schemes: Mapping[str, Mapping[str, Any]]
    warnings: tuple[str, ...] = field(default=())
    # The targets of recursive $refs, by name (plain JSON Schema), see DEFINITIONS.
    definitions: Mapping[str, Any] = field(default_factory=dict)

    @cached_property
    def _checked_definitions(self) -> dict[str, Any]:
        return {k: json_schema(v) for k, v in self.definitions.items()}

    def validation_root(self, schema: Any) -> Any:
        """``schema`` (normalised JSON Schema) with the recursive definitions it may refer to."""
        if not self.definitions or not isinstance(schema, dict):
            return schema
        return {**schema, DEFINITIONS: self._checked_definitions}

    def generation_root(self) -> dict[str, Any]:
        """The root the generator resolves recursive $refs against."""
        return {DEFINITIONS: {k: generation_schema(v) for k, v in self.definitions.items()}}


# --- reading and resolving ---------------------------------------------------------------

LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})


def is_url(location: str) -> bool:
    return urlparse(location).scheme in ("http", "https")


def _read_text(location: str) -> str:
    """A file's text, or a URL's on this machine (the mock reaches no other network)."""
    if is_url(location):
        if urlparse(location).hostname not in LOOPBACK:
            raise SpecError(f"{location}: only URLs on 127.0.0.1 (or localhost) are fetched")
        try:
            with urlopen(location, timeout=5) as answer:  # loopback only, checked above
                return bytes(answer.read()).decode("utf-8-sig")
        except (OSError, ValueError) as exc:
            raise SpecError(f"{location}: cannot be fetched ({exc})") from None
    try:
        return Path(location).read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise SpecError(f"{location}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise SpecError(f"{location}: cannot be read ({exc})") from None


def _parse(location: str) -> Any:
    text = _read_text(location)
    try:
        if urlparse(location).path.lower().endswith(".json"):
            return json.loads(text)
        return yaml.safe_load(text)
    except json.JSONDecodeError as exc:
        raise SpecError(f"{location}: line {exc.lineno}, column {exc.colno}: "
                        f"not valid JSON ({exc.msg})") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        why = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise SpecError(f"{location}: {where}not valid YAML ({why})") from None


def _join(base: str, reference: str) -> str:
    """Where a $ref's file part points, from the document that holds it."""
    if is_url(base) or is_url(reference):
        return urljoin(base, reference)
    return str((Path(base).parent / reference).resolve())


class _Resolver:
    """Inlines every ``$ref`` (local, or to another file), keeping recursive ones as local refs."""

    def __init__(self, root_location: str, root: Any) -> None:
        self.files: dict[str, Any] = {root_location: root}
        self.definitions: dict[str, Any] = {}  # the targets of recursive $refs
        self.names: dict[str, str] = {}

    def document(self, location: str, referrer: str) -> Any:
        if location not in self.files:
            if not is_url(location) and not Path(location).exists():
                raise SpecError(f"{referrer}: $ref to {location}: no such file")
            self.files[location] = _parse(location)
        return self.files[location]

    def pointer(self, doc: Any, fragment: str, where: str) -> Any:
        node = doc
        for raw in [p for p in fragment.split("/") if p][0:]:
            part = unquote(raw).replace("~1", "/").replace("~0", "~")
            if isinstance(node, list) and part.isdigit() and int(part) < len(node):
                node = node[int(part)]
            elif isinstance(node, dict) and part in node:
                node = node[part]
            else:
                raise SpecError(f"{where}: cannot be resolved (no '{part}')")
        return node

    def resolve(self, node: Any, base: str, stack: tuple[str, ...] = (),
                where: tuple[str, ...] = ()) -> Any:
        """``node`` with its $refs inlined; ``where`` is its place in ``base`` (for errors)."""
        if isinstance(node, list):
            return [self.resolve(item, base, stack, (*where, str(i)))
                    for i, item in enumerate(node)]
        if not isinstance(node, dict):
            return node
        ref = node.get("$ref")
        if isinstance(ref, str):
            return self._follow(ref, base, stack, ".".join(where) or "(top)")
        return {key: self.resolve(value, base, stack, (*where, str(key)))
                for key, value in node.items()}

    def _follow(self, ref: str, base: str, stack: tuple[str, ...], where: str) -> Any:
        file_part, _, fragment = ref.partition("#")
        if is_url(file_part) and urlparse(file_part).hostname not in LOOPBACK:
            raise SpecError(f"{base}: {where}: $ref {ref}: remote references are not fetched")
        target = _join(base, file_part) if file_part else base
        key = f"{target}#{fragment}"
        doc = self.document(target, f"{base}: {where}")
        value = self.pointer(doc, fragment, f"{base}: {where}: $ref {ref}")
        if key in stack:
            # A recursive schema: the cycle becomes a local $ref into DEFINITIONS.
            name = re.sub(r"[^A-Za-z0-9_.-]+", "_", key.rsplit("/", 1)[-1] or "root")
            name = self.names.setdefault(key, f"{name}-{len(self.names)}")
            if name not in self.definitions:
                self.definitions[name] = {}
                self.definitions[name] = self.resolve(value, target, (key,))
            return {"$ref": f"#/{DEFINITIONS}/{name}"}
        return self.resolve(value, target, (*stack, key))


# --- schema normalisation ----------------------------------------------------------------

def json_schema(schema: Any, nullable_key: str = "nullable") -> Any:
    """An OpenAPI schema as plain JSON Schema: ``nullable``/``x-nullable`` folded into ``type``."""
    if isinstance(schema, list):
        return [json_schema(item, nullable_key) for item in schema]
    if not isinstance(schema, dict):
        return schema
    out = {k: json_schema(v, nullable_key) if k not in ("example", "examples", "default",
                                                           "enum", "const") else v
           for k, v in schema.items() if k not in ("nullable", "x-nullable", "discriminator")}
    if schema.get(nullable_key) or schema.get("nullable") or schema.get("x-nullable"):
        kind = out.get("type")
        if isinstance(kind, str):
            out["type"] = [kind, "null"]
        if isinstance(out.get("enum"), list) and None not in out["enum"]:
            out["enum"] = [*out["enum"], None]
    return out


def generation_schema(schema: Any) -> Any:
    """A schema in the OpenAPI 3.0 dialect the generator speaks: ``nullable``, one ``type``."""
    if isinstance(schema, list):
        return [generation_schema(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    out = {k: generation_schema(v) if k not in ("example", "examples", "default", "enum",
                                                  "const") else v
           for k, v in schema.items() if k != "x-nullable"}
    if schema.get("x-nullable"):
        out["nullable"] = True
    kind = out.get("type")
    if isinstance(kind, list):
        rest = [k for k in kind if k != "null"]
        if len(rest) < len(kind):
            out["nullable"] = True
        if len(rest) == 1:
            out["type"] = rest[0]
        else:
            out.pop("type")
            out["anyOf"] = [*out.get("anyOf", []), *({"type": k} for k in rest)] or [{}]
    if "const" in out and "enum" not in out:
        out["enum"] = [out.pop("const")]
    if isinstance(out.get("examples"), list):
        out.pop("examples")  # JSON Schema's list, not OpenAPI's map
    return out


# --- the version-specific readers --------------------------------------------------------

def _security(op: Mapping[str, Any], doc: Mapping[str, Any]) -> tuple[Mapping[str, Any], ...]:
    requirement = op.get("security", doc.get("security")) or ()
    return tuple(r for r in requirement if isinstance(r, dict))


def _op_id(op: Mapping[str, Any], method: str, path: str) -> str:
    return str(op.get("operationId") or f"{method.upper()} {path}")


def _merged_params(item: Mapping[str, Any], op: Mapping[str, Any]) -> list[dict[str, Any]]:
    by_key: dict[tuple[str, str], dict[str, Any]] = {}
    for param in [*(item.get("parameters") or []), *(op.get("parameters") or [])]:
        if isinstance(param, dict) and "name" in param:
            by_key[(str(param["name"]), str(param.get("in")))] = param
    return list(by_key.values())


def _oas3_operation(method: str, path: str, item: Mapping[str, Any], op: Mapping[str, Any],
                    doc: Mapping[str, Any]) -> Operation:
    params = tuple({**p, "schema": json_schema(p.get("schema") or {})}
                   for p in _merged_params(item, op))
    body = op.get("requestBody") or {}
    content = {media: json_schema((spec or {}).get("schema") or {})
               for media, spec in (body.get("content") or {}).items()}
    responses = {}
    for code, response in (op.get("responses") or {}).items():
        response = response or {}
        media = {}
        for name, spec in (response.get("content") or {}).items():
            spec = dict(spec or {})
            if "schema" in spec:
                spec["schema"] = generation_schema(spec["schema"])
            media[name] = spec
        responses[str(code)] = {"content": media, "headers": response.get("headers") or {}}
    return Operation(method.upper(), path, _op_id(op, method, path), params, content,
                     bool(body.get("required")), responses, _security(op, doc),
                     bool(op.get("deprecated")))


def _oas2_param_schema(param: Mapping[str, Any]) -> dict[str, Any]:
    keep = ("type", "format", "items", "enum", "minimum", "maximum", "exclusiveMinimum",
            "exclusiveMaximum", "minLength", "maxLength", "pattern", "minItems", "maxItems",
            "uniqueItems", "multipleOf", "default")
    return json_schema({k: v for k, v in param.items() if k in keep or k == "x-nullable"})


def _oas2_operation(method: str, path: str, item: Mapping[str, Any], op: Mapping[str, Any],
                    doc: Mapping[str, Any]) -> Operation:
    consumes = op.get("consumes") or doc.get("consumes") or [JSON]
    produces = op.get("produces") or doc.get("produces") or [JSON]
    params, content, required = [], {}, False
    form: dict[str, Any] = {"type": "object", "properties": {}, "required": []}
    for param in _merged_params(item, op):
        where = param.get("in")
        if where == "body":
            required = bool(param.get("required"))
            content = {m: json_schema(param.get("schema") or {}) for m in consumes}
        elif where == "formData":
            form["properties"][param["name"]] = _oas2_param_schema(param)
            if param.get("required"):
                form["required"].append(param["name"])
        else:
            params.append({**{k: v for k, v in param.items() if k not in ("type", "format")},
                           "schema": _oas2_param_schema(param)})
    if form["properties"]:
        required = bool(form["required"])
        if not form["required"]:
            del form["required"]
        content = {m: form for m in consumes if m in (FORM, "multipart/form-data")} or \
            {FORM: form}
    responses = {}
    for code, response in (op.get("responses") or {}).items():
        response = response or {}
        examples = response.get("examples") or {}
        media = {}
        if "schema" in response or examples:
            for name in produces:
                spec: dict[str, Any] = {}
                if "schema" in response:
                    spec["schema"] = generation_schema(response["schema"])
                if name in examples:
                    spec["example"] = examples[name]
                media[name] = spec
        headers = {}
        for name, header in (response.get("headers") or {}).items():
            headers[name] = {"schema": generation_schema(_oas2_param_schema(header))}
            if "x-example" in header:
                headers[name]["example"] = header["x-example"]
        responses[str(code)] = {"content": media, "headers": headers}
    return Operation(method.upper(), path, _op_id(op, method, path), tuple(params), content,
                     required, responses, _security(op, doc), bool(op.get("deprecated")))


def _oas2_schemes(doc: Mapping[str, Any]) -> dict[str, Any]:
    out = {}
    for name, scheme in (doc.get("securityDefinitions") or {}).items():
        if scheme.get("type") == "basic":
            out[name] = {"type": "http", "scheme": "basic"}
        else:
            out[name] = dict(scheme)
    return out


def _expanded(server: Mapping[str, Any]) -> str:
    """A server URL with each variable replaced by its default."""
    url = str(server.get("url") or "")
    for name, variable in (server.get("variables") or {}).items():
        if isinstance(variable, dict) and "default" in variable:
            url = url.replace("{" + str(name) + "}", str(variable["default"]))
    return url


def _base_paths(doc: Mapping[str, Any], version: str) -> tuple[str, ...]:
    if version == "2.0":
        raw = [str(doc.get("basePath") or "")]
    else:
        raw = [_expanded(s) for s in doc.get("servers") or [] if isinstance(s, dict)]
    out = []
    for url in raw:
        if "{" in url:
            continue  # a variable without a default: no one path to serve under
        path = urlparse(url).path.rstrip("/")
        if path and path not in out:
            out.append(path)
    return tuple(out)


def _version(doc: Mapping[str, Any], source: str) -> str:
    if str(doc.get("swagger", "")).startswith("2"):
        return "2.0"
    declared = str(doc.get("openapi", ""))
    if declared.startswith("3.0"):
        return "3.0"
    if declared.startswith("3.1"):
        return "3.1"
    raise SpecError(f"{source}: neither 'openapi: 3.x' nor 'swagger: \"2.0\"' is declared")


def load_document(path: Path | str) -> Document:
    """The spec at ``path`` (a file, or a URL on 127.0.0.1), ``$ref``s resolved.

    Raises :class:`SpecError`.
    """
    source = str(path)
    if not is_url(source) and Path(source).exists():
        source = str(Path(source).resolve())
    raw = _parse(source)
    if not isinstance(raw, dict):
        raise SpecError(f"{source}: not an OpenAPI document (the top level is not a mapping)")
    version = _version(raw, source)
    resolver = _Resolver(source, raw)
    doc = resolver.resolve(raw, source)
    warnings = []
    if not isinstance(doc.get("info"), dict):
        warnings.append(f"{source}: 'info' is missing; served anyway")
    paths = doc.get("paths")
    if not isinstance(paths, dict):
        warnings.append(f"{source}: 'paths' is missing; nothing to serve")
        paths = {}
    read = _oas2_operation if version == "2.0" else _oas3_operation
    operations = []
    for template, item in paths.items():
        if not isinstance(item, dict) or not str(template).startswith("/"):
            warnings.append(f"{source}: paths.{template}: not a path item; skipped")
            continue
        for method in HTTP_METHODS:
            if isinstance(item.get(method), dict):
                operations.append(read(method, str(template), item, item[method], doc))
    schemes = _oas2_schemes(doc) if version == "2.0" else \
        dict((doc.get("components") or {}).get("securitySchemes") or {})
    for operation in operations:
        for requirement in operation.security:
            for name in requirement:
                if name not in schemes:
                    warnings.append(f"{source}: {operation.method} {operation.path}: security "
                                    f"scheme '{name}' is not declared; not checked")
    name = urlparse(source).path.rsplit("/", 1)[-1] or source
    title = str((doc.get("info") or {}).get("title") or name) \
        if isinstance(doc.get("info"), dict) else name
    return Document(source, version, title, tuple(operations), _base_paths(doc, version),
                    schemes, tuple(warnings), resolver.definitions)
