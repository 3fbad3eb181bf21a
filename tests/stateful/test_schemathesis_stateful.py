"""Schemathesis's stateful mode (OpenAPI links) against ``mock --stateful`` of a petstore.

The state machine chains createPet to showPetById, updatePet, patchPet and deletePet
through the spec's links: every answer must fit the spec, none may be a 5xx, and a
created pet must be there to read (``ensure_resource_availability``) until it is
deleted (``use_after_free``). Bounded: a few short scenarios, well under 30 s.
"""

from __future__ import annotations

import time
import warnings
from typing import Any

import hypothesis
import pytest
import schemathesis
from schemathesis.checks import not_a_server_error
from schemathesis.config import SchemathesisConfig
from schemathesis.generation.stateful import run_state_machine_as_test
from schemathesis.specs.openapi.checks import (
    ensure_resource_availability,
    response_schema_conformance,
    status_code_conformance,
    use_after_free,
)

from specdouble.engine.mock import Options
from specdouble.http.mock import create_mock_app
from specdouble.state.base import Store
from tests.stateful.conftest import SPECS, forgetting_fails, open_store, recording_machine

warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")

CHECKS: list[Any] = [not_a_server_error, response_schema_conformance, status_code_conformance,
                     ensure_resource_availability, use_after_free]


def _machine(store: Store) -> Any:
    config = SchemathesisConfig.from_dict({"generation": {"deterministic": True}})
    schema = schemathesis.openapi.from_path(str(SPECS / "petstore-links.yaml"), config=config)
    app = create_mock_app([SPECS / "petstore-links.yaml"], Options(), stateful=True, store=store)
    schema.app = app
    calls: list[tuple[str, int]] = []
    return recording_machine(schema, CHECKS, calls), calls, app


def test_schemathesis_state_machine_finds_nothing(backend: str) -> None:
    store = open_store(backend)
    try:
        machine, calls, app = _machine(store)
        started = time.monotonic()
        run_state_machine_as_test(machine, settings=hypothesis.settings(
            max_examples=15, stateful_step_count=6, deadline=None, database=None,
            derandomize=True, suppress_health_check=list(hypothesis.HealthCheck)))
        assert time.monotonic() - started < 30
    finally:
        if hasattr(store, "flush"):
            store.flush()
            store.close()
    # The links were followed: pets were created, then read back from the store.
    assert ("POST /pets", 201) in calls, calls
    assert any(call == "GET /pets/{petId}" and status == 200 for call, status in calls), calls
    assert not any(status >= 500 for _, status in calls)
    assert app.stateful is not None


def test_the_run_has_teeth(monkeypatch: pytest.MonkeyPatch) -> None:
    """A mock that forgets what was created fails the run (ensure_resource_availability)."""
    failure = forgetting_fails(monkeypatch, lambda: _machine(open_store("memory"))[0],
                               hypothesis.settings(
        max_examples=15, stateful_step_count=6, deadline=None, database=None,
        derandomize=True, suppress_health_check=list(hypothesis.HealthCheck)))
    assert "Created resource not found" in failure
