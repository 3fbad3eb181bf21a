"""The generic behaviour of a user's spec: route, check, choose a response, render it.

Prism's decision flow, compiled once at start-up: a route table over every
loaded :class:`~specdouble.spec.documents.Document` (each path as written and
under each server base path), schema checks built per operation, and one
:meth:`Mocker.answer` per request that returns a :class:`Reply` or raises a
:class:`~specdouble.support.problems.Problem` whose ``kind`` is Prism's error
code. It knows no HTTP framework; ``http/mock.py`` feeds it and renders its
problems. :meth:`Mocker.answer` is :meth:`Mocker.check` (route and check)
then :meth:`Mocker.respond` (select and render): the stateful layer
(``engine/stateful.py``) runs between the two, on a valid request only.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl
from xml.sax.saxutils import escape

from specdouble.data.generator import GenerationError, SchemaDataGenerator
from specdouble.engine import checks
from specdouble.engine.checks import Violation
from specdouble.engine.sample import static_body
from specdouble.engine.validate import coerce
from specdouble.spec.documents import FORM, Document, Operation, SpecError, json_schema
from specdouble.support.problems import Problem
from specdouble.world import journal

JSON = "application/json"
_CODE = re.compile(r"^\d{3}$")
_ORDER = {"body": 0, "header": 1, "query": 2, "path": 3}


@dataclass(frozen=True)
class Options:
    """Prism's mock switches."""

    dynamic: bool = False
    ignore_examples: bool = False
    errors: bool = False
    seed: str = "0"
    # --seed given: every dynamic answer is generated from it afresh (Prism's per-request seed).
    seeded: bool = False
    fill_properties: bool = True


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    query: str
    headers: Mapping[str, str]  # lower-case names
    body: bytes = b""


@dataclass
class Reply:
    status: int
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""


@dataclass
class Route:
    """One operation of one document at one template (as written, or under a base path)."""

    document: Document
    operation: Operation
    template: str
    segments: tuple[str | None, ...]  # None: a templated segment
    names: tuple[str, ...]
    params: list[tuple[dict[str, Any], Any]] = field(default_factory=list)
    bodies: dict[str, Any] = field(default_factory=dict)

    @property
    def specificity(self) -> tuple[int, ...]:
        return tuple(1 if s is None else 0 for s in self.segments)


@dataclass
class Checked:
    """A routed and checked request; ``refusal`` is set when it is invalid."""

    request: Request
    route: Route
    path_params: dict[str, str]
    query: dict[str, list[str]]
    prefer: dict[str, Any]
    refusal: Reply | None = None


def _split(template: str) -> tuple[tuple[str | None, ...], tuple[str, ...]]:
    segments: list[str | None] = []
    names = []
    for part in template.split("/")[1:]:
        if part.startswith("{") and part.endswith("}"):
            segments.append(None)
            names.append(part[1:-1])
        else:
            segments.append(part)
            names.append("")
    return tuple(segments), tuple(names)


def problem(status: int, kind: str, detail: str, **extra: Any) -> Problem:
    return Problem(status, detail, kind=kind, headers=extra.pop("headers", {}), extensions=extra)


