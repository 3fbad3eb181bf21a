"""`specdouble mock` on Swagger 2.0 and OpenAPI 3.1 specs (and $refs across files)."""

from __future__ import annotations

import base64
import json
import re

from tests.mock.helpers import mock_client, problem_type


def test_oas2_example_under_path_and_base_path() -> None:
    client = mock_client("pets20.yaml")
    assert client.get("/pets").json() == [{"id": 1, "name": "Rex"}]
    assert client.get("/v2/pets").json() == [{"id": 1, "name": "Rex"}]


def test_oas2_query_validation_and_csv_array() -> None:
    client = mock_client("pets20.yaml")
    assert client.get("/pets", params={"limit": "11"}).status_code == 422
    assert client.get("/pets", params={"tags": "a,b"}).status_code == 200


def test_oas2_basic_auth_presence_and_challenge() -> None:
    client = mock_client("pets20.yaml")
    refused = client.post("/pets", json={"id": 1, "name": "x"})
    assert refused.status_code == 401
    assert problem_type(refused) == "UNAUTHORIZED"
    assert refused.headers["www-authenticate"] == 'Basic realm="*"'
    token = base64.b64encode(b"any:thing").decode()
    created = client.post("/pets", json={"id": 1, "name": "x"},
                          headers={"Authorization": f"Basic {token}"})
    assert created.status_code == 201


def test_oas2_invalid_body_answers_the_specs_400() -> None:
    client = mock_client("pets20.yaml")
    token = base64.b64encode(b"any:thing").decode()
    response = client.post("/pets", json={"name": 3}, headers={"Authorization": f"Basic {token}"})
    assert (response.status_code, response.json()) == (400, {"error": "bad"})
    codes = {v["code"] for v in json.loads(response.headers["sl-violations"])}
    assert codes == {"required", "type"}


def test_oas2_response_header_and_nullable() -> None:
    client = mock_client("pets20.yaml")
    response = client.get("/pets/4")
    assert response.headers["x-rate"] == "7"
    body = response.json()
    assert isinstance(body["id"], int)
    assert body.get("tag") is None or isinstance(body["tag"], str)


def test_oas2_form_body() -> None:
    client = mock_client("pets20.yaml")
    assert client.post("/login", data={"user": "a", "pass": "b"}).status_code == 204
    missing = client.post("/login", data={"user": "a"})
    assert missing.status_code == 422
    assert missing.json()["validation"][0]["message"].endswith("'pass'")


def test_oas31_refs_across_files_ranges_and_patterns() -> None:
    client = mock_client("pets31.yaml")
    headers = {"Authorization": "Bearer x", "x-trace": "t"}
    response = client.get("/v31/things/abc12", headers=headers)
    assert response.status_code == 200  # 2XX answered as 200
    body = response.json()
    assert re.fullmatch(r"[A-Z]{2}-[0-9]{4}", body["code"])  # pattern honoured
    assert 1 <= body["size"] <= 9
    assert body["label"] is None or len(body["label"]) <= 8


def test_oas31_forced_range_code_answers_the_requested_code() -> None:
    client = mock_client("pets31.yaml")
    headers = {"Authorization": "Bearer x", "x-trace": "t", "Prefer": "code=206"}
    assert client.get("/things/abc12", headers=headers).status_code == 206


def test_oas31_validation_of_path_pattern_and_required_header() -> None:
    client = mock_client("pets31.yaml")
    response = client.get("/things/ABC", headers={"Authorization": "Bearer x"})
    assert response.status_code == 422
    locations = [v["location"] for v in response.json()["validation"]]
    assert ["path", "id"] in locations and ["header"] in locations


def test_oas31_bearer_missing_is_401_with_challenge() -> None:
    client = mock_client("pets31.yaml")
    response = client.get("/things/abc12", headers={"x-trace": "t"})
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"


def test_oas31_default_response_answers_200() -> None:
    client = mock_client("pets31.yaml")
    response = client.get("/things")
    assert response.status_code == 200
    assert isinstance(response.json(), list)


def test_recursive_schema_is_served_and_valid_at_every_depth() -> None:
    client = mock_client("recursive.json")
    body = client.get("/tree", headers={"Prefer": "dynamic=true"}).json()
    nodes = [body]
    while nodes:
        node = nodes.pop()
        assert isinstance(node, dict) and isinstance(node["name"], str)
        nodes += node.get("children", [])


def test_multipart_body_is_accepted_by_content_type() -> None:
    client = mock_client("pets30.yaml")
    response = client.post("/pets", files={"name": ("a.txt", b"x")}, headers={"X-Api-Key": "k"})
    assert response.status_code == 415  # pets30 declares JSON only


def test_several_specs_on_one_port() -> None:
    client = mock_client("pets30.yaml", "pets31.yaml")
    assert client.get("/pets").status_code == 200
    assert client.get("/things").status_code == 200


def test_server_variables_take_their_defaults() -> None:
    client = mock_client("pets31.yaml")
    assert client.get("/api/v9/things").status_code == 200


def test_form_fields_are_typed_by_their_schema() -> None:
    client = mock_client("pets31.yaml")
    assert client.post("/things", data={"size": "3", "flag": "true"}).status_code == 201
    refused = client.post("/things", data={"size": "0"})
    assert refused.status_code == 422
    assert refused.json()["validation"][0]["code"] == "minimum"
