"""Contact assignment rules at domain level, on a small hand-built tenant."""

from __future__ import annotations

import re
import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from specdouble.domain import contacts
from specdouble.domain.contacts import ListParams
from specdouble.state.memory import MemoryStore
from specdouble.support.problems import Problem

T = "acme"
NOW = datetime(2025, 1, 2, 3, 4, 5, 678000, tzinfo=UTC)
LATER = NOW + timedelta(hours=1)


def legal_entity(key: str, name: str, **extra: Any) -> dict[str, Any]:
    return {"id": key, "name": name, "type": "COMPANY", **extra}


def customer(key: str, name: str, surname: str) -> dict[str, Any]:
    return {"id": key, "name": name, "surname": surname}


def assignment(key: str, le: str, cu: str, kind: str, primary: bool, at: str) -> dict[str, Any]:
    return {
        "id": key,
        "legalEntity": {"id": le},
        "customer": {"id": cu},
        "type": kind,
        "primary": primary,
        "metadata": {"createdAt": at, "modifiedAt": at, "version": 1},
    }


@pytest.fixture
def store() -> MemoryStore:
    memory = MemoryStore()
    groups = [{"id": "g1", "name": {"en": "Wholesale"}}, {"id": "g2", "name": {"en": "Retail"}}]
    entities = [
        legal_entity("le1", "Acme Corp", customerGroups=groups),
        legal_entity("le2", "Beta GmbH", customerGroups=groups[1:]),
        legal_entity("le3", "Gamma Ltd"),
    ]
    people = [
        customer("cu1", "John", "Doe"),
        customer("cu2", "Jane", "Roe"),
        customer("cu3", "Adam", "Smith"),
        customer("cu4", "Eve", "Stone"),
    ]
    links = [
        assignment("a1", "le1", "cu1", "BILLING", True, "2022-01-01T00:00:00.000Z"),
        assignment("a2", "le1", "cu2", "CONTACT", False, "2022-01-03T00:00:00.000Z"),
        assignment("a3", "le2", "cu1", "PRIMARY", False, "2022-01-02T00:00:00.000Z"),
        assignment("a4", "le2", "cu3", "LOGISTICS", True, "2022-01-04T00:00:00.000Z"),
    ]
    memory.load_tenant(
        T,
        {
            contacts.LEGAL_ENTITIES: {r["id"]: r for r in entities},
            contacts.CUSTOMERS: {r["id"]: r for r in people},
            contacts.ASSIGNMENTS: {r["id"]: r for r in links},
        },
    )
    return memory


def body(le: str = "le3", cu: str = "cu4", **extra: Any) -> dict[str, Any]:
    return {"legalEntity": {"id": le}, "customer": {"id": cu}, **extra}


def problem(call: Any, *args: Any) -> Problem:
    with pytest.raises(Problem) as caught:
        call(*args)
    return caught.value


def stored(store: MemoryStore, key: str) -> dict[str, Any] | None:
    return store.export_tenant(T)[contacts.ASSIGNMENTS].get(key)


# --- create ---------------------------------------------------------------------------


def test_create_generates_an_object_id_and_applies_defaults(store: MemoryStore) -> None:
    created = contacts.create_assignment(store, T, body(), NOW)
    assert list(created) == ["id"]
    assert re.fullmatch(r"[0-9a-f]{24}", created["id"])
    assert created["id"].startswith(f"{int(NOW.timestamp()):08x}")
    record = contacts.get_assignment(store, T, created["id"])
    assert record["type"] == "CONTACT"
    assert record["primary"] is False
    assert record["metadata"] == {
        "createdAt": "2025-01-02T03:04:05.678Z",
        "modifiedAt": "2025-01-02T03:04:05.678Z",
        "version": 1,
    }


def test_create_keeps_only_ids_and_expands_on_read(store: MemoryStore) -> None:
    created = contacts.create_assignment(store, T, body(type="BILLING", primary=True), NOW)
    raw = stored(store, created["id"])
    assert raw is not None
    assert raw["legalEntity"] == {"id": "le3"} and raw["customer"] == {"id": "cu4"}
    read = contacts.get_assignment(store, T, created["id"])
    assert read["legalEntity"] == {"id": "le3", "name": "Gamma Ltd", "type": "COMPANY"}
    assert read["customer"] == {"id": "cu4", "name": "Eve", "surname": "Stone"}
    assert (read["type"], read["primary"]) == ("BILLING", True)


def test_generated_ids_are_unique_and_deterministic(store: MemoryStore) -> None:
    other = MemoryStore()
    other.load_tenant(T, store.export_tenant(T))
    first = [
        contacts.create_assignment(store, T, body("le3", cu), NOW)["id"]
        for cu in ("cu1", "cu2", "cu3")
    ]
    second = [
        contacts.create_assignment(other, T, body("le3", cu), NOW)["id"]
        for cu in ("cu1", "cu2", "cu3")
    ]
    assert len(set(first)) == 3
    assert first == second