class Mocker:
    """Every loaded document behind one port."""

    def __init__(self, documents: list[Document], options: Options) -> None:
        self.documents = documents
        self.options = options
        self.generator = SchemaDataGenerator(_int_seed(options.seed), optional_probability=1.0)
        self.routes: dict[int, list[Route]] = {}
        self._generation_roots: dict[str, Mapping[str, Any]] = {}
        # Which document serves each (method, path shape), and whether only as written.
        owners: dict[tuple[str, str], tuple[Document, bool]] = {}
        self.warnings: list[str] = []
        for document in documents:
            for operation in document.operations:
                for base in ("", *document.base_paths):
                    alias = not base and bool(document.base_paths)
                    self._add(document, operation, base + operation.path, owners, alias)
        for bucket in self.routes.values():  # literal segments first; stable: then as declared
            bucket.sort(key=lambda r: r.specificity)
        self._index = _Segments.of(self.routes)

    def _add(self, document: Document, operation: Operation, template: str,
             owners: dict[tuple[str, str], tuple[Document, bool]], alias: bool) -> None:
        """Index one route; two specs on one path refuse to start, unless both have another.

        A path as written, of a spec that is also served under its base path, is an
        alias: when two specs share one, the first keeps it (with a warning) and
        each stays reachable under its own base path.
        """
        segments, names = _split(template)
        key = (operation.method, re.sub(r"\{[^/}]*\}", "{}", template))
        other, other_alias = owners.get(key, (None, False))
        if other is document:
            return  # a base path equal to a written path: served once
        if other is not None and alias and other_alias:
            self.warnings.append(f"{operation.method} {template} is in {other.source} and "
                                 f"{document.source}: served from the first; the second "
                                 f"answers under {', '.join(document.base_paths)}")
            return
        if other is not None:
            raise SpecError(f"{document.source}: {operation.method} {template} clashes with "
                            f"the same path in {other.source}")
        owners[key] = (document, alias)
        route = Route(document, operation, template, segments, names)
        for param in operation.parameters:
            schema = document.validation_root(param.get("schema") or {})
            route.params.append((param, checks.validator(schema, document.version)))
        for media, schema in operation.body.items():
            route.bodies[media] = checks.validator(document.validation_root(schema),
                                                   document.version)
        self.routes.setdefault(len(segments), []).append(route)

    def served(self) -> list[tuple[str, str, str]]:
        """(method, template, operation id) of every route, for the banner."""
        return [(r.operation.method, r.template, r.operation.operation_id)
                for routes in self.routes.values() for r in routes]

    # --- routing -------------------------------------------------------------------

    def route(self, method: str, path: str) -> tuple[Route, dict[str, str]]:
        if not self.routes:
            raise problem(404, "NO_RESOURCE_PROVIDED_ERROR",
                          "The current document does not have any resource to match with.")
        # Segments as sent: a trailing slash is one more (empty) segment, as in Prism.
        parts = path.split("/")[1:]
        matched = [(route, _params(route, parts)) for route in self._index.find(parts)]
        if not matched:
            raise problem(404, "NO_PATH_MATCHED_ERROR",
                          f"The route {path} hasn't been found in the specification file")
        wanted = "GET" if method == "HEAD" else method
        for route, params in matched:
            if route.operation.method == method or (
                    route.operation.method == wanted and not _has(matched, method)):
                journal.mark(operation_id=route.operation.operation_id)
                return route, params
        allowed = sorted({r.operation.method for r, _ in matched})
        raise problem(405, "NO_METHOD_MATCHED_ERROR",
                      f"The route {path} has been matched, but it does not have "
                      f"\"{method.lower()}\" method defined", headers={"Allow": ", ".join(allowed)})

    # --- the request -----------------------------------------------------------------

    def answer(self, request: Request) -> Reply:
        checked = self.check(request)
        if checked.refusal is not None:
            return checked.refusal
        return self.respond(checked)

    def check(self, request: Request) -> Checked:
        """Route and check ``request``: what a stateful layer needs before answering it.

        Raises the routing problems; an invalid request comes back with its
        ``refusal`` (the stateless answer to it) already built.
        """
        route, path_params = self.route(request.method, request.path)
        query = _query(request.query)
        prefer = _preferences(request.headers.get("prefer"), query)
        violations, security_failed = self._check(route, request, path_params, query)
        checked = Checked(request, route, path_params, query, prefer)
        if violations:
            checked.refusal = self._invalid(route, violations, security_failed, prefer)
        return checked

    def respond(self, checked: Checked) -> Reply:
        """The stateless answer to a valid request: Prism's selection, then rendering."""
        status, response = _select(checked.route.operation, checked.prefer.get("code"))
        reply = self._render(checked.route, status, response, checked.request, checked.prefer)
        return self.finish(checked.route, reply)

    @staticmethod
    def finish(route: Route, reply: Reply) -> Reply:
        """What every answer of an operation carries, whoever built it."""
        if route.operation.deprecated:
            reply.headers.append(("Deprecation", "true"))
        return reply

    def _check(self, route: Route, request: Request, path_params: dict[str, str],
               query: dict[str, list[str]]) -> tuple[list[Violation], bool]:
        cookies = _cookies(request.headers.get("cookie", ""))
        out: list[Violation] = []
        security = route.operation.security
        schemes = route.document.security_schemes
        secured = not security or any(
            all(checks.scheme_present(schemes.get(name, {}), request.headers, query, cookies)
                for name in requirement) for requirement in security)
        if not secured:
            out.append({"location": ["request"], "severity": "Error", "code": 401,
                        "message": "Invalid security scheme used"})
        found = self._body_violations(route, request)
        for param, check in route.params:
            found += _param_violations(param, check, request.headers, query, path_params, cookies)
        # Prism's order: body, headers, query, path.
        out += sorted(found, key=lambda v: _ORDER.get(str(v["location"][0]), 0))
        return out, not secured

    def _body_violations(self, route: Route, request: Request) -> list[Violation]:
        operation = route.operation
        if not operation.body:
            return []
        if not request.body:
            if operation.body_required:
                return [{"location": ["body"], "severity": "Error", "code": "required",
                         "message": "Body parameter is required"}]
            return []
        media = request.headers.get("content-type", "").split(";")[0].strip().lower()
        target = _media_for(media, list(operation.body))
        if target is None:
            return [{"location": ["request"], "severity": "Error", "code": 415,
                     "message": f"Supported content types: {', '.join(operation.body)}"}]
        if not (media in (FORM, JSON) or media.endswith("+json")):
            return []  # multipart, XML, binary: the content type is checked, the parts are not
        value = _decode_body(media, request.body)
        if media == FORM and isinstance(value, dict):
            value = _typed_form(value, operation.body[target])
        if isinstance(value, Exception):
            return [{"location": ["body"], "severity": "Error", "code": "parse",
                     "message": f"Request body is not valid {media}: {value}"}]
        return checks.schema_violations(route.bodies[target], value, ["body"], "Request body")

    def _invalid(self, route: Route, violations: list[Violation], security_failed: bool,
                 prefer: dict[str, Any]) -> Reply:
        journal.mark(validation_errors=[".".join(map(str, v["location"])) + ": " +
                                        str(v["message"]) for v in violations])
        responses = route.operation.responses
        if security_failed:
            wanted, kind = ["401"], ("UNAUTHORIZED", 401)
            violations = [v for v in violations if v["code"] == 401] or violations
        elif any(v["code"] == 415 for v in violations):
            wanted, kind = ["415", "422", "400"], ("INVALID_CONTENT_TYPE", 415)
        else:
            wanted, kind = ["422", "400"], ("UNPROCESSABLE_ENTITY", 422)
        reported = [{**v, "location": v["location"] if v["location"][:1] == ["request"]
                     else ["request", *v["location"]]} for v in violations]
        header = ("sl-violations", json.dumps(reported, separators=(",", ":")))
        # A Prefer example applies only when its forced code is one of these (Prism).
        forced = {"example": prefer["example"]} if prefer.get("code") in wanted and \
            "example" in prefer else {}
        for code in [*wanted, "default"]:
            if code in responses:
                status = int(code) if code != "default" else kind[1]
                reply = self._body(route, status, responses[code], forced, {})
                reply.headers.append(header)
                return reply
        headers = {}
        if security_failed:
            challenges = [c for r in route.operation.security for name in r
                          if (c := checks.challenge(route.document.security_schemes.get(name,
                                                                                        {})))]
            if challenges:
                headers["WWW-Authenticate"] = ", ".join(dict.fromkeys(challenges))
        detail = {"UNAUTHORIZED": "Your request does not fullfil the security requirements "
                                  "and no HTTP unauthorized response was found in the spec, "
                                  "so Prism is generating this error for you.",
                  "INVALID_CONTENT_TYPE": "Your request has a content type the operation "
                                          "does not accept and no HTTP validation response "
                                          "was found in the spec.",
                  }.get(kind[0], "Your request is not valid and no HTTP validation response "
                                 "was found in the spec, so Prism is generating this error "
                                 "for you.")
        if security_failed:  # Prism's generated 401 carries no validation list
            raise problem(401, kind[0], detail, headers=headers)
        raise problem(kind[1], kind[0], detail, validation=violations, headers=headers)

    def documented(self, route: Route, status: int, request: Request) -> Reply:
        """The spec's answer for ``status`` whatever the request (a fault rule's status)."""
        _, response = _select(route.operation, str(status))
        return self._render(route, status, response, request, {})

    # --- the response ----------------------------------------------------------------

    def _render(self, route: Route, status: int, response: Mapping[str, Any],
                request: Request, prefer: dict[str, Any]) -> Reply:
        accept = request.headers.get("accept", "")
        return self._body(route, status, response, prefer, {"accept": accept})

    def _body(self, route: Route, status: int, response: Mapping[str, Any],
              prefer: dict[str, Any], request: Mapping[str, str]) -> Reply:
        content: Mapping[str, Any] = response.get("content") or {}
        headers = self._headers(route, response)
        if not content:
            return Reply(status, headers)
        media = _negotiate(list(content), request.get("accept", ""))
        if media is None:
            raise problem(406, "NOT_ACCEPTABLE",
                          f"Unable to find content for {request.get('accept')}")
        spec = content[media] or {}
        example = prefer.get("example")
        dynamic = prefer.get("dynamic", self.options.dynamic)
        if example is not None:
            examples = spec.get("examples") or {}
            if example not in examples:
                raise problem(404, "NOT_FOUND", f"Response for contentType: {media} and "
                                                f"exampleKey: {example} does not exist.")
            value, found = (examples[example] or {}).get("value"), True
        else:
            value, found = self._value(route, status, spec, dynamic, prefer)
        if not found:
            headers.append(("Content-Type", media))
            headers.append(("Content-Length", "0"))
            return Reply(status, headers)
        if self.options.errors and "schema" in spec:
            self._self_check(route, spec["schema"], value)
        body = _serialise(media, value)
        headers.append(("Content-Type", media))
        return Reply(status, headers, body)

    def _value(self, route: Route, status: int, spec: Mapping[str, Any],
               dynamic: bool, prefer: Mapping[str, Any]) -> tuple[Any, bool]:
        if not dynamic and not self.options.ignore_examples:
            examples = spec.get("examples") or {}
            if examples:
                first = next(iter(examples.values())) or {}
                return first.get("value"), True
            if "example" in spec:
                return spec["example"], True
        schema = spec.get("schema")
        if schema is None:
            return None, False
        seed = prefer.get("seed", self.options.seed if self.options.seeded else None)
        if not dynamic:
            self._reseed(f"{route.operation.operation_id}:{status}")
        elif seed is not None:
            self._reseed(f"seed:{seed}", plain=True)  # Prism: same seed, same body
        root = self._roots(route.document)
        try:
            if dynamic or self.options.ignore_examples:
                return self.generator.generate(schema, root=root), True

            def leaf(part: Mapping[str, Any], name: str | None) -> Any:
                return self.generator.generate(part, root=root, name=name)

            return static_body(schema, root, leaf), True
        except GenerationError as exc:
            raise problem(500, "SCHEMA_TOO_COMPLEX",
                          f"Unable to generate a body for this response: {exc}") from None

    def _roots(self, document: Document) -> Mapping[str, Any]:
        """One generation root per document (the generator caches per root identity)."""
        root = self._generation_roots.get(document.source)
        if root is None:
            root = self._generation_roots[document.source] = document.generation_root()
        return root

    def _reseed(self, salt: str, plain: bool = False) -> None:
        """Static answers: the same body for the same operation and status, every time."""
        seed = _int_seed(salt if plain else f"{self.options.seed}:{salt}")
        self.generator.faker.seed_instance(seed)
        self.generator.rng.seed(seed)

    def _headers(self, route: Route, response: Mapping[str, Any]) -> list[tuple[str, str]]:
        out = []
        for name, header in (response.get("headers") or {}).items():
            if not isinstance(header, dict) or name.lower() in ("content-type",
                                                                 "content-length"):
                continue
            if "example" in header:
                value = header["example"]
            elif isinstance(header.get("schema"), dict):
                self._reseed(f"{route.operation.operation_id}:header:{name}")
                try:
                    value = self.generator.generate(header["schema"], name=name)
                except GenerationError:
                    continue
            else:
                continue
            out.append((name, str(value).lower() if isinstance(value, bool) else str(value)))
        return out

    def _self_check(self, route: Route, schema: Mapping[str, Any], value: Any) -> None:
        """``--errors``: a body that violates its own spec is a 500, not a silent lie."""
        document = route.document
        check = checks.validator(document.validation_root(json_schema(schema)), document.version)
        found = checks.schema_violations(check,
                                         value, ["response", "body"], "Response body")
        if found:
            raise problem(500, "VIOLATIONS", "Your request/response is not valid and the "
                                             "--errors flag is set, so Prism is generating "
                                             "this error for you.", validation=found)


