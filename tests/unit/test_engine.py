"""The engine's parts alone: route index, schema checks, plan compilation."""

from __future__ import annotations

from typing import Any

import pytest
from jsonschema import Draft4Validator

from specdouble.engine.plan import OperationSource, compile_operation
from specdouble.engine.routes import RouteIndex
from specdouble.engine.validate import FORMAT_CHECKER, SchemaCheck, fast_validator, schema_errors


def test_routes_find_by_method_and_first_segment() -> None:
    index: RouteIndex[str] = RouteIndex()
    index.add("GET", "/pick-pack/{tenant}/events", "list")
    index.add("POST", "/pick-pack/{tenant}/events", "create")
    index.add("GET", "/pick-pack/{tenant}/jobs/recalculations/{jobId}", "job")
    assert index.find("GET", "/pick-pack/acme/events") == ("list", {"tenant": "acme"})
    assert index.find("POST", "/pick-pack/acme/events") == ("create", {"tenant": "acme"})
    assert index.find("GET", "/pick-pack/acme/jobs/recalculations/7") == (
        "job", {"tenant": "acme", "jobId": "7"})
    assert index.find("DELETE", "/pick-pack/acme/events") is None
    assert index.find("GET", "/pick-pack/acme/events/") is None
    assert index.find("GET", "/pick-pack//events") is None
    assert index.find("GET", "/pick-pack/a\x01/events") is None


def test_literal_segments_win_over_parameters() -> None:
    index: RouteIndex[str] = RouteIndex()
    index.add("GET", "/things/{id}", "one")
    index.add("GET", "/things/special", "special")
    assert index.find("GET", "/things/special") == ("special", {})
    assert index.find("GET", "/things/other") == ("one", {"id": "other"})


def test_templates_with_a_parameter_inside_a_segment_are_not_indexed() -> None:
    index: RouteIndex[str] = RouteIndex()
    assert not index.add("GET", "/files/{name}.json", "file")
    assert index.find("GET", "/files/a.json") is None


def test_lookup_does_not_scan_other_prefixes() -> None:
    index: RouteIndex[int] = RouteIndex()
    for number in range(5000):
        index.add("GET", f"/op{number}/{{id}}", number)
    assert index.find("GET", "/op4999/x") == (4999, {"id": "x"})
    assert len(index._buckets[("GET", "op4999", 2)]) == 1


def _reference(schema: dict[str, Any]) -> Draft4Validator:
    return Draft4Validator(schema, format_checker=FORMAT_CHECKER)


INT32 = {"type": "integer", "format": "int32"}
CASES = [
    (INT32, 5), (INT32, 2**31), (INT32, -(2**31) - 1), (INT32, "5"), (INT32, 1.0),
    ({"type": "integer", "format": "int64"}, 2**63),
    ({"type": "string", "format": "date-time"}, "2020-09-14T13:35:18Z"),
    ({"type": "string", "format": "date-time"}, "yesterday"),
    ({"type": "string", "format": "email"}, "nobody"),
    ({"type": "object", "required": ["a", "b"], "properties": {"a": INT32}}, {"a": 2**40}),
    ({"type": "object", "additionalProperties": False}, {"x": 1}),
    ({"type": "array", "items": {"type": "string", "maxLength": 2}}, ["ok", "long"]),
]


@pytest.mark.parametrize(("schema", "value"), CASES)
def test_the_check_agrees_with_the_reference_word_for_word(schema: dict[str, Any],
                                                           value: Any) -> None:
    check = SchemaCheck(schema, lambda: _reference(schema))
    reference = _reference(schema)
    assert check.body_errors(value) == schema_errors(reference, value, "body")
    assert check.messages(value) == [e.message for e in reference.iter_errors(value)]
    assert check.valid(value) == reference.is_valid(value)


def test_jsonschema_rs_is_at_least_as_strict_on_integer_formats() -> None:
    fast = fast_validator(INT32)
    assert fast is not None
    assert fast.is_valid(2**31 - 1)
    assert not fast.is_valid(2**31)


def test_a_schema_jsonschema_rs_cannot_take_is_left_to_the_reference() -> None:
    schema = {"type": "string", "pattern": "(?<=a)b(?P<x>"}
    assert fast_validator(schema) is None


def _source(**changes: Any) -> OperationSource:
    async def invoke(kwargs: dict[str, Any]) -> Any:
        return 200, [], b""

    base: dict[str, Any] = {
        "operation_id": "op", "service": "s", "method": "GET", "path": "/s/{tenant}",
        "parameters": ({"name": "tenant", "in": "path", "required": True,
                        "schema": {"type": "string"}},),
        "argument_names": {"tenant": "tenant"}, "request_body": {}, "consumes": (),
        "security": ({"OAuth2": ["read"]},), "security_schemes": {"OAuth2": {"type": "oauth2"}},
        "invoke": invoke, "arguments": frozenset({"tenant"}), "has_kwargs": False,
    }
    return OperationSource(**{**base, **changes})


def test_a_plan_holds_the_bearer_scopes_and_parameters() -> None:
    plan = compile_operation(_source(), lambda schema, kind: _reference(schema))
    assert plan.declined is None
    assert plan.bearer_scopes == ("read",)
    assert [p.name for p in plan.params] == ["tenant"]


@pytest.mark.parametrize("changes", [
    {"security_schemes": {"OAuth2": {"type": "http", "scheme": "basic"}}},
    {"security": ({"OAuth2": [], "Other": []},)},
    {"parameters": ({"name": "ids", "in": "query", "schema": {"type": "array"}},)},
    {"parameters": ({"name": "q", "in": "query", "style": "form", "schema": {"type": "string"}},)},
    {"request_body": {"content": {"application/x-www-form-urlencoded": {"schema": {}}}},
     "consumes": ("application/x-www-form-urlencoded",)},
    {"has_kwargs": True},
    {"invoke": None},
])
def test_shapes_the_pipeline_does_not_decode_are_declined(changes: dict[str, Any]) -> None:
    plan = compile_operation(_source(**changes), lambda schema, kind: _reference(schema))
    assert plan.declined


def test_text_jsonschema_rs_cannot_take_is_checked_by_the_reference() -> None:
    schema = {"type": "object", "properties": {"name": {"type": "integer"}}}
    check = SchemaCheck(schema, lambda: _reference(schema))
    expected = ["body.name: '\\ud800' is not of type 'integer'"]
    assert check.body_errors({"name": "\ud800"}) == expected
