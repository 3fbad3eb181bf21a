"""The compiled path: installed by default, declines what it does not serve, and
answers as the Connexion stack does (a representative set in differential mode)."""

from __future__ import annotations

from typing import Any

import pytest

from specdouble.engine.pipeline import Pipeline
from specdouble.http.app import create_app
from specdouble.http.differential import DifferentialFront
from specdouble.support.settings import Settings
from tests.conftest import ACME_ALL, ACME_VIEW, GLOBEX_ALL, SHOPATRON

EVENT = {"eventId": "e-engine", "orderNumber": "123", "productId": "123", "pickedAmount": 0,
         "packedAmount": 0, "canceledAmount": 0, "timestamp": "2024-01-01T00:00:00Z",
         "unit": "H87", "site": "main"}
SAAS = {"saas-token": "x"}

REQUESTS: list[tuple[str, str, dict[str, str], Any]] = [
    ("GET", "/pick-pack/acme/events?pageSize=2", ACME_ALL, None),
    ("GET", "/pick-pack/acme/events?pageSize=abc&pageNumber=-1", ACME_ALL, None),
    ("GET", "/pick-pack/acme/events?timestamp=nonsense", ACME_ALL, None),
    ("GET", "/pick-pack/acme/events", {}, None),
    ("GET", "/pick-pack/acme/events", {"Authorization": "Bearer"}, None),
    ("GET", "/pick-pack/acme/events", {"Authorization": "Basic abc"}, None),
    ("GET", "/pick-pack/acme/events", {"Authorization": "Bearer nope"}, None),
    ("GET", "/pick-pack/globex/events", ACME_ALL, None),
    ("POST", "/pick-pack/acme/events", ACME_VIEW | SAAS, EVENT),
    ("POST", "/pick-pack/acme/events", ACME_ALL | SAAS, EVENT),
    ("POST", "/pick-pack/acme/events", ACME_ALL | SAAS, {"eventId": 5, "pickedAmount": 1}),
    ("POST", "/pick-pack/acme/events", ACME_ALL, EVENT),
    ("POST", "/pick-pack/acme/events", ACME_ALL | SAAS, b'{"eventId": '),
    ("POST", "/pick-pack/acme/events", ACME_ALL | SAAS, b"null"),
    ("POST", "/pick-pack/acme/jobs/recalculations", ACME_ALL, {"jobType": "ORDER"}),
    ("GET", "/pick-pack/acme/jobs/recalculations/123", ACME_ALL | {"Prefer": "code=404"}, None),
    ("GET", "/pick-pack/acme/jobs/recalculations/123", {"Prefer": "code=401"}, None),
    ("GET", "/pick-pack/acme/jobs/recalculations/123", ACME_ALL | {"Prefer": "code=999"}, None),
    ("GET", "/customer-management/acme/contact-assignments"
            "?q=customer.name:~an&sort=customer.name:desc&fields=id,type", ACME_ALL, None),
    ("GET", "/customer-management/acme/contact-assignments?primary=maybe",
     ACME_ALL | {"X-Total-Count": "true"}, None),
    ("GET", "/customer-management/acme/contact-assignments", GLOBEX_ALL, None),
    ("GET", "/customer-management/acme/contact-assignments/none", ACME_ALL, None),
    ("POST", "/api/v2/order/action/assign", SHOPATRON, {}),
    ("POST", "/api/v2/order/action/assign", SHOPATRON | {"API-Key": "other"}, {}),
]


def _send(client: Any, method: str, url: str, headers: dict[str, str], body: Any) -> Any:
    if isinstance(body, bytes):
        headers = {**headers, "Content-Type": "application/json"}
        return client.request(method, url, headers=headers, content=body)
    return client.request(method, url, headers=headers, json=body)


def test_the_compiled_path_is_in_front_by_default() -> None:
    app = create_app(Settings())
    assert isinstance(app.middleware, Pipeline)
    on_connexion = create_app(Settings(engine="connexion"))
    assert on_connexion.middleware is not app.middleware
    assert not isinstance(on_connexion.middleware, Pipeline)


def test_with_response_checks_every_request_goes_through_connexion() -> None:
    assert not isinstance(create_app(Settings(check_responses=True)).middleware, Pipeline)


@pytest.mark.parametrize(("method", "url", "headers", "body"), REQUESTS)
def test_both_paths_answer_alike(shared_client: Any, method: str, url: str,
                                 headers: dict[str, str], body: Any) -> None:
    client = shared_client(differential=True)
    front = client.app.middleware
    if not isinstance(front, DifferentialFront):
        pytest.skip("the compiled path is off on this backend")
    _send(client, method, url, headers, body)
    assert front.compared == 1
    assert not front.differences, front.differences


@pytest.mark.parametrize(("method", "url", "headers"), [
    ("GET", "/pick-pack/acme/events", ACME_ALL | {"Origin": "http://x.test"}),
    ("OPTIONS", "/pick-pack/acme/events", {"Origin": "http://x.test",
                                           "Access-Control-Request-Method": "GET"}),
    ("GET", "/pick-pack/acme/events/", ACME_ALL),
    ("DELETE", "/pick-pack/acme/events", ACME_ALL),
    ("GET", "/__admin/health", {}),
    ("GET", "/", {}),
])
def test_what_the_plan_does_not_serve_goes_to_connexion(shared_client: Any, method: str, url: str,
                                                        headers: dict[str, str]) -> None:
    client = shared_client(differential=True)
    front = client.app.middleware
    if not isinstance(front, DifferentialFront):
        pytest.skip("the compiled path is off on this backend")
    client.request(method, url, headers=headers)
    assert front.compared == 0


