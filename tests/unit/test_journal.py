"""The journal: newest first, every filter, the ring bound, cut bodies, marks."""

from __future__ import annotations

import pytest

from specdouble.world.journal import (
    Body,
    Entry,
    Filter,
    Journal,
    Marks,
    current_marks,
    mark,
    marking,
)


def entry(log: Journal, path: str = "/pick-pack/acme/events", method: str = "GET",
          status: int | None = 200, tenant: str | None = "acme",
          operation_id: str | None = "listEvents") -> Entry:
    made = Entry(id=0, time="2024-06-01T12:00:00.000Z", method=method, path=path,
                 query="", tenant=tenant, operation_id=operation_id, status=status,
                 duration_ms=1.0, request=Body.of(b"", 10), response=Body.of(b"{}", 10))
    return log.add(made)


def test_newest_first_and_limit() -> None:
    log = Journal(10)
    made = [entry(log) for _ in range(4)]
    assert [e.id for e in log.entries()] == [m.id for m in reversed(made)]
    assert [e.id for e in log.entries(limit=2)] == [made[3].id, made[2].id]


def test_ring_keeps_only_the_newest_size_entries() -> None:
    log = Journal(3)
    made = [entry(log, path=f"/p/{i}") for i in range(10)]
    assert len(log) == 3
    assert [e.path for e in log.entries()] == ["/p/9", "/p/8", "/p/7"]
    assert made[-1].id == 10  # ids keep counting past the bound


def test_each_filter() -> None:
    log = Journal(50)
    entry(log, "/pick-pack/acme/events", "GET", 200, "acme", "listEvents")
    entry(log, "/pick-pack/globex/events", "POST", 400, "globex", "createEvent")
    entry(log, "/api/v2/order/action/assign", "POST", 200, "acme", "assignOrder")
    entry(log, "/nowhere", "GET", 404, None, None)

    def paths(**where: object) -> list[str]:
        return [e.path for e in log.entries(Filter(**where))]  # type: ignore[arg-type]

    assert paths(operation_id="createEvent") == ["/pick-pack/globex/events"]
    assert paths(method="post") == ["/api/v2/order/action/assign", "/pick-pack/globex/events"]
    assert paths(path="/pick-pack/*/events") == ["/pick-pack/globex/events",
                                                  "/pick-pack/acme/events"]
    assert paths(path="/pick-pack/*") == ["/pick-pack/globex/events", "/pick-pack/acme/events"]
    assert paths(status=404) == ["/nowhere"]
    assert paths(tenant="acme") == ["/api/v2/order/action/assign", "/pick-pack/acme/events"]
    assert paths(tenant="acme", method="GET") == ["/pick-pack/acme/events"]
    assert paths(tenant="initech") == []


def test_clear() -> None:
    log = Journal(5)
    entry(log)
    entry(log)
    assert log.clear() == 2
    assert log.entries() == []


def test_body_is_cut_to_the_limit_and_says_so() -> None:
    body = Body.of(b"x" * 100, 10)
    assert body.to_json() == {"body": "x" * 10, "size": 100, "truncated": True}
    assert Body.of(b"", 10).to_json() == {"body": None, "size": 0, "truncated": False}
    assert Body.of(b"abc", 10).to_json() == {"body": "abc", "size": 3, "truncated": False}


def test_entry_json_reports_validation() -> None:
    log = Journal(5)
    made = Entry(id=1, time="t", method="GET", path="/p", query="a=1", tenant=None,
                 operation_id=None, status=None, duration_ms=0.5, request=Body.of(b"", 4),
                 response=Body.of(b"", 4), validation_errors=("query.a: bad",), forced=True,
                 fault="fault-1")
    log.add(made)
    out = log.entries()[0].to_json()
    assert out["validation"] == {"passed": False, "errors": ["query.a: bad"]}
    assert out["forced"] is True and out["fault"] == "fault-1" and out["status"] is None


def test_size_must_be_positive() -> None:
    with pytest.raises(ValueError):
        Journal(0)


def test_mark_outside_a_request_is_a_no_op() -> None:
    assert current_marks() is None
    mark(forced=True)  # must not raise
    assert current_marks() is None


def test_mark_writes_into_the_current_request() -> None:
    marks = Marks(operation_id="listEvents")
    with marking(marks):
        mark(forced=True, validation_errors=["body.x: is required"])
        mark(tenant="globex")
    assert marks.forced is True
    assert marks.validation_errors == ["body.x: is required"]
    assert marks.tenant == "globex" and marks.operation_id == "listEvents"
    assert current_marks() is None
    with marking(Marks()) as inner:
        mark(validation_errors=[])
    assert inner.validation_errors == ["request: invalid"]  # an empty list still means failed
