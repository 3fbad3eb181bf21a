"""The cache of values derived from a tenant's records: reused only while they are the same."""

from __future__ import annotations

from collections.abc import Callable

from specdouble.state.base import Record
from specdouble.state.derived import DerivedCache
from specdouble.state.memory import MemoryStore


def _counting() -> tuple[list[int], Callable[[tuple[list[Record], ...]], list[str]]]:
    calls: list[int] = []

    def build(held: tuple[list[Record], ...]) -> list[str]:
        calls.append(1)
        return sorted(r["id"] for r in held[0])

    return calls, build


def test_value_is_built_once_while_the_memory_store_hands_out_the_same_records() -> None:
    store = MemoryStore()
    store.load_tenant("acme", {"things": {"b": {"id": "b"}, "a": {"id": "a"}}})
    cache: DerivedCache[list[str]] = DerivedCache()
    calls, build = _counting()
    for _ in range(3):
        with store.transaction("acme") as tx:
            assert cache.get("acme", (tx.view("things"),), build) == ["a", "b"]
    assert len(calls) == 1


def test_a_write_replacing_one_record_builds_again() -> None:
    store = MemoryStore()
    store.load_tenant("acme", {"things": {"a": {"id": "a"}}})
    cache: DerivedCache[list[str]] = DerivedCache()
    calls, build = _counting()
    with store.transaction("acme") as tx:
        cache.get("acme", (tx.view("things"),), build)
    with store.transaction("acme") as tx:
        tx.put("things", "a", {"id": "a"})  # same content, a new object
        tx.put("things", "c", {"id": "c"})
    with store.transaction("acme") as tx:
        assert cache.get("acme", (tx.view("things"),), build) == ["a", "c"]
    assert len(calls) == 2


def test_fresh_objects_with_equal_content_are_never_taken_for_the_same() -> None:
    """A shared store reads new objects each time: nothing is reused, nothing is stale."""
    cache: DerivedCache[list[str]] = DerivedCache()
    calls, build = _counting()
    for _ in range(2):
        assert cache.get("acme", ([{"id": "a"}],), build) == ["a"]
    assert len(calls) == 2


def test_tenants_are_kept_apart_and_the_cache_is_bounded() -> None:
    cache: DerivedCache[list[str]] = DerivedCache(tenants=2)
    calls, build = _counting()
    acme = [{"id": "a"}]
    globex = [{"id": "g"}]
    assert cache.get("acme", (acme,), build) == ["a"]
    assert cache.get("globex", (globex,), build) == ["g"]
    assert cache.get("acme", (acme,), build) == ["a"]
    assert len(calls) == 2
    cache.get("initech", ([{"id": "i"}],), build)
    cache.get("acme", (acme,), build)
    assert len(calls) == 4
