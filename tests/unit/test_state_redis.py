"""What only the Redis store has to get right: conflicts, processes, outages, layout."""

from __future__ import annotations

import contextvars
import multiprocessing
import uuid
from collections.abc import Callable
from typing import TypeVar

import pytest
from tests.redisserver import (
    RedisServer,
    free_port,
    lose_connection_while_watching,
)

from specdouble.state.base import (
    StoreUnavailable,
    Transaction,
    TransactionConflict,
    run_transaction,
)
from specdouble.state.redis import RedisStore, redacted
from specdouble.state.select import open_store
from specdouble.support.problems import Problem, conflict

BIG = 2**80 + 1
T = TypeVar("T")


@pytest.fixture
def store(redis_store: RedisStore) -> RedisStore:
    redis_store.load_tenant("acme", {"things": {"a": {"id": "a", "n": 1}}, "empty": {}})
    redis_store.load_tenant("globex", {"things": {}})
    return redis_store


def test_order_big_integers_and_empty_collections_survive(store: RedisStore) -> None:
    with store.transaction("acme") as tx:
        for key in ["z", "b", "m"]:
            tx.put("things", key, {"id": key, "big": BIG, "text": "ü"})
        tx.put("things", "a", {"id": "a", "n": 2})  # a replace keeps its place
    with store.transaction("acme") as tx:
        assert tx.keys("things") == ["a", "z", "b", "m"]
        assert [r["id"] for r in tx.values("things")] == ["a", "z", "b", "m"]
        assert tx.get("things", "z") == {"id": "z", "big": BIG, "text": "ü"}
    exported = store.export_tenant("acme")
    assert list(exported["things"]) == ["a", "z", "b", "m"] and exported["empty"] == {}
    store.load_tenant("copy", exported)
    assert store.export_tenant("copy") == exported


def test_prefixes_are_separate_worlds(store: RedisStore, redis_server: RedisServer) -> None:
    other = RedisStore(redis_server.url, prefix=f"other-{uuid.uuid4().hex[:8]}")
    try:
        assert other.tenants() == [] and not other.has_tenant("acme")
        other.load_tenant("acme", {"things": {}})
        assert store.export_tenant("acme")["things"] == {"a": {"id": "a", "n": 1}}
    finally:
        other.flush()


def test_a_rejected_unit_of_work_uses_no_sequence_number(store: RedisStore) -> None:
    with pytest.raises(Problem), store.transaction("acme") as tx:
        assert tx.next_sequence("ids") == 1
        raise conflict("rejected")
    with store.transaction("acme") as tx:
        assert [tx.next_sequence("ids"), tx.next_sequence("ids")] == [1, 2]
    with store.transaction("acme") as tx:
        assert tx.next_sequence("ids") == 3


def test_a_writer_in_between_makes_the_later_commit_conflict(store: RedisStore) -> None:
    with pytest.raises(TransactionConflict), store.transaction("acme") as slow:
        record = slow.get("things", "a")
        with store.transaction("acme") as fast:
            fast.put("things", "a", {"id": "a", "n": 100})
        assert record is not None
        slow.put("things", "a", {**record, "n": record["n"] + 1})
        slow.put("things", "lost", {"id": "lost"})
    assert store.export_tenant("acme")["things"] == {"a": {"id": "a", "n": 100}}


def test_a_rejection_from_a_mixed_view_is_a_conflict_not_an_answer(store: RedisStore) -> None:
    with pytest.raises(TransactionConflict), store.transaction("acme") as tx:
        tx.get("things", "a")
        store.drop_tenant("globex")  # any commit bumps only its own tenant's version...
        with store.transaction("acme") as other:
            other.put("things", "b", {"id": "b"})
        raise conflict("computed from a state that never existed")
    with pytest.raises(Problem), store.transaction("acme") as tx:  # nobody in between
        raise conflict("a real rejection")


def test_dropping_a_tenant_conflicts_its_open_transactions(store: RedisStore) -> None:
    with pytest.raises(TransactionConflict), store.transaction("acme") as tx:
        assert store.drop_tenant("acme")
        tx.put("things", "b", {"id": "b"})
    assert not store.has_tenant("acme") and not store.drop_tenant("acme")
    with pytest.raises(KeyError), store.transaction("acme"):
        pass
    with pytest.raises(KeyError):
        store.export_tenant("acme")
    assert store.tenants() == ["globex"]


def _bump_in_process(url: str, prefix: str, rounds: int) -> None:
    store = RedisStore(url, prefix)

    def once(tx: Transaction) -> None:
        record = tx.get("things", "a")
        assert record is not None
        tx.put("things", "a", {**record, "n": record["n"] + 1})
        number = tx.next_sequence("ids")
        tx.put("made", f"id-{number}", {"id": f"id-{number}"})

    for _ in range(rounds):
        run_transaction(store, "acme", once, attempts=10_000)
    store.close()


def test_separate_processes_lose_no_update_and_share_no_id(store: RedisStore) -> None:
    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=_bump_in_process, args=(store.url, store.prefix, 50))
               for _ in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(120)
        assert worker.exitcode == 0
    data = store.export_tenant("acme")
    assert data["things"]["a"]["n"] == 201
    assert sorted(data["made"]) == sorted(f"id-{i}" for i in range(1, 201))


