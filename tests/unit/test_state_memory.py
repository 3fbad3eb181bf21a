"""Both stores (memory, Redis): staged writes, isolation, all-or-nothing transactions."""

from __future__ import annotations

import threading

import pytest

from specdouble.state.base import Store, Transaction, run_transaction
from specdouble.state.memory import MemoryStore


@pytest.fixture(params=["memory", "redis"])
def store(request: pytest.FixtureRequest) -> Store:
    s: Store = (MemoryStore() if request.param == "memory"
                else request.getfixturevalue("redis_store"))
    s.load_tenant("acme", {"things": {"a": {"id": "a", "n": 1}}})
    s.load_tenant("globex", {"things": {}})
    return s


def test_reads_see_staged_writes_and_commit_applies(store: Store) -> None:
    with store.transaction("acme") as tx:
        tx.put("things", "b", {"id": "b"})
        assert tx.delete("things", "a")
        assert tx.keys("things") == ["b"]
        assert tx.get("things", "a") is None
    assert store.export_tenant("acme")["things"] == {"b": {"id": "b"}}


def test_exception_discards_every_write(store: Store) -> None:
    with pytest.raises(RuntimeError), store.transaction("acme") as tx:
        tx.put("things", "b", {"id": "b"})
        tx.delete("things", "a")
        raise RuntimeError("rejected")
    assert store.export_tenant("acme")["things"] == {"a": {"id": "a", "n": 1}}


def test_records_are_copies(store: Store) -> None:
    with store.transaction("acme") as tx:
        record = tx.get("things", "a")
        assert record is not None
        record["n"] = 99
    with store.transaction("acme") as tx:
        assert tx.get("things", "a") == {"id": "a", "n": 1}


def test_tenants_are_isolated_and_unknown_tenant_raises(store: Store) -> None:
    with store.transaction("globex") as tx:
        assert tx.get("things", "a") is None
    with pytest.raises(KeyError), store.transaction("nobody"):
        pass
    assert store.tenants() == ["acme", "globex"]
    assert store.drop_tenant("globex") and not store.has_tenant("globex")


def test_sequences_count_and_writes_serialize(store: Store) -> None:
    def once(tx: Transaction) -> None:
        record = tx.get("things", "a")
        assert record is not None
        record["n"] += 1
        tx.put("things", "a", record)
        tx.next_sequence("ids")

    def bump() -> None:
        for _ in range(200):  # Redis is optimistic: a unit of work that lost runs again
            run_transaction(store, "acme", once, attempts=1000)

    threads = [threading.Thread(target=bump) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert store.export_tenant("acme")["things"]["a"]["n"] == 801
    with store.transaction("acme") as tx:
        assert tx.next_sequence("ids") == 801


def test_view_lists_what_values_lists_staged_writes_included(store: Store) -> None:
    with store.transaction("acme") as tx:
        tx.put("things", "b", {"id": "b"})
        tx.put("things", "a", {"id": "a", "n": 2})
        tx.put("things", "c", {"id": "c"})
        tx.delete("things", "b")
        assert tx.view("things") == tx.values("things") == [{"id": "a", "n": 2}, {"id": "c"}]


def test_memory_view_skips_the_copy_and_put_never_changes_a_viewed_record() -> None:
    store = MemoryStore()
    store.load_tenant("acme", {"things": {"a": {"id": "a", "n": 1}}})
    with store.transaction("acme") as tx:
        viewed = tx.view("things")[0]
        assert viewed is tx.view("things")[0]  # the stored object, not a copy
    with store.transaction("acme") as tx:
        tx.put("things", "a", {"id": "a", "n": 2})
    assert viewed == {"id": "a", "n": 1}  # a later write replaced it, never changed it
