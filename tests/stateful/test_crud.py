"""Every rule of issue 16 on the library spec (Swagger 2.0, OpenAPI 3.0, 3.1) and both backends."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable

from starlette.testclient import TestClient

from specdouble.http.mock import MockApp
from tests.mock.helpers import problem_type
from tests.stateful.conftest import open_store

MERGE = {"content-type": "application/merge-patch+json"}
JSON_PATCH = {"content-type": "application/json-patch+json"}


def books(client: TestClient) -> list[dict[str, object]]:
    response = client.get("/books")
    assert response.status_code == 200
    return list(response.json())


# --- POST then GET ---------------------------------------------------------------------------

def test_post_stores_the_body_with_defaults_and_a_counted_id(library: TestClient) -> None:
    created = library.post("/books", json={"title": "Dune"})
    assert created.status_code == 201
    assert created.json() == {"id": 1, "title": "Dune", "genre": "fiction", "available": True}
    assert library.post("/books", json={"title": "Emma"}).json()["id"] == 2
    assert library.get("/books/1").json() == created.json()
    assert library.get("/books/2").json()["title"] == "Emma"


def test_a_base_path_and_the_path_as_written_are_one_collection(library: TestClient) -> None:
    library.post("/v1/books", json={"title": "Dune"})
    assert library.get("/books/1").json()["title"] == "Dune"


def test_collections_start_empty(library: TestClient) -> None:
    assert books(library) == []
    assert library.get("/shelves/AB12/volumes").json() == {"items": [], "total": 0}


def test_a_client_id_is_kept_and_a_taken_one_is_409(library: TestClient) -> None:
    assert library.post("/books", json={"id": 7, "title": "Dune"}).json()["id"] == 7
    taken = library.post("/books", json={"id": 7, "title": "Other"})
    assert taken.status_code == 409
    assert taken.json() == {"code": 409, "message": "that id is taken"}  # the documented 409
    assert [b["title"] for b in books(library)] == ["Dune"]
    # generated ids skip the ones taken
    library.post("/books", json={"id": 1, "title": "One"})
    assert library.post("/books", json={"title": "Next"}).json()["id"] == 2


def test_write_only_properties_are_stored_but_not_shown(client_for: Callable[..., TestClient],
                                                        make_app: Callable[..., MockApp]) -> None:
    app = make_app("library30.yaml")
    client = TestClient(app)
    assert "secret" not in client.post("/books", json={"title": "Dune", "secret": "s"}).json()
    assert "secret" not in client.get("/books/1").json()
    assert app.stateful is not None
    stored = app.stateful.store.export_tenant("default")
    assert stored["/books"]["1"]["secret"] == "s"


def test_records_live_in_tenant_default_by_concrete_path(make_app: Callable[..., MockApp]) -> None:
    app = make_app("library20.yaml")
    client = TestClient(app)
    client.post("/books", json={"title": "Dune"})
    client.post("/shelves/AB12/volumes", json={"title": "V"})
    assert app.stateful is not None
    exported = app.stateful.store.export_tenant("default")
    assert set(exported) >= {"/books", "/shelves/AB12/volumes"}
    assert exported["/books"]["1"]["title"] == "Dune"


# --- GET item ---------------------------------------------------------------------------------

def test_an_unknown_id_is_the_documented_404(library: TestClient) -> None:
    missing = library.get("/books/42")
    assert missing.status_code == 404
    assert missing.json() == {"code": 404, "message": "no such book"}


def test_an_unknown_id_without_a_documented_404_is_a_problem(library: TestClient) -> None:
    missing = library.get(f"/shelves/AB12/volumes/{uuid.uuid4()}")
    assert missing.status_code == 404
    assert problem_type(missing) == "NOT_FOUND"


# --- nested collections, string ids ---------------------------------------------------------

def test_nested_collections_are_scoped_by_their_path_parameters(library: TestClient) -> None:
    first = library.post("/shelves/AB12/volumes", json={"title": "One"})
    assert first.status_code == 200  # the only documented 2xx
    volume_id = first.json()["volumeId"]
    assert uuid.UUID(volume_id).version == 4  # format: uuid
    library.post("/shelves/CD34/volumes", json={"title": "Two"})
    assert [v["title"] for v in library.get("/shelves/AB12/volumes").json()["items"]] == ["One"]
    assert [v["title"] for v in library.get("/shelves/CD34/volumes").json()["items"]] == ["Two"]
    assert library.get(f"/shelves/AB12/volumes/{volume_id}").json()["title"] == "One"
    assert library.get(f"/shelves/CD34/volumes/{volume_id}").status_code == 404


def test_a_string_id_fits_its_schema_and_is_unique(library: TestClient) -> None:
    handles = [library.post("/authors", json={"name": f"A{i}"}).json()["handle"]
               for i in range(5)]
    assert all(re.fullmatch(r"A[0-9]{4}", h) for h in handles)  # its pattern
    assert len(set(handles)) == 5
    assert library.get(f"/authors/{handles[2]}").json() == {"handle": handles[2], "name": "A2"}
    assert [a["name"] for a in library.get("/authors").json()["data"]] == \
        [f"A{i}" for i in range(5)]


def test_integer_ids_count_per_collection(library: TestClient) -> None:
    library.post("/books", json={"title": "Dune"})
    assert library.post("/books", json={"title": "Emma"}).json()["id"] == 2
    library.post("/shelves/AB12/volumes", json={"title": "V"})  # another collection: no effect
    assert library.post("/books", json={"title": "Ulysses"}).json()["id"] == 3


# --- GET list: order, filters, pages --------------------------------------------------------

def _shelve(library: TestClient) -> None:
    for title, genre, available in [("A", "sf", True), ("B", "crime", False), ("C", "sf", False),
                                    ("D", "sf", True), ("E", "crime", True)]:
        library.post("/books", json={"title": title, "genre": genre, "available": available})


def test_the_list_is_in_creation_order_and_filtered(library: TestClient) -> None:
    _shelve(library)
    assert [b["title"] for b in books(library)] == ["A", "B", "C", "D", "E"]
    assert [b["title"] for b in library.get("/books?genre=sf").json()] == ["A", "C", "D"]
    assert [b["title"] for b in library.get("/books?genre=sf&available=false").json()] == ["C"]
    assert library.get("/books?genre=poetry").json() == []


def test_the_list_is_paged_by_limit_and_offset(library: TestClient) -> None:
    _shelve(library)
    assert [b["title"] for b in library.get("/books?limit=2").json()] == ["A", "B"]
    assert [b["title"] for b in library.get("/books?limit=2&offset=2").json()] == ["C", "D"]
    assert [b["title"] for b in library.get("/books?offset=4").json()] == ["E"]
    assert [b["title"] for b in library.get("/books?genre=sf&limit=1&offset=1").json()] == ["C"]


def test_a_wrapped_list_is_paged_by_page_and_size(library: TestClient) -> None:
    for i in range(5):
        library.post("/shelves/AB12/volumes", json={"title": f"V{i}"})
    page = library.get("/shelves/AB12/volumes?page=2&size=2").json()
    assert [v["title"] for v in page["items"]] == ["V2", "V3"]
    assert page["total"] == 5
    assert [v["title"] for v in library.get("/shelves/AB12/volumes?page=3&size=2").json()[
        "items"]] == ["V4"]


# --- PUT, PATCH, DELETE ----------------------------------------------------------------------

def test_put_replaces_and_keeps_the_id(library: TestClient) -> None:
    library.post("/books", json={"title": "Dune", "genre": "sf", "tags": ["x"]})
    replaced = library.put("/books/1", json={"id": 99, "title": "Dune II"})
    assert replaced.status_code == 200
    assert replaced.json() == {"id": 1, "title": "Dune II", "genre": "fiction", "available": True}
    assert library.get("/books/1").json() == replaced.json()
    assert library.get("/books/99").status_code == 404


def test_put_creates_where_201_is_documented(library: TestClient) -> None:
    created = library.put("/books/5", json={"title": "New"})
    assert created.status_code == 201
    assert created.json()["id"] == 5
    assert library.get("/books/5").json()["title"] == "New"


def test_merge_patch(library: TestClient) -> None:
    library.post("/books", json={"title": "Dune", "tags": ["a"]})
    for headers in (MERGE, {"content-type": "application/json"}):
        patched = library.patch("/books/1", content=json.dumps({"available": False,
                                                                "tags": None}),
                                headers=headers)
        assert patched.status_code == 200
        assert patched.json() == {"id": 1, "title": "Dune", "genre": "fiction",
                                  "available": False}
    library.patch("/books/1", content=json.dumps({"title": "Dune!", "id": 3}), headers=MERGE)
    assert library.get("/books/1").json()["title"] == "Dune!"  # the id is kept
    assert library.get("/books/3").status_code == 404


def test_json_patch(library: TestClient) -> None:
    library.post("/books", json={"title": "Dune", "tags": ["a"]})
    ops = [{"op": "replace", "path": "/title", "value": "Dune II"},
           {"op": "add", "path": "/tags/-", "value": "b"},
           {"op": "remove", "path": "/available"},
           {"op": "test", "path": "/genre", "value": "fiction"}]
    patched = library.patch("/books/1", content=json.dumps(ops), headers=JSON_PATCH)
    assert patched.status_code == 200, patched.text
    assert library.get("/books/1").json() == {"id": 1, "title": "Dune II", "genre": "fiction",
                                              "tags": ["a", "b"]}


def test_a_failing_json_patch_changes_nothing(library: TestClient) -> None:
    library.post("/books", json={"title": "Dune"})
    ops = [{"op": "replace", "path": "/title", "value": "X"},
           {"op": "test", "path": "/genre", "value": "poetry"}]
    failed = library.patch("/books/1", content=json.dumps(ops), headers=JSON_PATCH)
    assert failed.status_code == 422
    assert library.get("/books/1").json()["title"] == "Dune"


def test_patch_and_put_of_an_unknown_id_are_404(library: TestClient) -> None:
    assert library.patch("/books/8", content="{}", headers=MERGE).status_code == 404
    assert library.delete("/books/8").status_code == 404
    assert books(library) == []


def test_delete_answers_the_documented_2xx_then_404(library: TestClient) -> None:
    library.post("/books", json={"title": "Dune"})
    library.post("/books", json={"title": "Emma"})
    deleted = library.delete("/books/1")
    assert deleted.status_code == 204 and deleted.content == b""
    assert library.get("/books/1").status_code == 404
    assert library.delete("/books/1").status_code == 404
    assert [b["title"] for b in books(library)] == ["Emma"]
    volume = library.post("/shelves/AB12/volumes", json={"title": "V"}).json()
    removed = library.delete(f"/shelves/AB12/volumes/{volume['volumeId']}")
    assert removed.status_code == 200 and removed.json() == volume


# --- invalid requests, Prefer, non-CRUD operations --------------------------------------------

def test_invalid_writes_are_refused_as_stateless_and_change_nothing(library: TestClient) -> None:
    from specdouble.engine.mock import Options
    from specdouble.http.mock import create_mock_app

    source = library.app.mocker.documents[0].source  # type: ignore[attr-defined]
    stateless = TestClient(create_mock_app([source], Options()),
                           base_url="http://127.0.0.1:4010")
    library.post("/books", json={"title": "Dune"})
    before = books(library)
    invalid = [("POST", "/books", {"json": {"genre": "no title"}}),
               ("POST", "/books", {"json": {"title": ""}}),
               ("POST", "/books", {"content": "{not json",
                                   "headers": {"content-type": "application/json"}}),
               ("POST", "/books", {"content": "title=x",
                                   "headers": {"content-type": "text/plain"}}),
               ("PUT", "/books/1", {"json": {"title": 5}}),
               ("PUT", "/books/abc", {"json": {"title": "x"}}),
               ("PATCH", "/books/1", {"content": "[]",
                                      "headers": {"content-type": "text/csv"}}),
               ("DELETE", "/books/x", {}),
               ("GET", "/shelves/lower/volumes", {})]
    for method, path, extra in invalid:
        refused = library.request(method, path, **extra)  # type: ignore[arg-type]
        alone = stateless.request(method, path, **extra)  # type: ignore[arg-type]
        assert refused.status_code in (400, 415, 422), (method, path, refused.text)
        assert (refused.status_code, refused.content) == (alone.status_code, alone.content)
    assert books(library) == before
    assert library.post("/books", json={"title": "Next"}).json()["id"] == 2  # no id used


def test_prefer_forces_a_documented_answer_and_never_touches_state(library: TestClient) -> None:
    forced = library.post("/books", json={"title": "Dune"}, headers={"Prefer": "code=201"})
    assert forced.status_code == 201
    assert books(library) == []
    assert library.post("/books?__code=201", json={"title": "Dune"}).status_code == 201
    assert books(library) == []
    assert library.get("/books/3", headers={"Prefer": "code=200"}).status_code == 200
    assert library.get("/books/3", headers={"Prefer": "dynamic=true"}).status_code == 200
    library.post("/books", json={"title": "Kept"})
    assert library.delete("/books/1", headers={"Prefer": "code=204"}).status_code == 204
    assert library.get("/books/1").json()["title"] == "Kept"
    assert library.get("/books", headers={"Prefer": "code=200"}).status_code == 200
    assert library.post("/books", json={"title": "Two"}).json()["id"] == 2


def test_operations_that_are_not_crud_answer_stateless(library: TestClient) -> None:
    assert library.get("/health").json() == {"status": "up"}
    assert library.post("/books/1/borrow").json() == {"ok": True}
    assert books(library) == []


def test_an_ambiguous_wrapper_is_reported_and_stays_stateless(
        make_app: Callable[..., MockApp]) -> None:
    app = make_app("library31.yaml")
    assert app.stateful is not None
    warnings = [w for w in app.stateful.warnings if "GET /reports" in w]
    assert len(warnings) == 1 and "daily, weekly" in warnings[0] and "stateless" in warnings[0]
    body = TestClient(app).get("/reports").json()
    assert len(body["daily"]) == 1 and len(body["weekly"]) == 1  # the stateless sample


# --- what was inferred ----------------------------------------------------------------------

def test_admin_collections_lists_what_was_inferred(library: TestClient) -> None:
    answer = library.get("/__admin/collections")
    assert answer.status_code == 200
    found = {c["path"]: c for c in answer.json()["collections"]}
    assert set(found) == {"/books", "/shelves/{shelf}/volumes", "/authors"}
    assert found["/books"]["idProperty"] == "id" and found["/books"]["idType"] == "integer"
    assert found["/books"]["operations"] == {
        "list": "GET /books", "create": "POST /books", "read": "GET /books/{bookId}",
        "replace": "PUT /books/{bookId}", "update": "PATCH /books/{bookId}",
        "delete": "DELETE /books/{bookId}"}
    volumes = found["/shelves/{shelf}/volumes"]
    assert (volumes["idProperty"], volumes["idFormat"], volumes["wrapper"], volumes["scope"]) == \
        ("volumeId", "uuid", "items", ["shelf"])
    assert found["/authors"]["idProperty"] == "handle"  # the first readOnly property
    assert any("GET /reports" in w for w in answer.json()["warnings"])


def test_without_stateful_nothing_is_kept() -> None:
    from specdouble.engine.mock import Options
    from specdouble.http.mock import create_mock_app
    from tests.stateful.conftest import SPECS

    client = TestClient(create_mock_app([SPECS / "library30.yaml"], Options()))
    assert client.post("/books", json={"title": "Dune"}).status_code == 201
    assert client.get("/books").json() != []  # the stateless sample
    assert client.get("/__admin/collections").status_code == 404


# --- several processes on one Redis ------------------------------------------------------------

def test_two_apps_on_one_store_share_records_and_ids(backend: str,
                                                     make_app: Callable[..., MockApp]) -> None:
    """Two workers on one store (on Redis: two processes' view) are one world."""
    store = open_store(backend)
    try:
        first = TestClient(make_app("library30.yaml", store=store))
        second = TestClient(make_app("library30.yaml", store=store))
        assert first.post("/books", json={"title": "A"}).json()["id"] == 1
        assert second.post("/books", json={"title": "B"}).json()["id"] == 2
        assert [b["title"] for b in books(first)] == ["A", "B"]
    finally:
        if hasattr(store, "flush"):
            store.flush()
            store.close()


def test_a_documented_location_names_the_new_record(client_for: Callable[..., TestClient]) -> None:
    client = client_for("library30.yaml")
    client.post("/books", json={"title": "Dune"})
    assert client.post("/v1/books", json={"title": "Emma"}).headers["location"] == "/v1/books/2"


def test_a_dropped_tenant_starts_again_empty(make_app: Callable[..., MockApp]) -> None:
    """What an admin reset does to tenant default: the collections start empty, ids at 1."""
    app = make_app("library20.yaml")
    client = TestClient(app)
    client.post("/books", json={"title": "Dune"})
    assert app.stateful is not None
    app.stateful.store.drop_tenant("default")
    assert books(client) == []
    assert client.post("/books", json={"title": "Again"}).json()["id"] == 1
    app.stateful.store.load_tenant("default", {"/books": {"4": {"id": 4, "title": "Loaded"}}})
    assert [b["title"] for b in books(client)] == ["Loaded"]
    assert client.post("/books", json={"title": "After"}).json()["id"] == 1
    assert client.post("/books", json={"title": "More"}).json()["id"] == 2