def test_the_journal_entry_is_the_same_on_both_paths(shared_client: Any) -> None:
    entries = []
    for engine in ("compiled", "connexion"):
        client = shared_client(engine=engine)
        client.post("/pick-pack/acme/events", headers=ACME_ALL | SAAS,
                    json={"eventId": 5, "pickedAmount": 1})
        client.get("/pick-pack/acme/events?pageSize=1", headers=ACME_ALL)
        listed = client.get("/__admin/requests").json()
        entries.append([{k: v for k, v in e.items() if k not in {"id", "time", "durationMs"}}
                        for e in listed["requests"] if not e["path"].startswith("/__admin")])
    assert entries[0] == entries[1]
    assert len(entries[0]) == 2


# Each kind of fault rule, with the request it applies to.
FAULTS: list[tuple[dict[str, Any], str, str, dict[str, str], Any]] = [
    ({"operationId": "listEvents", "status": 500}, "GET", "/pick-pack/acme/events", ACME_ALL,
     None),
    ({"operationId": "listEvents", "status": 500}, "GET", "/pick-pack/acme/events", {}, None),
    ({"path": "/pick-pack/*/events", "method": "POST", "status": 400}, "POST",
     "/pick-pack/acme/events", ACME_ALL | SAAS, EVENT),
    ({"operationId": "listEvents", "delayMs": 1}, "GET", "/pick-pack/acme/events?pageSize=2",
     ACME_ALL, None),
    ({"operationId": "createEvent", "delayMs": 1}, "POST", "/pick-pack/acme/events",
     ACME_ALL | SAAS, {"eventId": 5}),
    ({"operationId": "listEvents", "fault": "connection_reset"}, "GET",
     "/pick-pack/acme/events", ACME_ALL, None),
    ({"tenant": "acme", "fault": "empty_response"}, "POST", "/pick-pack/acme/events",
     ACME_ALL | SAAS, EVENT),
    ({"tenant": "globex", "status": 500}, "GET", "/pick-pack/acme/events", ACME_ALL, None),
    ({"operationId": "listContactAssignments", "status": 500, "times": 1}, "GET",
     "/customer-management/acme/contact-assignments", ACME_ALL, None),
]


def _add_fault(client: Any, rule: dict[str, Any]) -> None:
    created = client.post("/__admin/faults", json=rule)
    assert created.status_code == 201, created.text


def _send_faulted(client: Any, rule: dict[str, Any], method: str, url: str,
                  headers: dict[str, str], body: Any) -> Any:
    """The answer; a dropped connection, without a transport here, is a 500 naming the drop."""
    answer = _send(client, method, url, headers, body)
    if rule.get("fault") is not None:
        assert answer.status_code == 500
        assert f"ConnectionDropped: {rule['fault']}" in answer.text
    return answer


@pytest.mark.parametrize(("rule", "method", "url", "headers", "body"), FAULTS)
def test_fault_rules_answer_alike_on_both_paths(shared_client: Any, rule: dict[str, Any],
                                               method: str, url: str, headers: dict[str, str],
                                               body: Any) -> None:
    client = shared_client(differential=True)
    front = client.app.middleware
    if not isinstance(front, DifferentialFront):
        pytest.skip("the compiled path is off on this backend")
    _add_fault(client, rule)
    _send_faulted(client, rule, method, url, headers, body)
    assert front.compared == 1
    assert not front.differences, front.differences


def test_a_fault_with_times_is_used_up_once_per_request_in_differential_mode(
        shared_client: Any) -> None:
    client = shared_client(differential=True)
    if not isinstance(client.app.middleware, DifferentialFront):
        pytest.skip("the compiled path is off on this backend")
    _add_fault(client, {"operationId": "listEvents", "status": 500, "times": 2})
    statuses = [client.get("/pick-pack/acme/events", headers=ACME_ALL).status_code
                for _ in range(3)]
    assert statuses == [500, 500, 200]
    assert client.get("/__admin/faults").json()["faults"] == []
    assert not client.app.middleware.differences


@pytest.mark.parametrize(("rule", "method", "url", "headers", "body"), FAULTS)
def test_a_faulted_request_is_journaled_alike_on_both_paths(
        shared_client: Any, rule: dict[str, Any], method: str, url: str,
        headers: dict[str, str], body: Any) -> None:
    entries = []
    for engine in ("compiled", "connexion"):
        client = shared_client(engine=engine)
        _add_fault(client, rule)
        first = _send_faulted(client, rule, method, url, headers, body)
        listed = client.get("/__admin/requests").json()
        entries.append(([{k: v for k, v in e.items() if k not in {"id", "time", "durationMs"}}
                         for e in listed["requests"] if not e["path"].startswith("/__admin")],
                        (first.status_code, first.headers.get("content-type"), first.content)))
    assert entries[0] == entries[1]
    assert len(entries[0][0]) == 1
