"""Schemathesis against `specdouble mock`, in-process: no 5xx, every answer fits the spec.

Checked in both modes (static and ``-d``) on the small OAS 2.0, 3.0 and 3.1 specs; 422
problems for invalid requests are Prism's behaviour, so only the server-error and
response-conformance checks run (see docs/prism-compatibility.md).
"""

from __future__ import annotations

import base64
import warnings
from typing import Any

import pytest
import schemathesis
from schemathesis.checks import not_a_server_error
from schemathesis.config import SchemathesisConfig
from schemathesis.specs.openapi.checks import response_schema_conformance
from schemathesis.specs.openapi.schemas import OpenApiSchema

from specdouble.engine.mock import Options
from specdouble.http.mock import create_mock_app
from tests.mock.helpers import SPECS

warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")

HEADERS = {"Authorization": "Bearer x", "X-Api-Key": "k", "x-trace": "t"}


def _schema(name: str, dynamic: bool, headers: dict[str, str] = HEADERS) -> OpenApiSchema:
    config = SchemathesisConfig.from_dict({"headers": headers, "generation": {
        "mode": "all", "max-examples": 15, "deterministic": True}})
    schema = schemathesis.openapi.from_path(str(SPECS / name), config=config)
    schema.app = create_mock_app([SPECS / name], Options(dynamic=dynamic))
    return schema


pets30 = _schema("pets30.yaml", False)
pets30_dynamic = _schema("pets30.yaml", True)
pets31 = _schema("pets31.yaml", False)
pets31_dynamic = _schema("pets31.yaml", True)
BASIC = {"Authorization": "Basic " + base64.b64encode(b"any:thing").decode()}
pets20 = _schema("pets20.yaml", False, BASIC)
pets20_dynamic = _schema("pets20.yaml", True, BASIC)
CHECKS: list[Any] = [not_a_server_error, response_schema_conformance]


@pets20.parametrize()
def test_pets20_static(case) -> None:  # type: ignore[no-untyped-def]
    case.call_and_validate(checks=CHECKS)


@pets20_dynamic.parametrize()
def test_pets20_dynamic(case) -> None:  # type: ignore[no-untyped-def]
    case.call_and_validate(checks=CHECKS)


@pets30.parametrize()
def test_pets30_static(case) -> None:  # type: ignore[no-untyped-def]
    case.call_and_validate(checks=CHECKS)


@pets30_dynamic.parametrize()
def test_pets30_dynamic(case) -> None:  # type: ignore[no-untyped-def]
    case.call_and_validate(checks=CHECKS)


@pets31.parametrize()
def test_pets31_static(case) -> None:  # type: ignore[no-untyped-def]
    case.call_and_validate(checks=CHECKS)


@pets31_dynamic.parametrize()
def test_pets31_dynamic(case) -> None:  # type: ignore[no-untyped-def]
    case.call_and_validate(checks=CHECKS)


def test_the_checks_have_teeth() -> None:
    """The bad-example spec fails response conformance: the suite would notice a lie."""
    schema = _schema("badexample.yaml", False)
    case = schema["/count"]["GET"].Case()
    with pytest.raises(BaseException) as raised:  # a FailureGroup (a BaseExceptionGroup)
        case.call_and_validate(checks=CHECKS)
    assert "Response violates schema" in str(getattr(raised.value, "exceptions", [""])[0])
