"""The server state contract, on memory and on Redis; and what rests on it being shared."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest

from specdouble.state.redis import RedisStore
from specdouble.state.redis_server_state import RedisServerState
from specdouble.state.server_state import MemoryServerState, ServerState
from specdouble.world.faults import FaultRules
from specdouble.world.journal import Body, Entry, Journal


@pytest.fixture(params=["memory", "redis"])
def new_state(request: pytest.FixtureRequest) -> Iterator[Callable[[], ServerState]]:
    """A factory of server states that share one world: what each worker would hold."""
    if request.param == "memory":
        state = MemoryServerState()
        yield lambda: state
        return
    store: RedisStore = request.getfixturevalue("redis_store")
    opened: list[RedisStore] = []

    def build() -> ServerState:
        own = RedisStore(store.url, store.prefix)  # its own connections, as a worker has
        opened.append(own)
        return RedisServerState(own)

    yield build
    for own in opened:
        own.close()


def test_tables_put_get_put_new_delete_items_clear(new_state: Callable[[], ServerState]) -> None:
    one, other = new_state(), new_state()
    one.put("t", "a", {"n": 1})
    assert other.get("t", "a") == {"n": 1} and other.get("t", "b") is None
    assert other.put_new("t", "a", {"n": 2}) is False and one.get("t", "a") == {"n": 1}
    assert other.put_new("t", "b", [1, "x", None]) is True
    assert one.items("t") == {"a": {"n": 1}, "b": [1, "x", None]}
    assert one.delete("t", "a") is True and other.delete("t", "a") is False
    assert other.clear("t") == 1 and one.items("t") == {} and one.clear("t") == 0


def test_counters_add_read_and_drop(new_state: Callable[[], ServerState]) -> None:
    one, other = new_state(), new_state()
    assert one.value("c") == 0
    assert one.add("c") == 1 and other.add("c", 5) == 6 and one.value("c") == 6
    other.drop_counter("c")
    assert one.value("c") == 0 and one.add("c", -1) == -1


def test_a_log_numbers_its_items_and_keeps_the_newest(
        new_state: Callable[[], ServerState]) -> None:
    one, other = new_state(), new_state()
    numbers = [(one if i % 2 else other).append_numbered("log", "ids", {"i": i}, 5)
               for i in range(7)]
    assert numbers == list(range(1, 8)) and one.value("ids") == 7
    assert one.recent("log") == [{"id": i + 1, "i": i} for i in (6, 5, 4, 3, 2)]
    assert other.log_length("log") == 5
    assert one.clear_log("log") == 5 and other.recent("log") == [] and one.clear_log("log") == 0


def test_numbering_in_parallel_gives_each_item_its_own_id(
        new_state: Callable[[], ServerState]) -> None:
    states = [new_state() for _ in range(4)]
    with ThreadPoolExecutor(8) as pool:
        ids = list(pool.map(
            lambda i: states[i % 4].append_numbered("log", "ids", {"i": i}, 1000), range(200)))
    assert sorted(ids) == list(range(1, 201))
    kept = states[0].recent("log")
    assert [item["id"] for item in kept] == list(range(200, 0, -1))  # newest first, in id order
    assert {item["id"]: item["i"] for item in kept} == dict(zip(ids, range(200), strict=True))


def test_a_claim_has_one_holder_until_released(new_state: Callable[[], ServerState]) -> None:
    one, other = new_state(), new_state()
    assert one.claim("seeding", 60) is True
    assert other.claim("seeding", 60) is False
    one.release("seeding")
    assert other.claim("seeding", 60) is True


def test_a_redis_claim_lapses_when_its_holder_is_gone(redis_store: RedisStore) -> None:
    state = RedisServerState(redis_store)
    assert state.claim("seeding", 1)
    time.sleep(1.2)
    assert RedisServerState(redis_store).claim("seeding", 1)


def test_concurrent_counts_lose_nothing(new_state: Callable[[], ServerState]) -> None:
    states = [new_state() for _ in range(4)]
    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(lambda i: states[i % 4].add("hits"), range(400)))
    assert sorted(results) == list(range(1, 401))


def test_fault_times_count_down_exactly_once_across_workers(
        new_state: Callable[[], ServerState]) -> None:
    workers = [FaultRules(shared=new_state()) for _ in range(4)]
    rule = workers[0].create({"operationId": "listEvents", "status": 500, "times": 7})
    barrier = threading.Barrier(8)

    def request(i: int) -> str | None:
        barrier.wait() if i < 8 else None
        picked = workers[i % 4].pick("listEvents", "GET", "/x", "acme")
        return None if picked is None else picked.id

    with ThreadPoolExecutor(8) as pool:
        applied = [r for r in pool.map(request, range(60)) if r is not None]
    assert applied == [rule.id] * 7
    assert all(w.list() == [] for w in workers)


def test_fault_rules_list_in_creation_order_with_their_counts(
        new_state: Callable[[], ServerState]) -> None:
    first, second = FaultRules(shared=new_state()), FaultRules(shared=new_state())
    ids = [first.create({"status": 500, "times": 3}).id for _ in range(11)]
    second.pick("op", "GET", "/x", None)
    listed = second.list()
    assert [r.id for r in listed] == ids  # fault-10 after fault-9, not after fault-1
    assert (listed[0].remaining, listed[0].hits) == (2, 1)
    assert first.delete(ids[0]) and [r.id for r in second.list()] == ids[1:]
    assert second.clear() == 10 and first.list() == []


def test_one_journal_for_every_worker(new_state: Callable[[], ServerState]) -> None:
    first, second = Journal(3, shared=new_state()), Journal(3, shared=new_state())
    entries = []
    for i, log in enumerate([first, second, first, second]):
        entry = Entry(
            id=0, time="2026-01-01T00:00:00.000Z", method="GET", path=f"/p/{i}",
            query="", tenant="acme", operation_id="listEvents", status=200, duration_ms=1.5,
            request=Body(None, 0, False), response=Body("[]", 2, False),
            validation_errors=("query.x: bad",) if i else (), forced=bool(i % 2),
            fault="fault-1" if i == 3 else None,
            response_violations=None if i < 2 else ("body: wrong",))
        entries.append(log.add(entry))
    assert [e.id for e in entries] == [1, 2, 3, 4]
    assert second.entries() == entries[:0:-1]  # newest first, the oldest dropped (size 3)
    assert len(first) == 3 and first.clear() == 3 and second.entries() == []
