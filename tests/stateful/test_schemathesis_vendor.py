"""Schemathesis's stateful mode against ``mock --stateful`` of Emporix customer management.

The vendor spec (specs/emporix-customer-management.yaml) declares OpenAPI links from
createContactAssignment (and a creating upsert) to getContactAssignment,
upsertContactAssignment and deleteContactAssignment, by ``$response.body#/id``, and from
a delete to a read of the deleted id. The state machine follows them on both state
backends: no answer may be a 5xx, every answer must fit the spec (body and documented
status), a created contact assignment must be there to read
(``ensure_resource_availability``) and a deleted one gone (``use_after_free``). Each
scenario starts from an empty store. Bounded: 15 scenarios of up to 6 steps.
"""

from __future__ import annotations

import time
import warnings
from pathlib import Path
from typing import Any

import hypothesis
import pytest
import schemathesis
import yaml
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
from tests.stateful.conftest import forgetting_fails, open_store, recording_machine

# Many generated cases through code the unit and HTTP tests cover line by line:
# coverage's tracer would double their time, so it pauses for them (tests/conftest.py).
pytestmark = pytest.mark.coverage_off

warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")

SPEC = Path(__file__).resolve().parent.parent.parent / "specs" / "emporix-customer-management.yaml"
HEADERS = {"Authorization": "Bearer vendor-test"}
CHECKS: list[Any] = [not_a_server_error, response_schema_conformance, status_code_conformance,
                     ensure_resource_availability, use_after_free]
COLLECTION = "/customer-management/{tenant}/contact-assignments"
ITEM = COLLECTION + "/{contactAssignmentId}"


def _document() -> dict[str, Any]:
    """The spec as Schemathesis sees it: getContactAssignment without its ``fields`` query.

    ensure_resource_availability judges a 404 only on a request whose every parameter
    came from a link, and no link fills the optional projection ``fields``. The mock
    still serves the spec as shipped.
    """
    document: dict[str, Any] = yaml.safe_load(SPEC.read_text())
    read = document["paths"][ITEM]["get"]
    read["parameters"] = [parameter for parameter in read["parameters"]
                          if parameter != {"$ref": "#/components/parameters/fields"}]
    return document


def _machine(store: Store) -> Any:
    config = SchemathesisConfig.from_dict({"headers": HEADERS,
                                           "generation": {"deterministic": True}})
    schema = schemathesis.openapi.from_dict(_document(), config=config)
    app = create_mock_app([SPEC], Options(), stateful=True, store=store)
    schema.app = app
    calls: list[tuple[str, int]] = []
    assert app.stateful is not None
    tenant = app.stateful.tenant
    # Each scenario starts from an empty mock, as an admin reset would leave it: a
    # record left by an earlier scenario (a client-chosen id answered 409 the second
    # time) would make Hypothesis's replays of a scenario differ.
    machine = recording_machine(schema, CHECKS, calls, lambda: store.drop_tenant(tenant))
    return machine, calls, app


SETTINGS = hypothesis.settings(
    max_examples=15, stateful_step_count=6, deadline=None, database=None,
    derandomize=True, suppress_health_check=list(hypothesis.HealthCheck))


def test_schemathesis_state_machine_on_customer_management(backend: str) -> None:
    store = open_store(backend)
    try:
        machine, calls, app = _machine(store)
        started = time.monotonic()
        run_state_machine_as_test(machine, settings=SETTINGS)
        assert time.monotonic() - started < 20
    finally:
        if hasattr(store, "flush"):
            store.flush()
            store.close()
    # The links were followed: assignments were created, then read back from the store.
    assert (f"POST {COLLECTION}", 201) in calls, calls
    assert (f"GET {ITEM}", 200) in calls, calls
    assert (f"PUT {ITEM}", 204) in calls, calls  # an upsert of a created assignment updates
    assert not any(status >= 500 for _, status in calls)
    assert app.stateful is not None


def test_an_upsert_answers_201_when_it_creates_and_204_when_it_updates(backend: str) -> None:
    """The spec documents 201 (created) and 204 (updated) for the upsert, and no 200.

    Seen in the traffic of the run above (no check fails on it, 201 being documented): an
    update of a stored assignment was answered 201 Created, with a body.
    """
    from starlette.testclient import TestClient

    store = open_store(backend)
    try:
        client = TestClient(create_mock_app([SPEC], Options(), stateful=True, store=store),
                            base_url="http://127.0.0.1:4010", headers=HEADERS)
        base = "/customer-management/acme/contact-assignments"
        posted = client.post(base, json={"legalEntity": {"id": "le1"}, "customer": {"id": "c1"}})
        assert posted.status_code == 201
        created = posted.json()["id"]
        body = {"legalEntity": {"id": "le1"}, "customer": {"id": "c2"}, "type": "BILLING"}
        updated = client.put(f"{base}/{created}", json=body)
        assert (updated.status_code, updated.content) == (204, b"")
        read = client.get(f"{base}/{created}").json()
        assert (read["id"], read["customer"], read["type"]) == (created, {"id": "c2"}, "BILLING")
        assert client.put(f"{base}/my-contact-1", json=body).status_code == 201
        assert client.put(f"{base}/my-contact-1", json=body).status_code == 204
    finally:
        if hasattr(store, "flush"):
            store.flush()
            store.close()


def test_the_run_has_teeth(monkeypatch: pytest.MonkeyPatch) -> None:
    """A mock that forgets the assignments it created fails the run."""
    assert "Created resource not found" in forgetting_fails(
        monkeypatch, lambda: _machine(open_store("memory"))[0], SETTINGS)