def test_create_with_custom_id_and_mixins(store: MemoryStore) -> None:
    created = contacts.create_assignment(
        store, T, body(id="my_id-1", mixins={"note": {"text": "hi"}}), NOW
    )
    assert created == {"id": "my_id-1"}
    assert contacts.get_assignment(store, T, "my_id-1")["mixins"] == {"note": {"text": "hi"}}


def test_duplicate_custom_id_is_409(store: MemoryStore) -> None:
    error = problem(contacts.create_assignment, store, T, body(id="a1"), NOW)
    assert error.status == 409
    assert error.resource_id == "a1"
    assert error.details == ["body.id: contact assignment 'a1' already exists"]


@pytest.mark.parametrize("bad", ["", "a.b", "a b", "x" * 67, 12])
def test_invalid_custom_id_is_400(store: MemoryStore, bad: Any) -> None:
    error = problem(contacts.create_assignment, store, T, body(id=bad), NOW)
    assert error.status == 400
    assert error.details[0].startswith("body.id:")


def test_second_assignment_of_a_pair_is_409_whatever_the_type(store: MemoryStore) -> None:
    error = problem(contacts.create_assignment, store, T, body("le1", "cu1", type="PRIMARY"), NOW)
    assert error.status == 409
    assert error.message == contacts.MSG_ALREADY_ASSIGNED
    assert error.resource_id == "a1"
    assert "customer 'cu1' is already assigned to legal entity 'le1'" in error.details[0]


def test_unknown_legal_entity_is_404_and_writes_nothing(store: MemoryStore) -> None:
    before = store.export_tenant(T)
    error = problem(contacts.create_assignment, store, T, body("nope", "cu1"), NOW)
    assert error.status == 404
    assert error.message == "The legal entity with the requested code does not exist."
    assert error.resource_id == "nope"
    assert error.details == ["body.legalEntity.id: no legal entity 'nope' in this tenant"]
    assert store.export_tenant(T) == before


def test_unknown_customer_is_404(store: MemoryStore) -> None:
    error = problem(contacts.create_assignment, store, T, body("le1", "ghost"), NOW)
    assert error.status == 404
    assert error.message == "The customer with the requested code does not exist."
    assert error.resource_id == "ghost"


@pytest.mark.parametrize(
    ("payload", "detail"),
    [
        ({"customer": {"id": "cu1"}}, "body.legalEntity.id: is required"),
        ({"legalEntity": {"id": "le1"}}, "body.customer.id: is required"),
        (body(type="OWNER"), "body.type: must be one of PRIMARY, BILLING, LOGISTICS, CONTACT"),
        (body(primary="yes"), "body.primary: must be a boolean"),
    ],
)
def test_invalid_create_bodies_are_400(
    store: MemoryStore, payload: dict[str, Any], detail: str
) -> None:
    error = problem(contacts.create_assignment, store, T, payload, NOW)
    assert error.status == 400
    assert detail in error.details


# --- upsert ---------------------------------------------------------------------------


def test_upsert_creates_under_the_path_id_ignoring_a_version(store: MemoryStore) -> None:
    result = contacts.upsert_assignment(
        store, T, "new-1", body(type="LOGISTICS", metadata={"version": 7}), NOW
    )
    assert result == contacts.UpsertResult("new-1", created=True)
    assert contacts.get_assignment(store, T, "new-1")["metadata"]["version"] == 1


def test_upsert_updates_bumps_version_and_keeps_created_at(store: MemoryStore) -> None:
    payload = body("le1", "cu1", type="LOGISTICS", metadata={"version": 1})
    result = contacts.upsert_assignment(store, T, "a1", payload, LATER)
    assert result == contacts.UpsertResult("a1", created=False)
    read = contacts.get_assignment(store, T, "a1")
    assert read["type"] == "LOGISTICS"
    assert read["primary"] is False  # PUT replaces; primary defaults to false
    assert read["metadata"] == {
        "createdAt": "2022-01-01T00:00:00.000Z",
        "modifiedAt": "2025-01-02T04:04:05.678Z",
        "version": 2,
    }


def test_upsert_with_a_stale_version_is_409_and_changes_nothing(store: MemoryStore) -> None:
    contacts.upsert_assignment(store, T, "a1", body("le1", "cu1", type="CONTACT"), NOW)
    before = stored(store, "a1")
    payload = body("le1", "cu1", type="PRIMARY", metadata={"version": 1})
    error = problem(contacts.upsert_assignment, store, T, "a1", payload, LATER)
    assert error.status == 409
    assert error.details == ["body.metadata.version: is 1, the stored version is 2"]
    assert error.resource_id == "a1"
    assert stored(store, "a1") == before


