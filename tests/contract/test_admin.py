"""Schemathesis proves every admin API response matches specs/admin.yaml."""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis

from tests.contract import FUZZ_EXAMPLES, all_checks, load_schema

# Many generated cases through code the unit and HTTP tests cover line by line:
# coverage's tracer would double their time, so it pauses for them (tests/conftest.py).
pytestmark = pytest.mark.coverage_off

# Schema-valid requests the admin API refuses by its rules (described in the spec):
# an unknown tenant or rule is 404; a state import is also checked against the
# services' schemas (400); a fault rule naming an unknown operationId, or a status
# its operation does not document, is 400; a tenant name in use, or a default
# tenant dropped, is 409.
RULE_REFUSALS = [
    {"include-operation-id": op,
     "checks": {"positive_data_acceptance": {"expected-statuses": ["2xx", *statuses]}}}
    for op, statuses in (
        ("resetState", ["404"]),
        ("exportState", ["404"]),
        ("importState", ["400", "404"]),
        ("listOutbox", ["404"]),
        ("createFault", ["400"]),
        ("deleteFault", ["404"]),
        ("createTenant", ["409"]),
        ("deleteTenant", ["404", "409"]),
    )
]

@pytest.fixture(scope="module")
def admin_schema() -> Any:
    return load_schema("admin", operations=RULE_REFUSALS)


@pytest.fixture(scope="module")
def admin_schema_long() -> Any:
    return load_schema("admin", operations=RULE_REFUSALS, max_examples=FUZZ_EXAMPLES)


@schemathesis.pytest.from_fixture("admin_schema").parametrize()
def test_admin_conforms(case) -> None:
    case.call_and_validate(checks=all_checks())


@pytest.mark.fuzz
@schemathesis.pytest.from_fixture("admin_schema_long").parametrize()
def test_admin_conforms_long(case) -> None:
    case.call_and_validate(checks=all_checks())
