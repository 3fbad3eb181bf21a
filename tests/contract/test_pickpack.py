"""Schemathesis proves every pick-pack and Emporix OAuth response matches the specs."""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis

from tests.contract import CI_EXAMPLES, FUZZ_EXAMPLES, all_checks, load_schema

# Many generated cases through code the unit and HTTP tests cover line by line:
# coverage's tracer would double their time, so it pauses for them (tests/conftest.py).
pytestmark = pytest.mark.coverage_off

# Schema-valid requests these operations refuse by documented business rules, so
# valid data may also be answered with these statuses (see docs/spec-notes.md):
# createEvent: an orderNumber/productId that is not in the tenant is 400 (no 404 documented);
# addAssignee: force=false on an order that has an assignee is 400;
# createRecalculation: MANUAL without orderIds is 400.
RULE_REFUSALS = [
    {"include-operation-id": op,
     "checks": {"positive_data_acceptance": {"expected-statuses": ["2xx", "400", "404", "409"]}}}
    for op in ("createEvent", "addAssignee", "createRecalculation")
]

def pickpack(max_examples: int = CI_EXAMPLES) -> Any:
    return load_schema(
        "emporix-pick-pack",
        headers={"Authorization": "Bearer acme-all", "saas-token": "text"},
        parameters={"path.tenant": "acme"},
        operations=RULE_REFUSALS,
        max_examples=max_examples,
    )


@pytest.fixture(scope="module")
def pickpack_schema() -> Any:
    return pickpack()


@pytest.fixture(scope="module")
def pickpack_schema_long() -> Any:
    return pickpack(FUZZ_EXAMPLES)


@schemathesis.pytest.from_fixture("pickpack_schema").parametrize()
def test_pickpack_conforms(case) -> None:
    case.call_and_validate(checks=all_checks())


@pytest.mark.fuzz
@schemathesis.pytest.from_fixture("pickpack_schema_long").parametrize()
def test_pickpack_conforms_long(case) -> None:
    case.call_and_validate(checks=all_checks())


# issueToken: the form may omit client_id/client_secret (they can come by HTTP Basic), so a
# schema-valid form without them and without Basic is refused 400 invalid_request.
def oauth(max_examples: int = CI_EXAMPLES) -> Any:
    return load_schema(
        "emporix-oauth",
        operations=[{"include-operation-id": "issueToken",
                     "checks": {"positive_data_acceptance": {
                         "expected-statuses": ["2xx", "400", "401", "403"]}}}],
        max_examples=max_examples,
    )


@pytest.fixture(scope="module")
def oauth_schema() -> Any:
    return oauth()


@pytest.fixture(scope="module")
def oauth_schema_long() -> Any:
    return oauth(FUZZ_EXAMPLES)


@schemathesis.pytest.from_fixture("oauth_schema").parametrize()
def test_emporix_oauth_conforms(case) -> None:
    case.call_and_validate(checks=all_checks())


@pytest.mark.fuzz
@schemathesis.pytest.from_fixture("oauth_schema_long").parametrize()
def test_emporix_oauth_conforms_long(case) -> None:
    case.call_and_validate(checks=all_checks())
