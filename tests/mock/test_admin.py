"""The admin API on user specs: health, journal, faults, state, token (issue 15).

The same ``/__admin`` as beside the built-in services, in its own error shape
(``{status, error, message, details}``), while the user's operations keep
Prism's. Swagger 2.0 (pets20.yaml), OpenAPI 3.0 (pets30.yaml) and 3.1 (pets31.yaml).
"""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from specdouble.engine.mock import Options
from specdouble.http.mock import create_mock_app
from specdouble.support.settings import Settings
from tests.mock.helpers import SPECS, mock_client, problem_type

BASE = "http://127.0.0.1:4010"


def admin_client(name: str, client: tuple[str, int] = ("testclient", 50000),
                 **settings: Any) -> TestClient:
    app = create_mock_app([SPECS / name], Options(), settings=Settings(**settings))
    return TestClient(app, base_url=BASE, client=client)


def admin_error(response: Any, status: int) -> dict[str, Any]:
    """The admin API's own error shape, never Prism's."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert set(body) == {"status", "error", "message", "details"} and body["status"] == status
    return dict(body)


def journal(client: TestClient, **filters: Any) -> list[dict[str, Any]]:
    response = client.get("/__admin/requests", params=filters)
    assert response.status_code == 200, response.text
    return list(response.json()["requests"])


# --- health -------------------------------------------------------------------------------

@pytest.mark.parametrize("spec", ["pets20.yaml", "pets30.yaml", "pets31.yaml"])
def test_health_counts_journal_and_faults(spec: str) -> None:
    client = mock_client(spec)
    client.get("/pets")
    client.post("/__admin/faults", json={"path": "/nothing", "delayMs": 1})
    health = client.get("/__admin/health")
    assert health.status_code == 200
    body = health.json()
    assert body["status"] == "ok" and body["tenants"] == ["default"]
    assert body["journal"] == {"entries": 1, "capacity": 1000} and body["faults"] == 1


# --- journal ------------------------------------------------------------------------------

def test_journal_newest_first_with_filters_and_clear() -> None:
    client = mock_client("pets30.yaml")
    assert client.get("/pets").status_code == 200
    assert client.get("/pets/7").status_code == 200
    assert client.get("/pets?limit=abc").status_code == 422
    assert client.post("/pets", json={"name": "Rex"}).status_code == 401
    assert client.get("/nowhere").status_code == 404
    client.get("/__admin/health")  # the admin API is not traffic: never journaled
    entries = journal(client)
    assert [(e["method"], e["path"], e["status"]) for e in entries] == [
        ("GET", "/nowhere", 404), ("POST", "/pets", 401), ("GET", "/pets", 422),
        ("GET", "/pets/7", 200), ("GET", "/pets", 200)]
    assert [e["operationId"] for e in entries] == [None, "createPet", "listPets", "getPet",
                                                   "listPets"]
    invalid = entries[2]
    assert invalid["query"] == "limit=abc" and not invalid["validation"]["passed"]
    assert invalid["validation"]["errors"] == [
        "query.limit: Request query parameter limit must be integer"]
    assert entries[3]["validation"] == {"passed": True, "errors": []}
    assert json.loads(entries[3]["response"]["body"])["id"]
    assert [e["path"] for e in journal(client, operationId="listPets")] == ["/pets", "/pets"]
    assert [e["status"] for e in journal(client, method="POST")] == [401]
    assert [e["path"] for e in journal(client, path="/pets/*")] == ["/pets/7"]
    assert [e["path"] for e in journal(client, status=422)] == ["/pets"]
    assert len(journal(client, limit=2)) == 2
    assert client.delete("/__admin/requests").status_code == 204
    assert journal(client) == []


def test_journal_of_swagger_20_records_bodies_and_prefer() -> None:
    client = mock_client("pets20.yaml")
    client.post("/v2/pets", json={"id": 1, "name": "Rex"}, headers={"Authorization": "Basic eDp5"})
    client.get("/pets/1", headers={"Prefer": "code=200"})
    forced, created = journal(client)
    assert created["operationId"] == "createPet" and created["status"] == 201
    assert json.loads(created["request"]["body"]) == {"id": 1, "name": "Rex"}
    assert forced["operationId"] == "getPet" and forced["forced"] is True
    assert created["forced"] is False


def test_journal_filter_errors_are_the_admins_shape() -> None:
    body = admin_error(mock_client("pets30.yaml").get("/__admin/requests?status=abc"), 400)
    assert any("status" in detail for detail in body["details"])


def test_journal_console_line(caplog: pytest.LogCaptureFixture) -> None:
    client = admin_client("pets30.yaml", log_requests=True)
    with caplog.at_level(logging.INFO, logger="specdouble.requests"):
        client.get("/pets?limit=abc")
    (line,) = [r.getMessage() for r in caplog.records if r.name == "specdouble.requests"]
    assert line.startswith("GET /pets - listPets 422 ")
    assert "query.limit: Request query parameter limit must be integer" in line


def test_no_console_line_by_default(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="specdouble.requests"):
        mock_client("pets30.yaml").get("/pets")
    assert not [r for r in caplog.records if r.name == "specdouble.requests"]


# --- faults -------------------------------------------------------------------------------

def test_status_fault_answers_the_documented_response_then_expires() -> None:
    client = mock_client("pets30.yaml")
    created = client.post("/__admin/faults", json={"operationId": "getPet", "status": 404,
                                                   "times": 1})
    assert created.status_code == 201 and created.json()["id"] == "fault-1"
    faulted = client.get("/pets/7")
    assert faulted.status_code == 404 and faulted.json() == {"message": "not found"}
    assert "access-control-allow-origin" in faulted.headers  # CORS as on every answer
    assert client.get("/pets/7").status_code == 200
    assert client.get("/__admin/faults").json() == {"faults": []}
    assert [e["fault"] for e in journal(client)] == [None, "fault-1"]


def test_fault_before_validation_and_security() -> None:
    client = mock_client("pets30.yaml")
    client.post("/__admin/faults", json={"operationId": "createPet", "status": 500})
    answer = client.post("/pets", json={})  # no key, invalid body: the fault comes first
    assert answer.status_code == 500
    assert answer.headers["content-type"] == "application/json"  # the spec's `default`
    assert set(answer.json()) <= {"message"}


def test_path_rule_with_an_undocumented_status_is_prisms_problem() -> None:
    client = mock_client("pets30.yaml")
    client.post("/__admin/faults", json={"method": "GET", "path": "/pets*", "status": 503})
    answer = client.get("/pets")
    assert answer.status_code == 503 and problem_type(answer) == "UNKNOWN"
    assert "fault-1" in answer.json()["detail"]
    assert client.get("/owner").status_code == 200  # other paths untouched
    assert client.post("/pets", json={"name": "x"}, headers={"X-Api-Key": "k"}).status_code == 201


def test_swagger_20_status_fault_and_delete_by_id() -> None:
    client = mock_client("pets20.yaml")
    rule = client.post("/__admin/faults", json={"operationId": "createPet", "status": 400}).json()
    answer = client.post("/v2/pets", json={"id": 1, "name": "Rex"})
    assert answer.status_code == 400 and answer.json() == {"error": "bad"}
    listed = client.get("/__admin/faults").json()["faults"]
    assert [(r["id"], r["hits"]) for r in listed] == [(rule["id"], 1)]
    assert client.delete(f"/__admin/faults/{rule['id']}").status_code == 204
    admin_error(client.delete(f"/__admin/faults/{rule['id']}"), 404)
    assert client.post("/v2/pets", json={"id": 1, "name": "Rex"}).status_code == 401


def test_openapi_31_status_fault_under_a_base_path_and_journal() -> None:
    client = mock_client("pets31.yaml")
    assert client.post("/__admin/faults", json={"operationId": "getThing", "status": 404,
                                                "times": 1}).status_code == 201
    faulted = client.get("/v31/things/abc12")  # no token, no x-trace: the fault comes first
    assert faulted.status_code == 404 and faulted.headers["content-type"] == "application/json"
    refused = client.get("/v31/things/abc12")
    assert refused.status_code == 401
    assert [(e["path"], e["operationId"], e["status"], e["fault"]) for e in journal(client)] == [
        ("/v31/things/abc12", "getThing", 401, None),
        ("/v31/things/abc12", "getThing", 404, "fault-1")]
    assert not journal(client)[0]["validation"]["passed"]


def test_delay_fault_then_the_usual_answer() -> None:
    client = mock_client("pets30.yaml")
    client.post("/__admin/faults", json={"operationId": "listPets", "delayMs": 150})
    started = time.perf_counter()
    answer = client.get("/pets")
    assert time.perf_counter() - started >= 0.15
    assert answer.status_code == 200 and answer.json()[0]["name"] == "Rex"
    assert journal(client)[0]["fault"] == "fault-1"
    assert client.delete("/__admin/faults").status_code == 204
    assert client.get("/__admin/faults").json() == {"faults": []}


def test_dropped_connection_in_process_is_journaled_without_status() -> None:
    client = mock_client("pets30.yaml")
    client.post("/__admin/faults", json={"operationId": "getOwner", "fault": "empty_response"})
    assert client.get("/owner").status_code == 500  # no socket to close in-process
    (entry,) = journal(client)
    assert entry["status"] is None and entry["fault"] == "fault-1"


@pytest.mark.parametrize("rule, detail", [
    ({"operationId": "nope", "status": 500}, "body.operationId: no operation 'nope' is mocked"),
    ({"operationId": "listPets", "status": 500},
     "body.status: listPets does not document 500; it documents no error status"),
    ({"operationId": "getPet", "status": 500},
     "body.status: getPet does not document 500; it documents 404"),
    ({"operationId": "listPets"}, "body: a rule needs at least one of status, delayMs, fault"),
    ({"path": "pets", "delayMs": 1}, "body.path: a path glob starts with '/' or '*'"),
])
def test_bad_rules_are_400_in_the_admin_shape(rule: dict[str, Any], detail: str) -> None:
    body = admin_error(mock_client("pets30.yaml").post("/__admin/faults", json=rule), 400)
    assert any(d.startswith(detail) for d in body["details"]), body


def test_default_and_range_responses_allow_every_error_status() -> None:
    client = mock_client("pets30.yaml")  # createPet documents `default`
    assert client.post("/__admin/faults", json={"operationId": "createPet",
                                                "status": 418}).status_code == 201


# --- state --------------------------------------------------------------------------------

STATE = {"tenant": "default",
         "collections": {"pets": {"1": {"id": 1, "name": "Rex"}, "2": {"id": 2, "name": "Tom"}}}}


@pytest.mark.parametrize("spec", ["pets20.yaml", "pets30.yaml", "pets31.yaml"])
def test_state_export_import_and_reset(spec: str) -> None:
    client = mock_client(spec)
    assert client.get("/__admin/state/default").json() == {"tenant": "default",
                                                           "collections": {}}
    imported = client.put("/__admin/state/default", json=STATE)
    assert imported.status_code == 200 and imported.json()["records"] == {"pets": 2}
    assert client.get("/__admin/state/default").json() == STATE
    assert client.post("/__admin/reset").json() == {"reset": ["default"]}
    assert client.get("/__admin/state/default").json()["collections"] == {}
    admin_error(client.get("/__admin/state/nobody"), 404)


def test_state_import_refuses_what_is_not_records() -> None:
    client = mock_client("pets30.yaml")
    body = admin_error(client.put("/__admin/state/default",
                                  json={"collections": {"pets": {"1": 5}, "cats": []}}), 400)
    assert body["details"]  # names the bad parts
    assert client.get("/__admin/state/default").json()["collections"] == {}


def test_the_app_exposes_its_store() -> None:
    app = create_mock_app([SPECS / "pets30.yaml"], Options())
    assert app.store is app.runtime.store and app.store.tenants() == ["default"]


# --- access -------------------------------------------------------------------------------

def test_admin_token_is_required_when_set() -> None:
    client = admin_client("pets30.yaml", admin_token="s3cret")
    refused = admin_error(client.get("/__admin/health"), 401)
    assert refused["details"] == ["header.Authorization: expected 'Bearer <admin token>'"]
    admin_error(client.get("/__admin/requests", headers={"Authorization": "Bearer nope"}), 401)
    ok = client.get("/__admin/requests", headers={"Authorization": "Bearer s3cret"})
    assert ok.status_code == 200
    assert client.get("/pets").status_code == 200  # the user's API needs no admin token


def test_remote_clients_need_the_token() -> None:
    remote = ("10.1.2.3", 40000)
    admin_error(admin_client("pets30.yaml", client=remote).get("/__admin/health"), 403)
    assert admin_client("pets30.yaml", client=remote).get("/pets").status_code == 200
    with_token = admin_client("pets30.yaml", client=remote, admin_token="t")
    assert with_token.get("/__admin/health", headers={"Authorization": "Bearer t"}
                          ).status_code == 200


def test_admin_paths_get_no_prism_cors() -> None:
    client = mock_client("pets30.yaml")
    preflight = client.options("/__admin/faults", headers={
        "Origin": "http://evil.example", "Access-Control-Request-Method": "POST"})
    assert "access-control-allow-origin" not in preflight.headers
    refused = client.post("/__admin/reset", headers={"Origin": "http://evil.example"})
    admin_error(refused, 403)


# --- start-up files -----------------------------------------------------------------------

def test_faults_file_is_loaded_at_start(tmp_path: Path) -> None:
    rules = tmp_path / "faults.yaml"
    rules.write_text("- {operationId: getPet, status: 404}\n- {path: /owner, delayMs: 1}\n")
    client = admin_client("pets30.yaml", faults_file=rules)
    listed = client.get("/__admin/faults").json()["faults"]
    assert [(r["operationId"], r["path"]) for r in listed] == [("getPet", None), (None, "/owner")]
    assert client.get("/pets/1").json() == {"message": "not found"}


def test_state_file_is_loaded_and_reset_goes_back_to_it(tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    state.write_text(json.dumps(STATE))
    client = admin_client("pets20.yaml", state_file=state)
    assert client.get("/__admin/state/default").json() == STATE
    client.put("/__admin/state/default", json={"collections": {}})
    assert client.get("/__admin/state/default").json()["collections"] == {}
    client.post("/__admin/reset?tenant=default")
    assert client.get("/__admin/state/default").json() == STATE