def test_upsert_without_version_skips_the_check(store: MemoryStore) -> None:
    for _ in range(3):
        contacts.upsert_assignment(store, T, "a1", body("le1", "cu1", type="CONTACT"), NOW)
    assert contacts.get_assignment(store, T, "a1")["metadata"]["version"] == 4


def test_upsert_can_move_an_assignment_but_not_onto_a_taken_pair(store: MemoryStore) -> None:
    contacts.upsert_assignment(store, T, "a1", body("le3", "cu1", type="BILLING"), NOW)
    assert contacts.get_assignment(store, T, "a1")["legalEntity"]["id"] == "le3"
    error = problem(
        contacts.upsert_assignment, store, T, "a2", body("le2", "cu1", type="BILLING"), NOW
    )
    assert error.status == 409
    assert error.resource_id == "a3"
    error = problem(
        contacts.upsert_assignment, store, T, "fresh", body("le2", "cu3", type="BILLING"), NOW
    )
    assert error.status == 409


def test_upsert_requires_type_and_a_valid_version(store: MemoryStore) -> None:
    error = problem(contacts.upsert_assignment, store, T, "a1", body("le1", "cu1"), NOW)
    assert error.details == ["body.type: is required"]
    payload = body("le1", "cu1", type="BILLING", metadata={"version": 0})
    error = problem(contacts.upsert_assignment, store, T, "a1", payload, NOW)
    assert error.details == ["body.metadata.version: must be an integer >= 1"]
    error = problem(contacts.upsert_assignment, store, T, "a.b", body(type="BILLING"), NOW)
    assert error.details[0].startswith("path.contactAssignmentId:")


def test_upsert_checks_references(store: MemoryStore) -> None:
    error = problem(contacts.upsert_assignment, store, T, "a1", body("zz", type="BILLING"), NOW)
    assert (error.status, error.message) == (404, contacts.MSG_NO_LEGAL_ENTITY)


def race(store: MemoryStore, version: int) -> list[Any]:
    """Two PUTs of a1 holding the same version, released together."""
    barrier = threading.Barrier(2)
    outcomes: list[Any] = []
    lock = threading.Lock()

    def writer(kind: str) -> None:
        barrier.wait()
        try:
            payload = body("le1", "cu1", type=kind, metadata={"version": version})
            result: Any = contacts.upsert_assignment(store, T, "a1", payload, NOW)
        except Problem as error:
            result = error.status
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=writer, args=(k,)) for k in ("BILLING", "CONTACT")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


def test_concurrent_upserts_with_the_same_version_exactly_one_wins(store: MemoryStore) -> None:
    for round_ in range(25):
        version = contacts.get_assignment(store, T, "a1")["metadata"]["version"]
        outcomes = race(store, version)
        wins = [o for o in outcomes if isinstance(o, contacts.UpsertResult)]
        assert len(wins) == 1, (round_, outcomes)
        assert outcomes.count(409) == 1, (round_, outcomes)
        assert contacts.get_assignment(store, T, "a1")["metadata"]["version"] == version + 1


# --- delete and get ---------------------------------------------------------------------


def test_delete_then_get_is_404(store: MemoryStore) -> None:
    contacts.delete_assignment(store, T, "a2")
    error = problem(contacts.get_assignment, store, T, "a2")
    assert error.status == 404
    assert error.message == contacts.MSG_NO_ASSIGNMENT
    assert error.resource_id == "a2"
    assert problem(contacts.delete_assignment, store, T, "a2").status == 404


def test_delete_frees_the_pair(store: MemoryStore) -> None:
    contacts.delete_assignment(store, T, "a1")
    assert contacts.create_assignment(store, T, body("le1", "cu1"), NOW)["id"]


def test_get_projects_fields_and_keeps_id(store: MemoryStore) -> None:
    read = contacts.get_assignment(store, T, "a1", "type,legalEntity.customerGroups.name.en")
    assert read == {
        "id": "a1",
        "legalEntity": {
            "customerGroups": [{"name": {"en": "Wholesale"}}, {"name": {"en": "Retail"}}]
        },
        "type": "BILLING",
    }


def test_reads_show_the_current_legal_entity(store: MemoryStore) -> None:
    with store.transaction(T) as tx:
        entity = tx.get(contacts.LEGAL_ENTITIES, "le1")
        assert entity is not None
        tx.put(contacts.LEGAL_ENTITIES, "le1", {**entity, "name": "Acme Renamed"})
    assert contacts.get_assignment(store, T, "a1")["legalEntity"]["name"] == "Acme Renamed"


# --- list -------------------------------------------------------------------------------


def listed(store: MemoryStore, **params: Any) -> tuple[list[str], int]:
    page = contacts.list_assignments(store, T, ListParams(**params))
    return [item["id"] for item in page.items], page.total