# --- helpers ---------------------------------------------------------------------------------

def _int_seed(text: str) -> int:
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "big")


def _has(matched: list[tuple[Route, dict[str, str]]], method: str) -> bool:
    return any(r.operation.method == method for r, _ in matched)


def _params(route: Route, parts: list[str]) -> dict[str, str]:
    return {name: part for literal, name, part in zip(route.segments, route.names, parts,
                                                      strict=True) if literal is None}


class _Segments:
    """A tree of path segments: the routes a path matches without trying every template.

    Both branches are followed at each segment, the literal one and the templated
    one, so the routes found are every template that fits (as a scan would find);
    ``find`` gives them in the scan's order (literal segments first, then the
    order of declaration), so the cost of a lookup does not grow with the spec.
    """

    __slots__ = ("literal", "param", "rank", "routes")

    def __init__(self) -> None:
        self.literal: dict[str, _Segments] = {}
        self.param: _Segments | None = None
        self.routes: list[Route] = []
        self.rank: dict[int, int] = {}

    @classmethod
    def of(cls, routes: dict[int, list[Route]]) -> _Segments:
        root = cls()
        for bucket in routes.values():
            for position, route in enumerate(bucket):
                root.rank[id(route)] = position
                node = root
                for literal in route.segments:
                    if literal is None:
                        node.param = node.param or cls()
                        node = node.param
                    else:
                        node = node.literal.setdefault(literal, cls())
                node.routes.append(route)
        return root

    def find(self, parts: list[str]) -> list[Route]:
        found: list[Route] = []
        self._collect(parts, 0, found)
        if len(found) > 1:
            found.sort(key=lambda route: self.rank[id(route)])
        return found

    def _collect(self, parts: list[str], at: int, found: list[Route]) -> None:
        if at == len(parts):
            found.extend(self.routes)
            return
        child = self.literal.get(parts[at])
        if child is not None:
            child._collect(parts, at + 1, found)
        if self.param is not None:
            self.param._collect(parts, at + 1, found)


