"""Schemathesis against `specdouble mock` on the vendors' specs of specs/ and a large spec.

Emporix pick-pack, Emporix customer management and Shopatron order (the third-party
APIs the project ships), each in static and dynamic (``-d``) mode: no 5xx, every answer
fits the spec. As in test_schemathesis.py, 422 problems for invalid requests are Prism's
behaviour, so only the server-error and response-conformance checks run (see
docs/prism-compatibility.md); these specs document a 400 for invalid input, which the
mock answers. The mock, like Prism, only checks that credentials are present: any bearer
token passes their OAuth2 and HTTP bearer schemes.

The generated spec of 1,000 operations (bench/userspec.py) is served whole and tested on
a sample of its operations (the five of the last resource, the read of the first and of a
middle one), so the run stays bounded. Positive and negative cases from Schemathesis's
examples, coverage and fuzzing phases; deterministic, 5 fuzzed examples per operation (3
on the generated spec).
"""

from __future__ import annotations

import tempfile
import warnings
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from bench import userspec
from schemathesis.checks import not_a_server_error
from schemathesis.config import SchemathesisConfig
from schemathesis.schemas import BaseSchema
from schemathesis.specs.openapi.checks import response_schema_conformance
from schemathesis.specs.openapi.schemas import OpenApiSchema

from specdouble.engine.mock import Options
from specdouble.http.mock import create_mock_app

# Many generated cases through code the unit and HTTP tests cover line by line:
# coverage's tracer would double their time, so it pauses for them (tests/conftest.py).
pytestmark = pytest.mark.coverage_off

warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")

SPECS = Path(__file__).resolve().parent.parent.parent / "specs"
HEADERS = {"Authorization": "Bearer vendor-test"}
CHECKS: list[Any] = [not_a_server_error, response_schema_conformance]


def _config(headers: dict[str, str] | None, max_examples: int) -> SchemathesisConfig:
    settings: dict[str, Any] = {"generation": {
        "mode": "all", "max-examples": max_examples, "deterministic": True}}
    if headers:
        settings["headers"] = headers
    return SchemathesisConfig.from_dict(settings)


def _vendor(name: str, dynamic: bool) -> OpenApiSchema:
    schema = schemathesis.openapi.from_path(str(SPECS / name), config=_config(HEADERS, 5))
    schema.app = create_mock_app([SPECS / name], Options(dynamic=dynamic))
    return schema


pick_pack = _vendor("emporix-pick-pack.yaml", False)
pick_pack_dynamic = _vendor("emporix-pick-pack.yaml", True)
customers = _vendor("emporix-customer-management.yaml", False)
customers_dynamic = _vendor("emporix-customer-management.yaml", True)
shopatron = _vendor("shopatron-order.yaml", False)
shopatron_dynamic = _vendor("shopatron-order.yaml", True)

OPERATIONS = 1000
LAST = userspec.last_resource(OPERATIONS)
SAMPLE = ["getItem0", f"getItem{LAST // 2}"] + [
    f"{verb}{LAST}" for verb in ("listItems", "createItem", "getItem", "replaceItem", "deleteItem")]


def _generated(dynamic: bool) -> BaseSchema:
    """Schemathesis on the sampled operations; the mock serves all 1,000 (no security)."""
    schema = schemathesis.openapi.from_dict(userspec.spec(OPERATIONS), config=_config(None, 3))
    sampled = schema.include(operation_id=SAMPLE)
    with tempfile.TemporaryDirectory() as directory:
        sampled.app = create_mock_app([userspec.write(OPERATIONS, Path(directory))],
                                      Options(dynamic=dynamic))
    return sampled


generated = _generated(False)
generated_dynamic = _generated(True)


@pick_pack.parametrize()
def test_pick_pack_static(case) -> None:  # type: ignore[no-untyped-def]
    case.call_and_validate(checks=CHECKS)


@pick_pack_dynamic.parametrize()
def test_pick_pack_dynamic(case) -> None:  # type: ignore[no-untyped-def]
    case.call_and_validate(checks=CHECKS)


@customers.parametrize()
def test_customer_management_static(case) -> None:  # type: ignore[no-untyped-def]
    case.call_and_validate(checks=CHECKS)


@customers_dynamic.parametrize()
def test_customer_management_dynamic(case) -> None:  # type: ignore[no-untyped-def]
    case.call_and_validate(checks=CHECKS)


@shopatron.parametrize()
def test_shopatron_order_static(case) -> None:  # type: ignore[no-untyped-def]
    case.call_and_validate(checks=CHECKS)


@shopatron_dynamic.parametrize()
def test_shopatron_order_dynamic(case) -> None:  # type: ignore[no-untyped-def]
    case.call_and_validate(checks=CHECKS)


@generated.parametrize()
def test_generated_1000_static(case) -> None:  # type: ignore[no-untyped-def]
    case.call_and_validate(checks=CHECKS)


@generated_dynamic.parametrize()
def test_generated_1000_dynamic(case) -> None:  # type: ignore[no-untyped-def]
    case.call_and_validate(checks=CHECKS)


@pytest.mark.parametrize(("schema", "method", "path", "body"), [
    (pick_pack, "GET", "/pick-pack/acme/events", None),
    (customers, "GET", "/customer-management/acme/contact-assignments", None),
    (shopatron, "POST", "/api/v2/order/action/assign",
     {"orderID": 1, "sendEmails": False, "rectifyOrder": False,
      "packageAssignment": [{"autoAssign": True}]}),
], ids=["pick-pack", "customer-management", "shopatron"])
def test_the_headers_pass_the_security_schemes(schema: OpenApiSchema, method: str, path: str,
                                               body: Any) -> None:
    """Without credentials the mock answers 401; with HEADERS the operations are reached."""
    from starlette.testclient import TestClient

    client = TestClient(schema.app, base_url="http://127.0.0.1:4010")
    assert client.request(method, path, json=body).status_code == 401
    answered = client.request(method, path, json=body, headers=HEADERS)
    assert answered.status_code == 200, answered.text


def test_the_sample_reaches_the_last_resource() -> None:
    """The sample is what it claims: the last resource's five operations and a few others."""
    labels = {operation.ok().definition.raw.get("operationId")
              for operation in generated.get_all_operations()}
    assert labels == set(SAMPLE)
    assert f"getItem{LAST}" in labels and LAST == OPERATIONS // 5 - 1
