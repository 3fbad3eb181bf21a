"""Acceptance findings: what a frontend developer or QA engineer reads, checked as promised.

Each test pins one discrepancy found by exercising the running server: error
text that runs together, a missing body that names no field, examples in the
specs that differ from what the mock really answers, and Swagger UI's token URL.
"""

from __future__ import annotations

from typing import Any

import pytest
from starlette.testclient import TestClient

from tests.conftest import ACME_ALL, GLOBEX_ALL

PP = "/pick-pack/acme"
CM = "/customer-management/acme/contact-assignments"
JSON = {"Content-Type": "application/json"}


def _example(runtime, spec: str, path: str, method: str, status: str, name: str) -> object:
    operation = runtime.specs[spec]["paths"][path][method]
    content = operation["responses"][status]["content"]["application/json"]
    return content["examples"][name]["value"]


# --- error text ------------------------------------------------------------------------

def test_pickpack_malformed_json_message_and_detail_do_not_run_together(
    client: TestClient,
) -> None:
    r = client.post(f"{PP}/jobs/recalculations", content=b'{\n  "jobType": MANUAL\n}',
                    headers={**ACME_ALL, **JSON})
    assert r.status_code == 400
    assert r.json()["detailInfo"] == (
        "Malformed JSON at line 2, column 14: Expecting value. "
        "body: Expecting value (line 2, column 14)"
    )


@pytest.mark.parametrize(
    ("path", "headers", "field", "expected"),
    [
        (f"{PP}/events", {**ACME_ALL, "saas-token": "text"}, "detailInfo",
         "The request body is required. body: is required"),
        (CM, ACME_ALL, "details", ["body: is required"]),
        ("/api/v2/order/action/assign", {"Authorization": "Bearer shopatron-test"}, "details",
         ["body: is required"]),
    ],
)
def test_missing_required_body_names_the_body(client: TestClient, path: str, headers: dict,
                                              field: str, expected: object) -> None:
    r = client.post(path, content=b"", headers={**headers, **JSON})
    assert r.status_code == 400
    assert r.json()[field] == expected