@pytest.mark.parametrize(
    ("params", "ids", "total"),
    [
        ({}, ["a1", "a3", "a2", "a4"], 4),  # default: createdAt, then id
        ({"legal_entity_id": "le1"}, ["a1", "a2"], 2),
        ({"customer_id": "cu1"}, ["a1", "a3"], 2),
        ({"type": "LOGISTICS"}, ["a4"], 1),
        ({"primary": True}, ["a1", "a4"], 2),
        ({"primary": False}, ["a3", "a2"], 2),
        ({"legal_entity_id": "le1", "primary": False}, ["a2"], 1),
        ({"q": "customer.name:~^J"}, ["a1", "a3", "a2"], 3),
        ({"q": "customer.name:~^J", "legal_entity_id": "le2"}, ["a3"], 1),
        ({"q": "legalEntity.customerGroups.id:g1"}, ["a1", "a2"], 2),
        ({"q": 'legalEntity.name:"Beta GmbH" primary:true'}, ["a4"], 1),
        ({"q": "nosuch:x"}, [], 0),
        ({"sort": "type"}, ["a1", "a2", "a4", "a3"], 4),
        ({"sort": "legalEntity.name:desc,customer.surname"}, ["a3", "a4", "a1", "a2"], 4),
        ({"sort": "primary:DESC,metadata.createdAt:desc"}, ["a4", "a1", "a2", "a3"], 4),
        ({"sort": "primary"}, ["a3", "a2", "a1", "a4"], 4),  # stable within equal keys
        ({"page_size": 3}, ["a1", "a3", "a2"], 4),
        ({"page_size": 3, "page_number": 2}, ["a4"], 4),
        ({"page_size": 3, "page_number": 3}, [], 4),
        ({"page_size": 1, "page_number": 2, "sort": "id:desc"}, ["a3"], 4),
        ({"page_size": 1, "page_number": 1, "customer_id": "cu1", "sort": "type"}, ["a1"], 2),
    ],
)
def test_list_combinations(
    store: MemoryStore, params: dict[str, Any], ids: list[str], total: int
) -> None:
    assert listed(store, **params) == (ids, total)


def test_list_default_page_size_is_16(store: MemoryStore) -> None:
    for number in range(20):
        entity = f"x{number}"
        with store.transaction(T) as tx:
            tx.put(contacts.LEGAL_ENTITIES, entity, legal_entity(entity, entity))
        contacts.create_assignment(store, T, body(entity, "cu1"), NOW)
    ids, total = listed(store)
    assert (len(ids), total) == (16, 24)
    assert listed(store, page_number=2)[0] == listed(store, page_size=24)[0][16:]


def test_list_projects_fields(store: MemoryStore) -> None:
    page = contacts.list_assignments(store, T, ListParams(fields="customer.name", page_size=2))
    assert page.items == [
        {"id": "a1", "customer": {"name": "John"}},
        {"id": "a3", "customer": {"name": "John"}},
    ]


def test_a_repeated_list_sees_every_write_and_returns_its_own_copies(store: MemoryStore) -> None:
    """Lists reuse their expansion while nothing changed: any write must still show."""
    assert listed(store, q="customer.name:~^J") == (["a1", "a3", "a2"], 3)
    with store.transaction(T) as tx:
        person = tx.get(contacts.CUSTOMERS, "cu2")
        assert person is not None
        tx.put(contacts.CUSTOMERS, "cu2", {**person, "name": "Mary"})
    assert listed(store, q="customer.name:~^J") == (["a1", "a3"], 2)
    contacts.delete_assignment(store, T, "a1")
    assert listed(store, q="customer.name:~^J") == (["a3"], 1)
    first = contacts.list_assignments(store, T, ListParams()).items
    first[0]["customer"]["name"] = "changed by a caller"
    first[0]["type"] = "changed too"
    again = contacts.list_assignments(store, T, ListParams()).items
    assert again[0]["customer"]["name"] == "John"
    assert again[0]["type"] == "PRIMARY"


def test_malformed_q_is_a_400_naming_the_parameter(store: MemoryStore) -> None:
    error = problem(contacts.list_assignments, store, T, ListParams(q="type:(BILLING"))
    assert error.status == 400
    assert error.details[0].startswith("query.q: at column 14: unexpected end of query")


@pytest.mark.parametrize(
    ("params", "detail"),
    [
        (ListParams(page_number=0), "query.pageNumber: must be 1 or more"),
        (ListParams(page_size=0), "query.pageSize: must be 1 or more"),
    ],
)
def test_invalid_paging_is_400(store: MemoryStore, params: ListParams, detail: str) -> None:
    assert problem(contacts.list_assignments, store, T, params).details == [detail]

