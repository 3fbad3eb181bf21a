"""The memory store under real threads: per-tenant transactions lose no update.

The HTTP handlers run on one event loop, so the live concurrency tests cannot
show that the store itself serializes writes. Here many OS threads run
read-modify-write transactions at once, with a tiny switch interval so that
threads interleave inside transactions.
"""

from __future__ import annotations

import sys
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, datetime

import pytest

from specdouble.domain import contacts
from specdouble.state.memory import MemoryStore
from specdouble.support.problems import Problem

THREADS = 16
ROUNDS = 50


@pytest.fixture(autouse=True)
def eager_switching() -> Iterator[None]:
    previous = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        yield
    finally:
        sys.setswitchinterval(previous)


def run_threads(target: Callable[[int], None], count: int = THREADS) -> None:
    start = threading.Barrier(count)
    failures: list[BaseException] = []

    def body(index: int) -> None:
        start.wait(timeout=30)
        try:
            target(index)
        except BaseException as exc:
            failures.append(exc)

    threads = [threading.Thread(target=body, args=(i,), daemon=True) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(t.is_alive() for t in threads), "a thread did not finish"
    assert not failures, failures


def test_read_modify_write_transactions_lose_no_increment() -> None:
    store = MemoryStore()
    store.load_tenant("acme", {"counters": {"c": {"value": 0}}})
    store.load_tenant("globex", {"counters": {"c": {"value": 0}}})

    def increment(index: int) -> None:
        tenant = "acme" if index % 2 else "globex"
        for _ in range(ROUNDS):
            with store.transaction(tenant) as tx:
                record = tx.get("counters", "c")
                assert record is not None
                tx.put("counters", "c", {"value": record["value"] + 1})
                tx.put("seen", f"{index}-{tx.next_sequence('n')}", {"by": index})

    run_threads(increment)
    for tenant in ("acme", "globex"):
        data = store.export_tenant(tenant)
        assert data["counters"]["c"]["value"] == THREADS // 2 * ROUNDS
        assert len(data["seen"]) == THREADS // 2 * ROUNDS


def test_a_failed_transaction_changes_nothing_while_others_commit() -> None:
    store = MemoryStore()
    store.load_tenant("acme", {"counters": {"c": {"value": 0}}})

    def work(index: int) -> None:
        for _ in range(ROUNDS):
            try:
                with store.transaction("acme") as tx:
                    value = tx.get("counters", "c")["value"]  # type: ignore[index]
                    tx.put("counters", "c", {"value": value + 1})
                    if index % 2:
                        raise ValueError("refused")
            except ValueError:
                pass

    run_threads(work)
    assert store.export_tenant("acme")["counters"]["c"]["value"] == THREADS // 2 * ROUNDS


def _seeded() -> MemoryStore:
    store = MemoryStore()
    store.load_tenant("acme", {
        "cm.legalEntities": {"le1": {"id": "le1", "name": "One", "type": "COMPANY"}},
        "cm.customers": {f"c{i}": {"id": f"c{i}", "name": "Ada", "surname": "L"}
                         for i in range(ROUNDS)},
        "cm.contactAssignments": {},
    })
    return store


NOW = datetime(2024, 6, 1, 12, tzinfo=UTC)


def _pair(customer: int) -> dict[str, object]:
    return {"legalEntity": {"id": "le1"}, "customer": {"id": f"c{customer}"}}


def test_threads_creating_one_pair_get_exactly_one_success() -> None:
    store = _seeded()
    outcomes: list[tuple[int, int]] = []

    def create(index: int) -> None:
        for customer in range(ROUNDS):
            try:
                contacts.create_assignment(store, "acme", _pair(customer), NOW)
                outcomes.append((customer, 201))
            except Problem as problem:
                outcomes.append((customer, problem.status))

    run_threads(create)
    assert Counter(outcomes) == {
        (c, status): n for c in range(ROUNDS) for status, n in ((201, 1), (409, THREADS - 1))}
    assert len(store.export_tenant("acme")["cm.contactAssignments"]) == ROUNDS


def test_threads_updating_one_version_get_exactly_one_winner() -> None:
    store = _seeded()
    ids = [contacts.create_assignment(store, "acme", _pair(c), NOW)["id"] for c in range(ROUNDS)]
    outcomes: list[tuple[int, int, str]] = []

    def update(index: int) -> None:
        kind = ("BILLING", "LOGISTICS", "PRIMARY", "CONTACT")[index % 4]
        for customer, assignment_id in enumerate(ids):
            body = {**_pair(customer), "type": kind, "metadata": {"version": 1}}
            try:
                contacts.upsert_assignment(store, "acme", assignment_id, body, NOW)
                outcomes.append((customer, 204, kind))
            except Problem as problem:
                outcomes.append((customer, problem.status, kind))

    run_threads(update)
    assert Counter((c, status) for c, status, _ in outcomes) == {
        (c, status): n for c in range(ROUNDS) for status, n in ((204, 1), (409, THREADS - 1))}
    stored = store.export_tenant("acme")["cm.contactAssignments"]
    for customer, assignment_id in enumerate(ids):
        assert stored[assignment_id]["metadata"]["version"] == 2
        won = next(k for c, status, k in outcomes if c == customer and status == 204)
        assert stored[assignment_id]["type"] == won
