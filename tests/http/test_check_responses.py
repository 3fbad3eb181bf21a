"""``serve --check-responses``: each answer checked, violations logged and journaled."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from specdouble.domain import pickpack
from tests.conftest import ACME_ALL

JOB = "/pick-pack/acme/jobs/recalculations/123"


def last_entry(client: Any) -> dict[str, Any]:
    return client.get("/__admin/requests", params={"limit": 1}).json()["requests"][0]


def test_conforming_answer_is_marked_checked(make_client) -> None:
    checking = make_client(check_responses=True)
    assert checking.get(JOB, headers=ACME_ALL).status_code == 200
    assert last_entry(checking)["conformance"] == {"checked": True, "violations": []}


def test_off_by_default(client) -> None:
    client.get(JOB, headers=ACME_ALL)
    assert last_entry(client)["conformance"] == {"checked": False, "violations": []}


def test_violation_is_logged_and_journaled(make_client, monkeypatch: pytest.MonkeyPatch,
                                           caplog: pytest.LogCaptureFixture) -> None:
    def broken(store: Any, tenant: str, job_id: str) -> dict[str, Any]:
        return {"id": job_id, "jobType": "SOMETIMES"}

    # the raw client: the suite's checking client would fail on the bad answer itself
    from starlette.testclient import TestClient

    from specdouble.http.app import create_app
    from specdouble.support.settings import Settings

    monkeypatch.setattr(pickpack, "get_recalculation", broken)
    with caplog.at_level(logging.WARNING, logger="specdouble.spec.conformance"), TestClient(
        create_app(Settings(check_responses=True))
    ) as raw:
        response = raw.get(JOB, headers=ACME_ALL)
        assert response.status_code == 200 and response.json()["jobType"] == "SOMETIMES"
        entry = last_entry(raw)
    assert entry["conformance"]["checked"] is True
    violations = " ".join(entry["conformance"]["violations"])
    assert "SOMETIMES" in violations or "jobType" in violations
    assert any("violates its spec" in record.getMessage() for record in caplog.records)
