"""`specdouble mock` on an OpenAPI 3.0 spec: Prism 5.16's stateless behaviour."""

from __future__ import annotations

import base64
import json
import re

import pytest

from tests.mock.helpers import mock_client, problem_type


@pytest.fixture(scope="module")
def client():  # type: ignore[no-untyped-def]
    return mock_client("pets30.yaml")


def test_unknown_path_is_prisms_404(client) -> None:  # type: ignore[no-untyped-def]
    response = client.get("/nothing")
    assert response.status_code == 404
    assert problem_type(response) == "NO_PATH_MATCHED_ERROR"
    assert response.json()["detail"] == \
        "The route /nothing hasn't been found in the specification file"


def test_known_path_wrong_method_is_405(client) -> None:  # type: ignore[no-untyped-def]
    response = client.delete("/pets")
    assert response.status_code == 405
    assert problem_type(response) == "NO_METHOD_MATCHED_ERROR"


def test_concrete_path_beats_templated(client) -> None:  # type: ignore[no-untyped-def]
    response = client.get("/pets/mine")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/plain"
    assert response.text == "mine"


def test_first_named_example_is_the_default_body(client) -> None:  # type: ignore[no-untyped-def]
    response = client.get("/pets")
    assert response.status_code == 200
    assert response.json() == [{"id": 1, "name": "Rex"}, {"id": 2, "name": "Tom"}]
    assert response.headers["content-length"] == str(len(response.content))


def test_served_under_the_servers_base_path_too(client) -> None:  # type: ignore[no-untyped-def]
    assert client.get("/api/v1/pets").json() == client.get("/pets").json()


def test_invalid_query_is_422_with_validation_list(client) -> None:  # type: ignore[no-untyped-def]
    response = client.get("/pets", params={"limit": "abc"})
    assert response.status_code == 422
    assert problem_type(response) == "UNPROCESSABLE_ENTITY"
    assert response.json()["validation"] == [{
        "location": ["query", "limit"], "severity": "Error", "code": "type",
        "message": "Request query parameter limit must be integer"}]
    assert client.get("/pets", params={"limit": "500"}).json()["validation"][0]["code"] == \
        "maximum"


def test_invalid_path_parameter_is_422(client) -> None:  # type: ignore[no-untyped-def]
    response = client.get("/pets/abc")
    assert response.status_code == 422
    assert response.json()["validation"][0]["location"] == ["path", "petId"]


def test_generated_body_follows_the_schema_and_is_stable(client) -> None:  # type: ignore[no-untyped-def]
    first = client.get("/pets/7")
    assert first.status_code == 200
    body = first.json()
    assert isinstance(body["id"], int) and isinstance(body["name"], str)
    assert client.get("/pets/7").json() == body  # static: the same every time


def test_deprecated_operation_has_deprecation_header(client) -> None:  # type: ignore[no-untyped-def]
    assert client.get("/pets/7").headers["deprecation"] == "true"
    assert "deprecation" not in client.get("/pets").headers


def test_missing_api_key_uses_the_specs_default_with_violations(client) -> None:  # type: ignore[no-untyped-def]
    response = client.post("/pets", json={"name": "a"})
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/json"
    violations = json.loads(response.headers["sl-violations"])
    assert violations[0]["code"] == 401


def test_invalid_body_uses_the_specs_default_as_422(client) -> None:  # type: ignore[no-untyped-def]
    response = client.post("/pets", json={"name": ""}, headers={"X-Api-Key": "k"})
    assert response.status_code == 422
    violation = json.loads(response.headers["sl-violations"])[0]
    assert violation["location"] == ["request", "body", "name"]
    assert violation["code"] == "minLength"


def test_wrong_content_type_is_415(client) -> None:  # type: ignore[no-untyped-def]
    response = client.post("/pets", content=b"hi", headers={"X-Api-Key": "k",
                                                             "Content-Type": "text/plain"})
    assert response.status_code == 415


def test_valid_post_answers_201(client) -> None:  # type: ignore[no-untyped-def]
    response = client.post("/pets", json={"name": "a"}, headers={"X-Api-Key": "k"})
    assert response.status_code == 201
    assert set(response.json()) >= {"id", "name"}


def test_prefer_code_picks_the_documented_response(client) -> None:  # type: ignore[no-untyped-def]
    response = client.get("/pets/1", headers={"Prefer": "code=404"})
    assert (response.status_code, response.json()) == (404, {"message": "not found"})
    assert client.get("/pets/1", params={"__code": "404"}).status_code == 404


