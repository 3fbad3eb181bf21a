"""``mock --stateful`` with the admin API: seeded by ``--state``, journaled, faulted, reset.

The records of the inferred collections live in tenant ``default`` of the
runtime's store, so the admin API of ``mock`` (export, import, reset, fault
rules, journal) works on them as it does on the built-in services' data.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from specdouble.engine.mock import Options
from specdouble.http.mock import create_mock_app
from specdouble.support.settings import Settings
from tests.stateful.conftest import SPECS, open_store

TOKEN = "s3cret"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
SEEDED = {"id": 7, "title": "Seeded", "genre": "poetry", "available": False}


@pytest.fixture
def client(backend: str, tmp_path: Path) -> Any:
    state = tmp_path / "state.json"
    state.write_text(json.dumps({"tenant": "default",
                                 "collections": {"/books": {"7": SEEDED}}}))
    store = open_store(backend)
    app = create_mock_app([SPECS / "library30.yaml"], Options(), stateful=True, store=store,
                          settings=Settings(state_file=state, admin_token=TOKEN))
    yield TestClient(app, base_url="http://127.0.0.1:4010")
    if hasattr(store, "flush"):
        store.flush()
        store.close()


def test_a_state_file_seeds_the_collections(client: TestClient) -> None:
    assert client.get("/books/7").json() == SEEDED
    created = client.post("/books", json={"title": "Dune"})
    assert created.status_code == 201
    assert created.json()["id"] not in (7, None)  # a free id, the seeded record kept
    assert {b["id"] for b in client.get("/books").json()} == {7, created.json()["id"]}


def test_collections_are_behind_the_admin_guard(client: TestClient) -> None:
    refused = client.get("/__admin/collections")
    assert refused.status_code == 401
    assert "Bearer" in refused.headers["www-authenticate"]
    listed = client.get("/__admin/collections", headers=AUTH)
    assert listed.status_code == 200
    assert "/books" in [c["path"] for c in listed.json()["collections"]]
    wrong = client.post("/__admin/collections", headers=AUTH)
    assert wrong.status_code == 405


def test_export_and_reset_see_the_records(client: TestClient) -> None:
    new_id = client.post("/books", json={"title": "Dune"}).json()["id"]
    exported = client.get("/__admin/state/default", headers=AUTH).json()
    assert set(exported["collections"]["/books"]) == {"7", str(new_id)}
    assert client.post("/__admin/reset", headers=AUTH).status_code == 200
    assert client.get(f"/books/{new_id}").status_code == 404
    assert client.get("/books/7").json() == SEEDED  # back to the --state file


def test_the_journal_names_the_operation_and_the_refusal(client: TestClient) -> None:
    client.post("/books", json={"title": "Dune"})
    client.post("/books", json={"title": 5})
    entries = client.get("/__admin/requests", headers=AUTH).json()["requests"]
    refused, created = entries[0], entries[1]
    assert (created["operationId"], created["status"]) == ("createBook", 201)
    assert refused["status"] in (400, 422)
    assert not refused["validation"]["passed"]
    assert any("title" in error for error in map(str, refused["validation"]["errors"]))


def test_a_fault_answers_first_and_changes_nothing(client: TestClient) -> None:
    rule = client.post("/__admin/faults", headers=AUTH,
                       json={"method": "POST", "path": "/books", "status": 503, "times": 1})
    assert rule.status_code == 201
    assert client.post("/books", json={"title": "Lost"}).status_code == 503
    assert [b["title"] for b in client.get("/books").json()] == ["Seeded"]
    assert client.post("/books", json={"title": "Kept"}).status_code == 201  # times: 1
