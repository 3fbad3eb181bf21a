"""Every spec is a valid OpenAPI 3.0 document, and every service is served."""

from __future__ import annotations

from pathlib import Path

import pytest
from openapi_spec_validator import validate
from openapi_spec_validator.readers import read_from_filename
from prance import ResolvingParser

from specdouble.http.app import available_services
from specdouble.services import BUILT_IN as SERVICES
from specdouble.spec.loader import operations
from specdouble.support.resources import specs_dir
from specdouble.support.settings import Settings

SPECS = sorted(specs_dir().glob("*.yaml"))


def test_there_are_specs() -> None:
    assert {s.spec_file for s in SERVICES} <= {p.name for p in SPECS}


@pytest.mark.parametrize("path", SPECS, ids=lambda p: p.name)
def test_spec_is_valid_openapi(path: Path) -> None:
    spec_dict, _ = read_from_filename(str(path))
    assert spec_dict["openapi"].startswith("3.0")
    validate(spec_dict)
    resolved = ResolvingParser(str(path), backend="openapi-spec-validator").specification
    assert resolved["paths"]


@pytest.mark.parametrize("path", SPECS, ids=lambda p: p.name)
def test_every_operation_has_an_id_and_json_errors(path: Path) -> None:
    spec = ResolvingParser(str(path), backend="openapi-spec-validator").specification
    for method, route, operation in operations(spec):
        assert operation.get("operationId"), f"{method} {route} has no operationId"
        for status, response in operation["responses"].items():
            if status.startswith(("4", "5")):
                assert "application/json" in response.get("content", {}), (
                    f"{method} {route} {status} has no JSON body"
                )


def test_every_catalog_service_is_available() -> None:
    assert [s.name for s in available_services(Settings())] == [s.name for s in SERVICES]