def test_prefer_undocumented_code_is_404_not_found(client) -> None:  # type: ignore[no-untyped-def]
    response = client.get("/pets/1", headers={"Prefer": "code=503"})
    assert response.status_code == 404
    assert problem_type(response) == "NOT_FOUND"
    assert "503" in response.json()["detail"]


def test_prefer_malformed_code_is_422(client) -> None:  # type: ignore[no-untyped-def]
    response = client.get("/pets", headers={"Prefer": "code=abc"})
    assert response.status_code == 422
    assert problem_type(response) == "UNPROCESSABLE_ENTITY"


def test_prefer_example_and_query_fallback(client) -> None:  # type: ignore[no-untyped-def]
    assert client.get("/pets", headers={"Prefer": "example=one"}).json() == \
        [{"id": 1, "name": "Rex"}]
    assert client.get("/pets", params={"__example": "one"}).json() == [{"id": 1, "name": "Rex"}]
    missing = client.get("/pets", params={"__example": "nope"})
    assert missing.status_code == 404 and problem_type(missing) == "NOT_FOUND"


def test_prefer_header_turns_query_fallbacks_off(client) -> None:  # type: ignore[no-untyped-def]
    response = client.get("/pets", params={"__example": "one"}, headers={"Prefer": "code=200"})
    assert len(response.json()) == 2


def test_prefer_dynamic_generates_from_the_schema(client) -> None:  # type: ignore[no-untyped-def]
    response = client.get("/pets", headers={"Prefer": "dynamic=true"})
    assert response.status_code == 200
    assert all(set(pet) >= {"id", "name"} for pet in response.json())


def test_unsatisfiable_accept_is_406(client) -> None:  # type: ignore[no-untyped-def]
    response = client.get("/pets", headers={"Accept": "application/xml"})
    assert response.status_code == 406
    assert problem_type(response) == "NOT_ACCEPTABLE"
    assert client.get("/pets", headers={"Accept": "application/*;q=0.5"}).status_code == 200


def test_no_content_response(client) -> None:  # type: ignore[no-untyped-def]
    response = client.delete("/pets/3")
    assert response.status_code == 204
    assert response.content == b""


def test_head_answers_like_get_without_a_body(client) -> None:  # type: ignore[no-untyped-def]
    response = client.head("/pets")
    assert response.status_code == 200
    assert response.content == b""
    assert response.headers["content-length"] == str(len(client.get("/pets").content))


def test_cors_preflight_for_any_path(client) -> None:  # type: ignore[no-untyped-def]
    response = client.options("/whatever", headers={
        "Origin": "http://x.test", "Access-Control-Request-Method": "PUT",
        "Access-Control-Request-Headers": "prefer"})
    assert response.status_code == 204
    assert response.headers["access-control-allow-origin"] == "http://x.test"
    assert response.headers["access-control-allow-headers"] == "prefer"
    assert client.get("/pets").headers["access-control-allow-origin"] == "*"


def test_cors_false_sends_no_cors_headers() -> None:
    client = mock_client("pets30.yaml", cors=False)
    assert "access-control-allow-origin" not in client.get("/pets").headers
    response = client.options("/pets", headers={"Origin": "http://x.test",
                                                "Access-Control-Request-Method": "GET"})
    assert response.status_code == 405


def test_dynamic_mode_ignores_examples() -> None:
    client = mock_client("pets30.yaml", dynamic=True)
    assert client.get("/pets").json() != [{"id": 1, "name": "Rex"}, {"id": 2, "name": "Tom"}]


def test_ignore_examples_generates_static_bodies() -> None:
    client = mock_client("pets30.yaml", ignore_examples=True)
    body = client.get("/pets").json()
    assert body == client.get("/pets").json()
    assert body != [{"id": 1, "name": "Rex"}, {"id": 2, "name": "Tom"}]


def test_generated_401_has_challenge_and_no_validation_list() -> None:
    client = mock_client("pets31.yaml")
    response = client.get("/things/abc12", headers={"x-trace": "t"})
    assert response.status_code == 401
    assert "validation" not in response.json()


