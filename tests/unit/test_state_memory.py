"""Both stores (memory, Redis): staged writes, isolation, all-or-nothing transactions."""

from __future__ import annotations

import threading

import pytest

from specdouble.state.base import Store, Transaction, run_transaction
from specdouble.state.memory import MemoryStore
from specdouble.state.packed import PackedTenant


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


PACKABLE = {"things": {"a": {"id": "a", "n": 1, "tags": ["x"]}, "b": {"id": "b", "n": 2.5}},
            "others": {}}


def test_packed_tenant_round_trips_and_refuses_what_json_bytes_cannot_hold() -> None:
    packed = PackedTenant.pack(PACKABLE)
    assert packed.unpack() == PACKABLE
    assert list(packed.unpack()["things"]) == ["a", "b"]
    with pytest.raises(TypeError):
        PackedTenant.pack({"things": {"a": {"id": "a", "n": 2**70}}})


def test_both_stores_load_a_packed_tenant(store: Store) -> None:
    store.load_tenant("initech", PackedTenant.pack(PACKABLE))
    assert store.export_tenant("initech") == PACKABLE
    with store.transaction("initech") as tx:
        assert tx.get("things", "a") == PACKABLE["things"]["a"]
        tx.put("others", "c", {"id": "c"})
    assert store.export_tenant("initech")["others"] == {"c": {"id": "c"}}
    assert store.add_tenant("initech", PackedTenant.pack({})) is False


def test_memory_keeps_packed_collections_until_read_and_never_changes_the_bytes() -> None:
    store = MemoryStore()
    packed = PackedTenant.pack(PACKABLE)
    store.load_tenant("acme", packed)
    held = store._tenants["acme"]._collections
    assert all(held[name] is packed.collections[name] for name in PACKABLE)  # shared, no copy
    assert store.export_tenant("acme") == PACKABLE
    assert all(isinstance(held[name], bytes) for name in PACKABLE)  # an export unpacks a copy
    with store.transaction("acme") as tx:
        tx.put("things", "a", {"id": "a", "n": 9})
        assert tx.keys("things") == ["a", "b"]
    assert isinstance(held["things"], dict) and held["others"] is packed.collections["others"]
    assert list(store.export_tenant("acme")) == ["things", "others"]  # load order kept
    assert packed.unpack() == PACKABLE  # what a reset loads again is untouched
    store.load_tenant("acme", packed)
    assert store.export_tenant("acme") == PACKABLE


def test_memory_drop_forgets_the_tenant_and_its_lock_and_waiters_move_on() -> None:
    store = MemoryStore()
    store.load_tenant("acme", PackedTenant.pack(PACKABLE))
    entered, results = threading.Event(), []

    def write() -> None:
        entered.wait()
        try:
            with store.transaction("acme") as tx:
                results.append(tx.keys("things"))
        except KeyError:
            results.append("gone")

    with store.transaction("acme"):
        waiter = threading.Thread(target=write)
        waiter.start()
        entered.set()
        assert store.drop_tenant("acme")
    waiter.join()
    assert results == ["gone"]
    assert "acme" not in store._tenants and "acme" not in store._locks
    store.load_tenant("acme", {"things": {}})
    with store.transaction("acme") as tx:
        assert tx.keys("things") == []