def _query(raw: str) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for key, value in parse_qsl(raw, keep_blank_values=True):
        out.setdefault(key, []).append(value)
    return out


def _cookies(raw: str) -> dict[str, str]:
    out = {}
    for part in raw.split(";"):
        name, _, value = part.strip().partition("=")
        if name:
            out[name] = value
    return out


def _preferences(header: str | None, query: Mapping[str, list[str]]) -> dict[str, Any]:
    """Prefer's code/example/dynamic, else the ``__code``/``__example``/``__dynamic`` query."""
    raw: dict[str, str] = {}
    if header is not None:
        for part in re.split(r"[,;]", header):
            key, _, value = part.strip().partition("=")
            if key:
                raw[key.strip().lower()] = value.strip().strip('"')
    else:
        for key in ("code", "example", "dynamic", "seed"):
            if f"__{key}" in query:
                raw[key] = query[f"__{key}"][0]
    out: dict[str, Any] = {}
    if "code" in raw:
        if not _CODE.match(raw["code"]):
            raise problem(422, "UNPROCESSABLE_ENTITY",
                          f'optional property "code"\n└─ cannot decode "{raw["code"]}", '
                          "should be a number")
        out["code"] = raw["code"]
    for key in ("example", "seed"):
        if key in raw:
            out[key] = raw[key]
    if "dynamic" in raw:
        if raw["dynamic"] not in ("true", "false"):
            raise problem(422, "UNPROCESSABLE_ENTITY",
                          f'optional property "dynamic"\n└─ cannot decode "{raw["dynamic"]}", '
                          "should be a boolean")
        out["dynamic"] = raw["dynamic"] == "true"
    if out.keys() & {"code", "example", "dynamic"}:
        journal.mark(forced=True)
    return out