def test_seed_gives_the_same_dynamic_body_each_time() -> None:
    client = mock_client("pets30.yaml", dynamic=True, seed="abc", seeded=True)
    assert client.get("/pets/1").json() == client.get("/pets/1").json()
    free = mock_client("pets30.yaml", dynamic=True)
    bodies = [free.get("/pets/1", headers={"Prefer": "seed=x"}).json() for _ in range(2)]
    assert bodies[0] == bodies[1]
    assert len({json.dumps(free.get("/pets/1").json()) for _ in range(4)}) > 1


def test_errors_flag_turns_an_invalid_example_into_500() -> None:
    assert mock_client("badexample.yaml").get("/count").json() == {"n": "three"}
    response = mock_client("badexample.yaml", errors=True).get("/count")
    assert response.status_code == 500
    assert problem_type(response) == "VIOLATIONS"
    assert response.json()["validation"][0]["location"] == ["response", "body", "n"]


def test_trailing_slash_is_an_empty_segment_as_in_prism(client) -> None:  # type: ignore[no-untyped-def]
    response = client.get("/pets/")  # /pets/{petId} with an empty id
    assert response.status_code == 422
    assert response.json()["validation"][0]["location"] == ["path"]


def test_a_document_without_operations_is_no_resource(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from specdouble.engine.mock import Mocker, Options, Request
    from specdouble.spec.documents import load_document
    from specdouble.support.problems import Problem

    spec = tmp_path / "empty.yaml"
    spec.write_text("openapi: 3.0.0\ninfo: {title: e, version: '1'}\npaths: {}\n")
    mocker = Mocker([load_document(spec)], Options())
    try:
        mocker.answer(Request("GET", "/x", "", {}))
    except Problem as problem:
        assert (problem.status, problem.kind) == (404, "NO_RESOURCE_PROVIDED_ERROR")
    else:
        raise AssertionError("no problem raised")


def test_missing_required_parameters_in_prisms_words() -> None:
    response = mock_client("required.yaml").get("/search/")
    assert response.status_code == 422
    assert [v["message"] for v in response.json()["validation"]] == [
        "Request header must have required property 'x-id'",
        "Request query must have required property 'q'",
        "Request path must have required property 'kind'"]


def test_a_scalar_query_parameter_sent_twice_is_invalid(client) -> None:  # type: ignore[no-untyped-def]
    response = client.get("/pets?limit=1&limit=2")
    assert response.status_code == 422
    assert response.json()["validation"][0]["code"] == "type"


def test_static_body_takes_the_schemas_own_values_first(client) -> None:  # type: ignore[no-untyped-def]
    body = client.get("/owner").json()
    assert body["name"] == "Ada" and body["level"] == 3 and body["kind"] == "person"
    assert body["pets"] == ["Rex"]
    assert re.fullmatch(r"[A-Z]{3}", body["code"])  # no value given: generated, pattern kept
    assert "secret" not in body


def test_xml_bodies_and_accept_star_takes_the_first_declared() -> None:
    client = mock_client("xml.yaml")
    assert client.get("/doc", headers={"Accept": "application/xml"}).text == \
        "<xml><id>4</id><tags>a</tags></xml>"
    assert client.get("/doc", headers={"Accept": "*/*"}).headers["content-type"] == \
        "application/xml"
    assert client.get("/doc", headers={"Accept": ""}).json() == {"id": 4}
    assert client.get("/raw").text == "<pet><id>1</id></pet>"
    assert client.get("/raw", headers={"Accept": "application/json"}).status_code == 406


def test_prefer_accepts_semicolons_and_combines_code_and_example() -> None:
    client = mock_client("pets30.yaml")
    response = client.get("/pets/1", headers={"Prefer": "code=404; dynamic=false"})
    assert response.status_code == 404
    assert client.get("/pets", headers={"Prefer": "code=200, example=one"}).json() == \
        [{"id": 1, "name": "Rex"}]


def test_nullable_is_honoured_in_requests() -> None:
    client = mock_client("pets30.yaml")
    response = client.post("/pets", json={"name": "a", "tag": None}, headers={"X-Api-Key": "k"})
    assert response.status_code == 422  # NewPet.tag is not nullable


def test_prefer_example_is_ignored_for_an_invalid_request_unless_its_code_is_chosen() -> None:
    client = mock_client("pets20.yaml")
    basic = "Basic " + base64.b64encode(b"a:b").decode()
    response = client.post("/pets", json={"name": 3},
                           headers={"Authorization": basic, "Prefer": "example=nope"})
    assert (response.status_code, response.json()) == (400, {"error": "bad"})
