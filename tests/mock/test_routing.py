"""Routing of `specdouble mock` on a large spec: the segment tree finds what a scan would.

A path matching several templates goes to the one with literal segments
earliest (then the first declared); a method the matched path lacks is a 405
naming the methods it has; HEAD falls back to GET. Checked on specs of
hundreds of operations, where a scan of every template is what the index
replaces.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from specdouble.engine.mock import Options
from specdouble.http.mock import create_mock_app
from tests.mock.helpers import problem_type


def _op(name: str, method: str = "get") -> dict[str, Any]:
    return {method: {"operationId": name, "responses": {"200": {
        "description": "ok", "content": {"application/json": {"example": {"op": name}}}}}}}


def _spec(paths: dict[str, dict[str, Any]]) -> dict[str, Any]:
    return {"openapi": "3.0.3", "info": {"title": "routing", "version": "1"}, "paths": paths}


@pytest.fixture
def client(tmp_path: Path) -> TestClient:
    paths: dict[str, dict[str, Any]] = {}
    for k in range(300):  # filler: the same shapes under other literals
        paths[f"/v1/filler{k}/{{id}}"] = _op(f"filler{k}")
        paths[f"/v1/filler{k}/{{id}}/parts/{{part}}"] = _op(f"fillerPart{k}")
    paths["/v1/{kind}/{id}/parts/{part}"] = _op("anyPart")
    paths["/v1/shelves/{id}/parts/{part}"] = _op("shelfPart")
    paths["/v1/shelves/main/parts/{part}"] = {**_op("mainPart"), **_op("putMainPart", "put")}
    paths["/v1/shelves/{id}/parts/first"] = _op("firstPart")
    paths["/v1/{kind}/{id}"] = _op("anyThing", "delete")
    spec = tmp_path / "routing.json"
    spec.write_text(json.dumps(_spec(paths)))
    return TestClient(create_mock_app([spec], Options()), base_url="http://127.0.0.1:4010")


@pytest.mark.parametrize("path, operation", [
    ("/v1/shelves/main/parts/first", "mainPart"),   # literals earliest win
    ("/v1/shelves/other/parts/first", "firstPart"),
    ("/v1/shelves/other/parts/x", "shelfPart"),
    ("/v1/boxes/other/parts/x", "anyPart"),
    ("/v1/filler299/parts/parts/x", "fillerPart299"),  # the last declared filler
    ("/v1/filler0/7", "filler0"),
])
def test_the_most_literal_template_answers(client: TestClient, path: str,
                                           operation: str) -> None:
    response = client.get(path)
    assert response.status_code == 200, response.text
    assert response.json() == {"op": operation}


def test_a_method_is_looked_for_among_every_matching_template(client: TestClient) -> None:
    assert client.put("/v1/shelves/main/parts/x").json() == {"op": "putMainPart"}
    # DELETE exists only on /v1/{kind}/{id}, which /v1/filler3/9 also fits
    assert client.delete("/v1/filler3/9").json() == {"op": "anyThing"}


def test_a_missing_method_is_a_405_naming_those_there(client: TestClient) -> None:
    response = client.post("/v1/shelves/main/parts/first")
    assert response.status_code == 405
    assert problem_type(response) == "NO_METHOD_MATCHED_ERROR"
    assert response.headers["allow"] == "GET, PUT"


def test_head_falls_back_to_get_and_unknown_paths_are_404(client: TestClient) -> None:
    head = client.head("/v1/shelves/other/parts/x")
    assert head.status_code == 200 and head.content == b""
    missing = client.get("/v1/shelves/main/parts")
    assert missing.status_code == 404
    assert problem_type(missing) == "NO_PATH_MATCHED_ERROR"
    assert client.get("/v1/shelves/main/parts/x/").status_code == 404  # one more segment
