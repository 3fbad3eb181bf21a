"""Property tests: generated data validates against every schema we know.

The corpus in tests/data/schemas covers each construct the generator claims
to support; every spec in specs/ is walked too (components, request and
response bodies, parameters), whichever specs exist when the tests run.
Validation is independent of the generator's own checks: an OAS 3.0
validator (openapi-schema-validator) with jsonschema's and OpenAPI's format
checks both on.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator, FormatChecker
from openapi_schema_validator import (
    OAS30ReadValidator,
    OAS30WriteValidator,
    oas30_format_checker,
)

from specdouble.data.generator import SchemaDataGenerator

# Many generated cases through code the unit and HTTP tests cover line by line:
# coverage's tracer would double their time, so it pauses for them (tests/conftest.py).
pytestmark = pytest.mark.coverage_off

REPO = Path(__file__).resolve().parents[2]
CORPUS = REPO / "tests" / "data" / "schemas"
SPECS = REPO / "specs"

OAS_FORMATS = ("int32", "int64", "float", "double", "byte", "binary", "password")
CHECKER = FormatChecker()
CHECKER.checkers.update(Draft202012Validator.FORMAT_CHECKER.checkers)
# Only the OAS formats: oas30_format_checker also carries jsonschema's draft-3 'time'.
CHECKER.checkers.update({k: oas30_format_checker.checkers[k] for k in OAS_FORMATS})

SEEDS = st.integers(min_value=0, max_value=2**63)
# Seeds per schema: bounded in the normal run; the ``_long`` twins of the tests below
# (marked ``fuzz``, run with ``pytest -m fuzz``) try many more.
PROPERTY = settings(
    max_examples=10,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
PROPERTY_LONG = settings(PROPERTY, max_examples=100)


def errors(value: Any, schema: Mapping[str, Any], root: Mapping[str, Any], mode: str) -> list[str]:
    cls = OAS30ReadValidator if mode == "response" else OAS30WriteValidator
    validator = cls(root, format_checker=CHECKER).evolve(schema=schema)
    return [
        f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(value)
    ]


def _corpus() -> list[Any]:
    cases = []
    for path in sorted(CORPUS.glob("*.json")):
        root = json.loads(path.read_text())
        for name in root["components"]["schemas"]:
            ref = "#/components/schemas/" + name.replace("~", "~0").replace("/", "~1")
            cases.append(pytest.param(root, {"$ref": ref}, id=f"{path.stem}:{name}"))
    return cases


CORPUS_CASES = _corpus()


def test_corpus_is_not_empty() -> None:
    assert len(CORPUS_CASES) > 80


def check_generated(root: Mapping[str, Any], schema: Mapping[str, Any], mode: str,
                    seed: int) -> None:
    value = SchemaDataGenerator(seed).generate(schema, root, mode=mode)  # type: ignore[arg-type]
    assert errors(value, schema, root, mode) == []


@pytest.mark.parametrize(("root", "schema"), CORPUS_CASES)
@pytest.mark.parametrize("mode", ["response", "request"])
@PROPERTY
@given(seed=SEEDS)
def test_corpus_values_validate(
    root: Mapping[str, Any], schema: Mapping[str, Any], mode: str, seed: int
) -> None:
    check_generated(root, schema, mode, seed)


@pytest.mark.fuzz
@pytest.mark.parametrize(("root", "schema"), CORPUS_CASES)
@pytest.mark.parametrize("mode", ["response", "request"])
@PROPERTY_LONG
@given(seed=SEEDS)
def test_corpus_values_validate_long(
    root: Mapping[str, Any], schema: Mapping[str, Any], mode: str, seed: int
) -> None:
    check_generated(root, schema, mode, seed)


# -- specs/*.yaml --------------------------------------------------------------

_HTTP_METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")


def _media_schemas(content: Mapping[str, Any] | None) -> Iterator[tuple[str, Mapping[str, Any]]]:
    for media, body in (content or {}).items():
        if isinstance(body, Mapping) and isinstance(body.get("schema"), Mapping):
            yield media, body["schema"]


def _deref(root: Mapping[str, Any], node: Mapping[str, Any]) -> Mapping[str, Any]:
    """Follow a $ref to a response/requestBody/parameter component."""
    seen = 0
    while isinstance(node, Mapping) and "$ref" in node and seen < 20:
        seen += 1
        target: Any = root
        for part in node["$ref"].lstrip("#/").split("/"):
            target = target[part.replace("~1", "/").replace("~0", "~")]
        node = target
    return node


def spec_schemas(root: Mapping[str, Any]) -> Iterator[tuple[str, Mapping[str, Any], str]]:
    """(label, schema, mode) for every schema a spec uses."""
    components = root.get("components", {}) or {}
    for name, schema in (components.get("schemas", {}) or {}).items():
        yield f"components/schemas/{name}", schema, "response"
        yield f"components/schemas/{name}", schema, "request"
    for path, item in (root.get("paths", {}) or {}).items():
        item = _deref(root, item)
        shared = list(item.get("parameters", []) or [])
        for method in _HTTP_METHODS:
            op = item.get(method)
            if not isinstance(op, Mapping):
                continue
            where = f"{method.upper()} {path}"
            for param in [*shared, *(op.get("parameters", []) or [])]:
                param = _deref(root, param)
                if isinstance(param.get("schema"), Mapping):
                    yield f"{where} param {param.get('name')}", param["schema"], "request"
            if "requestBody" in op:
                body = _deref(root, op["requestBody"])
                for media, schema in _media_schemas(body.get("content")):
                    yield f"{where} request {media}", schema, "request"
            for status, response in (op.get("responses", {}) or {}).items():
                response = _deref(root, response)
                for media, schema in _media_schemas(response.get("content")):
                    yield f"{where} {status} {media}", schema, "response"
                for header, spec in (response.get("headers", {}) or {}).items():
                    spec = _deref(root, spec)
                    if isinstance(spec.get("schema"), Mapping):
                        yield f"{where} {status} header {header}", spec["schema"], "response"


def _external_refs(node: Any) -> bool:
    if isinstance(node, Mapping):
        ref = node.get("$ref")
        if isinstance(ref, str) and not ref.startswith("#"):
            return True
        return any(_external_refs(v) for v in node.values())
    if isinstance(node, list):
        return any(_external_refs(v) for v in node)
    return False


def _spec_cases() -> list[Any]:
    cases = []
    for path in sorted(SPECS.glob("*.yaml")):
        try:
            root = yaml.safe_load(path.read_text())
        except yaml.YAMLError as exc:  # a spec being edited right now; test_specs reports it
            cases.append(
                pytest.param(
                    None,
                    None,
                    None,
                    id=path.stem,
                    marks=pytest.mark.skip(reason=f"{path.name} is not valid YAML: {exc}"),
                )
            )
            continue
        if not isinstance(root, Mapping):
            continue
        if _external_refs(root):  # multi-file spec: let prance inline the other files
            from prance import ResolvingParser

            parser = ResolvingParser(str(path), backend="openapi-spec-validator")
            root = parser.specification
        for label, schema, mode in spec_schemas(root):
            cases.append(pytest.param(root, schema, mode, id=f"{path.stem}:{label}:{mode}"))
    return cases


SPEC_CASES = _spec_cases()


SPEC_PROPERTY = settings(PROPERTY, max_examples=5)


@pytest.mark.skipif(not SPEC_CASES, reason="no specs/*.yaml yet")
@pytest.mark.parametrize(("root", "schema", "mode"), SPEC_CASES or [pytest.param(None, None, None)])
@SPEC_PROPERTY
@given(seed=SEEDS)
def test_spec_schema_values_validate(
    root: Mapping[str, Any], schema: Mapping[str, Any], mode: str, seed: int
) -> None:
    check_generated(root, schema, mode, seed)


@pytest.mark.fuzz
@pytest.mark.skipif(not SPEC_CASES, reason="no specs/*.yaml yet")
@pytest.mark.parametrize(("root", "schema", "mode"), SPEC_CASES or [pytest.param(None, None, None)])
@settings(SPEC_PROPERTY, max_examples=50)
@given(seed=SEEDS)
def test_spec_schema_values_validate_long(
    root: Mapping[str, Any], schema: Mapping[str, Any], mode: str, seed: int
) -> None:
    check_generated(root, schema, mode, seed)


# -- schemas drawn by hypothesis -----------------------------------------------------

_PATTERNS = ["^[A-Z]{2}$", "^[a-z]+-[0-9]{1,4}$", "^\\d{3,}$", "^(foo|bar)baz?$", "x[yz]*"]
_FORMATS = ["date-time", "date", "email", "uuid", "uri", "ipv4", "byte", None]


@st.composite
def string_schemas(draw: st.DrawFn) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "string"}
    kind = draw(st.sampled_from(["length", "pattern", "format"]))
    if kind == "length":
        lo = draw(st.integers(0, 50))
        schema["minLength"] = lo
        if draw(st.booleans()):
            schema["maxLength"] = draw(st.integers(lo, lo + 60))
    elif kind == "pattern":
        schema["pattern"] = draw(st.sampled_from(_PATTERNS))
    else:
        fmt = draw(st.sampled_from(_FORMATS))
        if fmt:
            schema["format"] = fmt
    if draw(st.booleans()):
        schema["nullable"] = True
    return schema


@st.composite
def numeric_schemas(draw: st.DrawFn) -> dict[str, Any]:
    integer = draw(st.booleans())
    schema: dict[str, Any] = {"type": "integer" if integer else "number"}
    bound = st.integers(-10_000, 10_000) if integer else st.floats(-1e4, 1e4, allow_nan=False)
    lo = draw(st.none() | bound)
    hi = draw(st.none() | bound)
    if lo is not None and hi is not None and lo > hi:
        lo, hi = hi, lo
    if lo is not None:
        schema["minimum"] = lo
        schema["exclusiveMinimum"] = draw(st.booleans())
    if hi is not None:
        schema["maximum"] = hi
        schema["exclusiveMaximum"] = draw(st.booleans())
    if draw(st.booleans()):
        schema["multipleOf"] = draw(st.sampled_from([2, 3, 5, 10] if integer else [0.5, 0.25, 2]))
    width = None if lo is None or hi is None else hi - lo
    # Keep only satisfiable schemas: the range must hold a value (and a multiple).
    needed = 2 * schema.get("multipleOf", 1) + 2
    if width is not None and width < needed:
        schema.pop("maximum")
        schema.pop("exclusiveMaximum")
    return schema


def object_schemas(leaves: st.SearchStrategy[dict[str, Any]]) -> st.SearchStrategy[dict[str, Any]]:
    def build(children: st.SearchStrategy[dict[str, Any]]) -> st.SearchStrategy[dict[str, Any]]:
        names = st.sampled_from(["id", "email", "firstName", "city", "price", "tags", "note", "x"])
        props = st.dictionaries(names, children, max_size=4)
        objects = props.flatmap(
            lambda p: st.fixed_dictionaries(
                {
                    "type": st.just("object"),
                    "properties": st.just(p),
                    "required": st.lists(st.sampled_from(sorted(p)), unique=True)
                    if p
                    else st.just([]),
                }
            )
        )
        arrays = st.fixed_dictionaries(
            {"type": st.just("array"), "items": children, "maxItems": st.integers(0, 4)}
        )
        return objects | arrays

    return st.recursive(leaves, build, max_leaves=8)


ANY_SCHEMA = object_schemas(string_schemas() | numeric_schemas() | st.just({"type": "boolean"}))


DRAWN = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@DRAWN
@given(schema=ANY_SCHEMA, seed=SEEDS)
def test_drawn_schemas_validate(schema: dict[str, Any], seed: int) -> None:
    check_generated(schema, schema, "response", seed)


@pytest.mark.fuzz
@settings(DRAWN, max_examples=1000)
@given(schema=ANY_SCHEMA, seed=SEEDS)
def test_drawn_schemas_validate_long(schema: dict[str, Any], seed: int) -> None:
    check_generated(schema, schema, "response", seed)