def _param_violations(param: Mapping[str, Any], check: Any, headers: Mapping[str, str],
                      query: Mapping[str, list[str]], path_params: Mapping[str, str],
                      cookies: Mapping[str, str]) -> list[Violation]:
    name, where = str(param["name"]), str(param.get("in"))
    schema = param.get("schema") or {}
    raw: list[str] | None
    if where == "query":
        raw = query.get(name)
    elif where == "header":
        raw = [headers[name.lower()]] if name.lower() in headers else None
    elif where == "path":  # an empty segment is a missing parameter, as in Prism
        raw = [path_params[name]] if path_params.get(name) else None
    else:
        return []  # cookies are not validated (as in Prism)
    label = {"query": "query parameter", "header": "header", "path": "path parameter"}[where]
    if raw is None:
        if param.get("required"):
            shown = name.lower()  # Prism's wording
            return [{"location": [where], "severity": "Error", "code": "required",
                     "message": f"Request {label.split()[0]} must have required property "
                                f"'{shown}'"}]
        return []
    kinds = schema.get("type")
    if kinds == "array" or (isinstance(kinds, list) and "array" in kinds):
        value: Any = checks.array_value(raw, param)
    elif len(raw) > 1:  # a scalar sent several times is an array (and wrong), as in Prism
        value = [coerce(item, schema) for item in raw]
    else:
        value = coerce(raw[0], schema)
    return checks.schema_violations(check, value, [where, name], f"Request {label} {name}")


