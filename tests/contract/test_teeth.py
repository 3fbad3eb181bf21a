"""The Schemathesis suite has teeth: a deliberately broken handler makes it fail.

Each test breaks the server one way, runs the same checks the contract
suite runs on the affected operation, and expects a failure naming the
right check. If a check were dropped from the suite, these would fail.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from schemathesis.core.failures import FailureGroup

from specdouble.domain import pickpack
from specdouble.http.app import create_app
from specdouble.http.handlers import pickpack as pickpack_handlers
from specdouble.http.respond import json_response
from tests.contract import all_checks, load_schema

HEADERS = {"Authorization": "Bearer acme-all", "saas-token": "text"}


def run_suite_on(path: str, method: str) -> None:
    schema = load_schema("emporix-pick-pack", headers=HEADERS,
                         parameters={"path.tenant": "acme"}, app=create_app())
    operation = schema[path][method]

    @given(case=operation.as_strategy())
    @settings(max_examples=10, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    def check(case: Any) -> None:
        case.path_parameters["tenant"] = "acme"  # as_strategy ignores the config's pin
        case.call_and_validate(checks=all_checks())

    check()


_real_get = pickpack.get_recalculation


def test_undocumented_status_fails_the_suite(monkeypatch: pytest.MonkeyPatch) -> None:
    def teapot(body: Any, status: int = 200, headers: Any = None) -> Any:
        return json_response(body, 418, headers)

    def any_job(store: Any, tenant: str, job_id: str) -> dict[str, Any]:
        return _real_get(store, tenant, "123")  # the fixtures' job, whatever id was asked

    monkeypatch.setattr(pickpack, "get_recalculation", any_job)
    monkeypatch.setattr(pickpack_handlers, "json_response", teapot)
    with pytest.raises(FailureGroup) as caught:
        run_suite_on("/pick-pack/{tenant}/jobs/recalculations/{jobId}", "GET")
    assert "Undocumented status code" in str(caught.value)


def test_body_violating_its_schema_fails_the_suite(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(store: Any, tenant: str, job_id: str) -> dict[str, Any]:
        return {"id": job_id, "jobType": "SOMETIMES", "jobStatus": 7}

    monkeypatch.setattr(pickpack, "get_recalculation", broken)
    with pytest.raises(FailureGroup) as caught:
        run_suite_on("/pick-pack/{tenant}/jobs/recalculations/{jobId}", "GET")
    assert "Response violates schema" in str(caught.value)


def test_a_correct_server_passes_the_same_run() -> None:
    run_suite_on("/pick-pack/{tenant}/jobs/recalculations/{jobId}", "GET")