def test_token_endpoint_without_body_names_the_body(client: TestClient) -> None:
    r = client.post("/oauth/token", content=b"",
                    headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert r.status_code == 400
    assert r.json() == {"error": "invalid_request",
                        "error_description": "The request body is required. body: is required"}


def test_token_endpoint_missing_grant_type_is_invalid_request(client: TestClient) -> None:
    r = client.post("/oauth/token", data={"client_id": "acme-client",
                                          "client_secret": "acme-secret"})
    assert r.status_code == 400
    assert r.json()["error"] == "invalid_request"
    r = client.post("/oauth/token", data={"grant_type": "password", "client_id": "acme-client",
                                          "client_secret": "acme-secret"})
    assert r.status_code == 400 and r.json()["error"] == "unsupported_grant_type"


# --- the specs' named examples say what the mock really answers ----------------------

def test_pickpack_missing_field_example_is_the_real_answer(client: TestClient, runtime) -> None:
    r = client.post(f"{PP}/orders/123/assignees", json={"id": "123", "firstName": "John",
                                                        "lastName": "Smith"}, headers=ACME_ALL)
    assert r.status_code == 400
    path = "/pick-pack/{tenant}/orders/{orderId}/assignees"
    assert r.json() == _example(runtime, "pickpack", path, "post", "400", "validationFailure")


def test_cm_body_examples_are_the_real_answers(client: TestClient, runtime) -> None:
    path = "/customer-management/{tenant}/contact-assignments"
    r = client.post(CM, json={"legalEntity": {"id": "612306ecf0452c2d6c0b81392"}},
                    headers=ACME_ALL)
    assert r.json() == _example(runtime, "customer-management", path, "post", "400",
                                "missingField")
    r = client.post(CM, json={"legalEntity": {"id": "612306ecf0452c2d6c0b81392"},
                              "customer": {"id": "612306ecf0452c2d6c0b81123"}, "type": "OWNER"},
                    headers=ACME_ALL)
    assert r.json() == _example(runtime, "customer-management", path, "post", "400",
                                "invalidType")
    r = client.get(CM, headers=GLOBEX_ALL)
    assert r.json() == _example(runtime, "customer-management", path, "get", "400",
                                "tenantMismatch")


def test_token_invalid_request_example_is_the_real_answer(client: TestClient, runtime) -> None:
    r = client.post("/oauth/token", data={"grant_type": "client_credentials",
                                          "client_id": "acme-client"})
    assert r.json() == _example(runtime, "emporix-oauth", "/oauth/token", "post", "400",
                                "invalidRequest")


# --- Swagger UI authorizes against the mock, not the vendor ---------------------------

@pytest.mark.parametrize("slug", ["emporix-pick-pack", "emporix-customer-management"])
def test_served_spec_token_url_is_the_mock(client: TestClient, slug: str) -> None:
    spec = client.get(f"/specs/{slug}.json").json()
    flow = spec["components"]["securitySchemes"]["OAuth2"]["flows"]["clientCredentials"]
    assert flow["tokenUrl"] == "http://testserver/oauth/token"
    assert spec["servers"][0]["url"] == "http://testserver"


@pytest.mark.parametrize("slug", ["emporix-pick-pack", "emporix-customer-management",
                                  "admin"])
def test_swagger_try_it_out_gets_tenant_acme(client: TestClient, slug: str) -> None:
    spec = client.get(f"/specs/{slug}.json").json()
    tenants = [p for item in spec["paths"].values() for op in item.values()
               if isinstance(op, dict) for p in op.get("parameters", [])
               if p.get("in") == "path" and p.get("name") == "tenant"]
    tenants += [p for item in spec["paths"].values() for p in item.get("parameters", [])
                if p.get("in") == "path" and p.get("name") == "tenant"]
    assert tenants and all(p["example"] == "acme" for p in tenants)


def test_the_mock_is_the_first_server_and_listed_once(app: Any) -> None:
    with TestClient(app, base_url="http://127.0.0.1:8080") as local:
        for slug in ("admin", "emporix-pick-pack"):
            servers = [s["url"] for s in local.get(f"/specs/{slug}.json").json()["servers"]]
            assert servers[0] == "http://127.0.0.1:8080"
            assert servers.count("http://127.0.0.1:8080") == 1


# --- the token endpoint takes HTTP Basic client credentials (what Swagger UI sends) ----

def _basic(client_id: str, secret: str) -> dict[str, str]:
    import base64

    return {"Authorization": "Basic " + base64.b64encode(f"{client_id}:{secret}".encode())
            .decode()}


def test_token_with_basic_client_credentials_like_swagger_ui(client: TestClient) -> None:
    # Swagger UI's clientCredentials flow: Basic header, grant_type and scope in the form.
    r = client.post("/oauth/token", headers=_basic("acme-client", "acme-secret"),
                    data={"grant_type": "client_credentials", "scope": "pickpack.pickpack_view"})
    assert r.status_code == 200
    assert r.json()["scope"] == "tenant=acme pickpack.pickpack_view"
    token = r.json()["access_token"]
    events = client.get(f"{PP}/events?pageSize=1", headers={"Authorization": f"Bearer {token}"})
    assert events.status_code == 200


def test_token_basic_wrong_secret_or_both_methods(client: TestClient) -> None:
    r = client.post("/oauth/token", headers=_basic("acme-client", "nope"),
                    data={"grant_type": "client_credentials"})
    assert r.status_code == 401 and r.json()["error"] == "invalid_client"
    r = client.post("/oauth/token", headers=_basic("acme-client", "acme-secret"),
                    data={"grant_type": "client_credentials", "client_id": "acme-client",
                          "client_secret": "acme-secret"})
    assert r.status_code == 400 and r.json()["error"] == "invalid_request"
    r = client.post("/oauth/token", headers={"Authorization": "Basic !!!"},
                    data={"grant_type": "client_credentials"})
    assert r.status_code == 400 and "header.Authorization" in r.json()["error_description"]


def test_token_without_any_credentials_names_both_fields(client: TestClient) -> None:
    r = client.post("/oauth/token", data={"grant_type": "client_credentials"})
    assert r.status_code == 400
    assert r.json() == {"error": "invalid_request",
                        "error_description": "The request form is invalid. body.client_id: is "
                                             "required; body.client_secret: is required"}