def _media_for(media: str, declared: list[str]) -> str | None:
    for candidate in declared:
        low = candidate.lower().split(";")[0]
        if low == media or low == "*/*" or (low.endswith("/*") and
                                            media.startswith(low[:-1])):
            return candidate
    return None


def _decode_body(media: str, body: bytes) -> Any:
    try:
        if media == FORM:
            return dict(parse_qsl(body.decode("utf-8"), keep_blank_values=True))
        if media == JSON or media.endswith("+json"):
            return json.loads(body)
        return body.decode("utf-8")
    except (ValueError, UnicodeDecodeError) as exc:
        return exc


def _typed_form(fields: dict[str, str], schema: Mapping[str, Any]) -> dict[str, Any]:
    """Form fields arrive as text: each as the type its property declares."""
    props = schema.get("properties") or {}
    return {name: coerce(value, props.get(name) or {}) for name, value in fields.items()}


def _select(operation: Operation, code: str | None) -> tuple[int, Mapping[str, Any]]:
    """The response to answer: a forced code (exact, NXX, default), else Prism's default."""
    responses = operation.responses
    if code is not None:
        for key in (code, f"{code[0]}XX", f"{code[0]}xx", "default"):
            if key in responses:
                return int(code), responses[key]
        raise problem(404, "NOT_FOUND",
                      f"Requested status code {code} is not defined in the document.")
    if not responses:
        raise problem(500, "NO_RESPONSE_DEFINED",
                      f"Unable to find any response for {operation.operation_id}.")
    success = sorted(k for k in responses if k.startswith("2"))
    if success:
        key = success[0]
        return (200 if not key.isdigit() else int(key)), responses[key]
    if "default" in responses:
        return 200, responses["default"]
    key = next(iter(responses))
    return (int(key) if key.isdigit() else 200), responses[key]


def _accepted(accept: str) -> list[tuple[str, float]]:
    out = []
    for part in accept.split(","):
        media, *params = [p.strip() for p in part.split(";")]
        q = 1.0
        for param in params:
            if param.startswith("q="):
                try:
                    q = float(param[2:])
                except ValueError:
                    q = 0.0
        if media:
            out.append((media.lower(), q))
    return sorted(out, key=lambda item: -item[1])


def _negotiate(declared: list[str], accept: str) -> str | None:
    """The declared media type to answer with, or None (a 406)."""
    if not accept.strip():  # no Accept at all: JSON if there is one (Prism)
        for preferred in ("*/*", JSON):
            if preferred in declared:
                return preferred
        return declared[0]
    for media, q in _accepted(accept):
        if q <= 0:
            continue
        for candidate in declared:
            low = candidate.lower().split(";")[0]
            if media in ("*/*", low) or (media.endswith("/*") and
                                         low.startswith(media[:-1])):
                return candidate
    return None


def _xml(value: Any, tag: str) -> str:
    """An XML element (arrays become repeated elements), as Prism writes a generated body."""
    if isinstance(value, list):
        return "".join(_xml(item, tag) for item in value)
    if isinstance(value, dict):
        inner = "".join(_xml(item, str(key)) for key, item in value.items())
    elif value is None:
        inner = ""
    else:
        inner = escape(str(value).lower() if isinstance(value, bool) else str(value))
    return f"<{tag}>{inner}</{tag}>"


def _serialise(media: str, value: Any) -> bytes:
    low = media.lower()
    if "xml" in low and not isinstance(value, str):
        return _xml(value, "xml").encode()
    if low.startswith("text/") and isinstance(value, str):
        return value.encode()
    if isinstance(value, str) and not (low == JSON or low.endswith("+json") or low == "*/*"):
        return value.encode()
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()