def test_a_lost_redis_is_store_unavailable_and_a_restarted_one_serves_again(
    own_server: RedisServer,
) -> None:
    """The state layer knows no HTTP: an outage is StoreUnavailable naming the URL."""
    store = RedisStore(own_server.url, "outage")
    store.load_tenant("acme", {"things": {"a": {"id": "a"}}})
    store._client.save()  # the restarted server reads this dump
    own_server.stop()
    for attempt in (lambda: store.has_tenant("acme"), lambda: store.export_tenant("acme")):
        with pytest.raises(StoreUnavailable) as caught:
            attempt()
        assert not isinstance(caught.value, Problem)
        assert own_server.url in str(caught.value)
    with pytest.raises(StoreUnavailable), store.transaction("acme"):
        pass
    own_server.start()
    with store.transaction("acme") as tx:
        tx.put("things", "b", {"id": "b"})
    assert store.export_tenant("acme")["things"] == {"a": {"id": "a"}, "b": {"id": "b"}}


def test_an_unreachable_url_fails_at_start_and_names_it() -> None:
    url = f"redis://127.0.0.1:{free_port()}/0"
    with pytest.raises(StoreUnavailable, match=url.replace(".", r"\.")):
        open_store(url, "x")
    with pytest.raises(ValueError, match="--state-url"):
        open_store("http://127.0.0.1:6379", "x")
    assert redacted("redis://user:pw@host:1/0") == "redis://user:***@host:1/0"


def test_a_connection_cut_mid_transaction_is_a_conflict_then_succeeds(
    store: RedisStore, redis_server: RedisServer
) -> None:
    import redis

    admin = redis.Redis(port=redis_server.port)
    with pytest.raises(TransactionConflict), store.transaction("acme") as tx:
        tx.get("things", "a")
        admin.client_kill_filter(_type="normal", skipme=True)  # cuts the watching connection
        tx.put("things", "b", {"id": "b"})
        tx.get("things", "a")
    admin.close()
    run_transaction(store, "acme", lambda tx: tx.put("things", "b", {"id": "b"}))
    assert sorted(store.export_tenant("acme")["things"]) == ["a", "b"]


def elsewhere(work: Callable[[], T]) -> T:
    """Run ``work`` as another request would: in a context of its own."""
    return contextvars.Context().run(work)


def write(store: RedisStore, key: str) -> None:
    with store.transaction("acme") as tx:
        tx.put("things", key, {"id": key})


def test_a_priority_lease_makes_other_writers_give_way(store: RedisStore) -> None:
    other = RedisStore(store.url, store.prefix)

    def other_holds() -> bool:
        with other.priority("acme") as held:
            return held

    def other_reads() -> list[str]:
        with other.transaction("acme") as tx:
            return tx.keys("things")

    try:
        with store.priority("acme") as held:
            assert held is True
            assert elsewhere(other_holds) is False  # one holder at a time
            with pytest.raises(TransactionConflict):
                elsewhere(lambda: write(other, "b"))
            assert elsewhere(other_reads) == ["a"]  # reads are never held back
            write(store, "c")  # the holder's own write wins
        elsewhere(lambda: write(other, "b"))  # released: everyone writes again
        assert elsewhere(other_reads) == ["a", "c", "b"]
    finally:
        other.close()


def test_taking_the_lease_aborts_a_write_in_flight(store: RedisStore) -> None:
    def take_the_lease() -> None:
        with store.priority("acme"):
            pass

    with pytest.raises(TransactionConflict), store.transaction("acme") as tx:
        tx.put("things", "b", {"id": "b"})
        elsewhere(take_the_lease)
    with store.transaction("acme") as tx:
        assert tx.get("things", "b") is None


def test_values_reads_big_collections_whole_and_in_order(store: RedisStore) -> None:
    """Past the slices the read script cuts a big collection into (1000 ids each)."""
    records = {f"k{i:05d}": {"id": f"k{i:05d}", "n": i} for i in range(2500)}
    store.load_tenant("acme", {"big": records})
    with store.transaction("acme") as tx:
        tx.put("big", "k00001", {"id": "k00001", "n": -1})  # a staged replace keeps its place
        tx.delete("big", "k00002")
        tx.put("big", "new", {"id": "new"})
        got = tx.values("big")
    assert [r["id"] for r in got] == ["k00000", "k00001", *list(records)[3:], "new"]
    assert got[1]["n"] == -1


def test_a_connection_lost_while_watching_is_never_a_raw_watch_error(
    store: RedisStore, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """redis-py raises WatchError for a connection lost during any read under WATCH (here
    the read before the commit): it is a conflict marked as a lost connection."""
    import redis

    monkeypatch.setattr(redis.client.Pipeline, "mget", lose_connection_while_watching)
    with pytest.raises(TransactionConflict) as caught, store.transaction("acme") as tx:
        tx.put("things", "b", {"id": "b"})
    assert caught.value.connection_lost
