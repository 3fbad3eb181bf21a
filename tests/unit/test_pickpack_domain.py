"""Pick-pack rules, exercised on a MemoryStore without HTTP."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from specdouble.domain import pickpack as pp
from specdouble.state.base import Record
from specdouble.state.memory import MemoryStore
from specdouble.support.problems import Problem

T = "acme"
NOW = datetime(2024, 6, 1, 12, 0, 0, 123000, tzinfo=UTC)


def _order(order_id: str, status: str = "INITIAL", **extra: Any) -> Record:
    entries = extra.pop("entries", None) or [
        {"entryId": "1", "productId": "p1", "productName": "Apples", "totalCount": 2,
         "pickedCount": 0, "packedCount": 0, "canceledCount": 0, "packedAmountInPc": 0,
         "orderUnit": "H87"},
        {"entryId": "2", "productId": "p2", "productName": "Pears", "totalCount": 1,
         "pickedCount": 0, "packedCount": 0, "canceledCount": 0, "packedAmountInPc": 0,
         "orderUnit": "H87"},
    ]
    return {"orderId": order_id, "siteCode": "main", "packingStatus": status,
            "assignees": extra.pop("assignees", []), "entries": entries,
            "recalculationDue": False, **extra}


ALICE = {"id": "a-1", "siteCode": "main", "firstName": "Alice", "lastName": "Doe"}
BOB = {"id": "b-2", "siteCode": "main", "firstName": "Bob", "lastName": "Roe"}


@pytest.fixture
def store() -> MemoryStore:
    s = MemoryStore()
    orders = {
        "o1": _order("o1"),
        "o2": _order("o2", "IN_PROGRESS", assignees=[dict(ALICE)]),
        "cx": _order("cx", "CANCELLED", assignees=[dict(ALICE)]),
    }
    s.load_tenant(T, {pp.ORDERS: orders, pp.EVENTS: {}, pp.JOBS: {}})
    s.load_tenant("globex", {pp.ORDERS: {"g1": _order("g1")}, pp.EVENTS: {}, pp.JOBS: {}})
    return s


def _event(event_id: str = "e1", order: str = "o1", product: str = "p1", **amounts: Any) -> dict:
    body = {"eventId": event_id, "orderNumber": order, "productId": product, "unit": "H87",
            "timestamp": "2024-06-01T10:00:00.000Z", "site": "main"}
    body.update(amounts)
    return body


def _rejected(store: MemoryStore, status: int, call: Any, *fields: str) -> Problem:
    """Run ``call``; it must raise ``status`` naming ``fields`` and change nothing."""
    before = copy.deepcopy(store.export_tenant(T))
    with pytest.raises(Problem) as caught:
        call()
    assert caught.value.status == status
    named = " ".join(caught.value.details)
    for field in fields:
        assert field in named, (field, caught.value.details)
    assert store.export_tenant(T) == before
    return caught.value


def _get_order(store: MemoryStore, order_id: str, tenant: str = T) -> Record:
    return store.export_tenant(tenant)[pp.ORDERS][order_id]


# --- assignees ------------------------------------------------------------------------

def test_add_assignee_sets_it_and_answers_success(store: MemoryStore) -> None:
    answer = pp.add_assignee(store, T, "o1", ALICE, force=False)
    assert answer == {"message": "Success", "code": 200}
    assert _get_order(store, "o1")["assignees"] == [ALICE]


def test_add_assignee_force_replaces_the_existing_one(store: MemoryStore) -> None:
    pp.add_assignee(store, T, "o2", BOB, force=True)
    assert _get_order(store, "o2")["assignees"] == [BOB]


def test_add_assignee_keeps_only_documented_fields(store: MemoryStore) -> None:
    pp.add_assignee(store, T, "o1", {**ALICE, "extra": 1})
    assert _get_order(store, "o1")["assignees"] == [ALICE]


def test_add_assignee_without_force_on_assigned_order_is_400(store: MemoryStore) -> None:
    problem = _rejected(store, 400, lambda: pp.add_assignee(store, T, "o2", BOB, force=False),
                        "query.force")
    assert "a-1" in problem.details[0]


def test_add_assignee_unknown_order_is_404(store: MemoryStore) -> None:
    problem = _rejected(store, 404, lambda: pp.add_assignee(store, T, "nope", ALICE),
                        "path.orderId")
    assert problem.kind == "not_found"


def test_add_assignee_to_cancelled_order_is_409(store: MemoryStore) -> None:
    problem = _rejected(store, 409, lambda: pp.add_assignee(store, T, "cx", BOB), "path.orderId")
    assert problem.kind == "conflict"


def test_add_assignee_incomplete_body_is_400(store: MemoryStore) -> None:
    _rejected(store, 400, lambda: pp.add_assignee(store, T, "o1", {"id": "x"}),
              "body.siteCode", "body.firstName", "body.lastName")


def test_add_assignee_is_per_tenant(store: MemoryStore) -> None:
    _rejected(store, 404, lambda: pp.add_assignee(store, T, "g1", ALICE), "path.orderId")


def test_delete_assignee_removes_it(store: MemoryStore) -> None:
    pp.delete_assignee(store, T, "o2", "a-1")
    assert _get_order(store, "o2")["assignees"] == []


@pytest.mark.parametrize(("order_id", "assignee_id"),
                         [("o2", "zzz"), ("o1", "a-1"), ("nope", "a-1")])
def test_delete_absent_assignee_or_unknown_order_is_a_no_op(
    store: MemoryStore, order_id: str, assignee_id: str
) -> None:
    before = store.export_tenant(T)
    assert pp.delete_assignee(store, T, order_id, assignee_id) is None
    assert store.export_tenant(T) == before


def test_delete_assignee_of_cancelled_order_is_409(store: MemoryStore) -> None:
    _rejected(store, 409, lambda: pp.delete_assignee(store, T, "cx", "a-1"), "path.orderId")


# --- events ---------------------------------------------------------------------------

def test_create_event_stores_it_with_pieces_and_user(store: MemoryStore) -> None:
    body = _event(pickedAmount=2, packedAmount=1, deliveryCycle="c1", supplierId="s",
                  bookProduct=True, unknownField="dropped")
    assert pp.create_event(store, T, body, "cust-7", NOW) == {"message": "Success", "code": 200}
    stored = store.export_tenant(T)[pp.EVENTS]["e1"]
    assert stored == {
        "eventId": "e1", "productId": "p1", "deliveryCycle": "c1", "orderNumber": "o1",
        "timestamp": "2024-06-01T10:00:00.000Z", "pickedAmount": 2, "packedAmount": 1,
        "canceledAmount": 0, "packedAmountInPc": 1, "supplierId": "s", "user": "cust-7",
        "site": "main", "unit": "H87", "bookProduct": True,
    }


def test_create_event_updates_entry_counts_and_status(store: MemoryStore) -> None:
    pp.create_event(store, T, _event(pickedAmount=2, packedAmount=1), "u", NOW)
    order = _get_order(store, "o1")
    entry = order["entries"][0]
    assert (entry["pickedCount"], entry["packedCount"], entry["canceledCount"]) == (2, 1, 0)
    assert entry["packedAmountInPc"] == 1
    assert order["packingStatus"] == "IN_PROGRESS"
    assert order["recalculationDue"] is True
    assert order["lastEventAt"] == "2024-06-01T12:00:00.123Z"


def test_order_becomes_packed_when_every_entry_is_packed_or_cancelled(store: MemoryStore) -> None:
    pp.create_event(store, T, _event("e1", packedAmount=2, pickedAmount=2), "u", NOW)
    assert _get_order(store, "o1")["packingStatus"] == "IN_PROGRESS"
    pp.create_event(store, T, _event("e2", product="p2", canceledAmount=1), "u", NOW)
    assert _get_order(store, "o1")["packingStatus"] == "PACKED"


def test_pre_packed_status_is_kept_until_everything_is_packed() -> None:
    s = MemoryStore()
    s.load_tenant(T, {pp.ORDERS: {"o": _order("o", "PRE_PACKED")}, pp.EVENTS: {}, pp.JOBS: {}})
    pp.create_event(s, T, _event("e1", order="o", packedAmount=1), "u", NOW)
    assert s.export_tenant(T)[pp.ORDERS]["o"]["packingStatus"] == "PRE_PACKED"


def test_repeated_event_id_is_409(store: MemoryStore) -> None:
    pp.create_event(store, T, _event(pickedAmount=1), "u", NOW)
    _rejected(store, 409, lambda: pp.create_event(store, T, _event(pickedAmount=1), "u", NOW),
              "body.eventId")


def test_event_for_unknown_order_is_400_naming_order_number(store: MemoryStore) -> None:
    _rejected(store, 400, lambda: pp.create_event(store, T, _event(order="zz"), "u", NOW),
              "body.orderNumber")


def test_event_for_order_of_other_tenant_is_400(store: MemoryStore) -> None:
    _rejected(store, 400, lambda: pp.create_event(store, T, _event(order="g1"), "u", NOW),
              "body.orderNumber")


def test_event_for_product_outside_the_order_is_400_naming_product_id(store: MemoryStore) -> None:
    _rejected(store, 400, lambda: pp.create_event(store, T, _event(product="p9"), "u", NOW),
              "body.productId")


def test_event_for_cancelled_order_is_409(store: MemoryStore) -> None:
    _rejected(store, 409, lambda: pp.create_event(store, T, _event(order="cx"), "u", NOW),
              "body.orderNumber")


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"pickedAmount": -1}, "body.pickedAmount"),
        ({"packedAmount": "2"}, "body.packedAmount"),
        ({"canceledAmount": True}, "body.canceledAmount"),
        ({"timestamp": "yesterday"}, "body.timestamp"),
        ({"unit": 5}, "body.unit"),
        ({"bookProduct": "yes"}, "body.bookProduct"),
    ],
)
def test_malformed_event_is_400_naming_the_field(
    store: MemoryStore, change: dict, field: str
) -> None:
    body = {**_event(), **change}
    _rejected(store, 400, lambda: pp.create_event(store, T, body, "u", NOW), field)


def test_event_missing_required_fields_names_each(store: MemoryStore) -> None:
    _rejected(store, 400, lambda: pp.create_event(store, T, {"eventId": "e"}, "u", NOW),
              "body.orderNumber", "body.productId", "body.unit", "body.timestamp", "body.site")


def _with_events(store: MemoryStore, stamps: list[str]) -> None:
    for i, stamp in enumerate(stamps):
        body = {**_event(f"e{i}", pickedAmount=0), "timestamp": stamp}
        pp.create_event(store, T, body, "u", NOW)


def test_list_events_sorts_by_timestamp_keeping_arrival_order_on_ties(store: MemoryStore) -> None:
    _with_events(store, ["2024-01-03T00:00:00Z", "2024-01-01T00:00:00Z",
                         "2024-01-02T00:00:00+00:00", "2024-01-01T00:00:00.000Z"])
    assert [e["eventId"] for e in pp.list_events(store, T)] == ["e1", "e3", "e2", "e0"]


def test_list_events_after_is_strict(store: MemoryStore) -> None:
    _with_events(store, ["2024-01-01T00:00:00Z", "2024-01-02T00:00:00Z", "2024-01-03T00:00:00Z"])
    after = datetime(2024, 1, 2, tzinfo=UTC)
    assert [e["eventId"] for e in pp.list_events(store, T, after)] == ["e2"]
    assert pp.list_events(store, T, after + timedelta(days=5)) == []


def test_list_events_pages_are_zero_based(store: MemoryStore) -> None:
    _with_events(store, [f"2024-01-0{d}T00:00:00Z" for d in range(1, 6)])
    ids = [[e["eventId"] for e in pp.list_events(store, T, None, n, 2)] for n in range(4)]
    assert ids == [["e0", "e1"], ["e2", "e3"], ["e4"], []]


def test_list_events_page_size_zero_is_empty_and_default_is_everything(store: MemoryStore) -> None:
    _with_events(store, ["2024-01-01T00:00:00Z", "2024-01-02T00:00:00Z"])
    assert pp.list_events(store, T, None, 0, 0) == []
    assert len(pp.list_events(store, T)) == 2
    assert pp.DEFAULT_PAGE_SIZE == pp.MAX_PAGE_SIZE == 20000


@pytest.mark.parametrize(("number", "size", "field"),
                         [(-1, 10, "query.pageNumber"), (0, -1, "query.pageSize"),
                          (0, 20001, "query.pageSize")])
def test_list_events_rejects_bad_paging(store: MemoryStore, number: int, size: int,
                                        field: str) -> None:
    _rejected(store, 400, lambda: pp.list_events(store, T, None, number, size), field)


def test_list_events_only_sees_own_tenant(store: MemoryStore) -> None:
    pp.create_event(store, "globex", _event(order="g1"), "u", NOW)
    assert pp.list_events(store, T) == []
    assert len(pp.list_events(store, "globex")) == 1


def test_list_events_sees_each_write_between_reads(store: MemoryStore) -> None:
    """The sorted timeline is kept between reads: a new event, earlier than all, shows."""
    _with_events(store, ["2024-01-02T00:00:00Z", "2024-01-03T00:00:00Z"])
    assert [e["eventId"] for e in pp.list_events(store, T)] == ["e0", "e1"]
    assert [e["eventId"] for e in pp.list_events(store, T, None, 0, 1)] == ["e0"]
    body = {**_event("late", pickedAmount=0), "timestamp": "2024-01-01T00:00:00Z"}
    pp.create_event(store, T, body, "u", NOW)
    assert [e["eventId"] for e in pp.list_events(store, T)] == ["late", "e0", "e1"]
    after = datetime(2024, 1, 1, tzinfo=UTC)
    assert [e["eventId"] for e in pp.list_events(store, T, after, 0, 1)] == ["e0"]


# --- recalculations -------------------------------------------------------------------

def test_manual_recalculation_finished_job_dedupes_orders(store: MemoryStore) -> None:
    created = pp.create_recalculation(store, T, "MANUAL", ["o1", "o2", "o1"], NOW)
    job = pp.get_recalculation(store, T, created["jobId"])
    assert job == {
        "id": created["jobId"],
        "jobType": "MANUAL",
        "orders": [
            {"orderId": "o1", "message": pp.MSG_RECALCULATED, "jobOrderStatus": "SUCCESS"},
            {"orderId": "o2", "message": pp.MSG_RECALCULATED, "jobOrderStatus": "SUCCESS"},
        ],
        "jobStatus": "SUCCESS",
        "startedAt": "2024-06-01T12:00:00.123Z",
        "finishedAt": "2024-06-01T12:00:00.123Z",
    }
    assert _get_order(store, "o1")["lastRecalculatedAt"] == "2024-06-01T12:00:00.123Z"


def test_manual_recalculation_fails_unknown_and_cancelled_orders(store: MemoryStore) -> None:
    job_id = pp.create_recalculation(store, T, "MANUAL", ["o1", "zz", "cx"], NOW)["jobId"]
    job = pp.get_recalculation(store, T, job_id)
    assert [(o["orderId"], o["jobOrderStatus"]) for o in job["orders"]] == [
        ("o1", "SUCCESS"), ("zz", "FAILURE"), ("cx", "FAILURE")]
    assert job["orders"][1]["message"] == pp.MSG_UNKNOWN
    assert job["orders"][2]["message"] == pp.MSG_CANCELLED
    assert job["jobStatus"] == "FAILURE"


def test_job_ids_are_unique_and_valid(store: MemoryStore) -> None:
    import re

    ids = {pp.create_recalculation(store, T, "MANUAL", ["o1"], NOW)["jobId"] for _ in range(5)}
    assert len(ids) == 5
    assert all(re.fullmatch(r"[a-zA-Z0-9_-]{3,16}", i) for i in ids)


def test_job_id_generation_skips_ids_already_taken() -> None:
    s = MemoryStore()
    taken = {"id": "job-000001", "jobType": "MANUAL", "orders": [], "jobStatus": "SUCCESS",
             "startedAt": "2024-01-01T00:00:00.000Z", "finishedAt": "2024-01-01T00:00:00.000Z"}
    s.load_tenant(T, {pp.ORDERS: {"o1": _order("o1")}, pp.EVENTS: {},
                      pp.JOBS: {"job-000001": taken}})
    assert pp.create_recalculation(s, T, "MANUAL", ["o1"], NOW)["jobId"] == "job-000002"
    assert pp.get_recalculation(s, T, "job-000001") == taken


@pytest.mark.parametrize("order_ids", [None, []])
def test_manual_without_order_ids_is_400(store: MemoryStore, order_ids: list[str] | None) -> None:
    _rejected(store, 400, lambda: pp.create_recalculation(store, T, "MANUAL", order_ids, NOW),
              "body.orderIds")


def test_unknown_job_type_is_400(store: MemoryStore) -> None:
    _rejected(store, 400, lambda: pp.create_recalculation(store, T, "DAILY", ["o1"], NOW),
              "body.jobType")


def test_automatic_picks_orders_with_events_since_last_recalculation(store: MemoryStore) -> None:
    pp.create_event(store, T, _event("e1", order="o2", pickedAmount=1), "u", NOW)
    job_id = pp.create_recalculation(store, T, "AUTOMATIC", ["o1"], NOW)["jobId"]
    job = pp.get_recalculation(store, T, job_id)
    assert [o["orderId"] for o in job["orders"]] == ["o2"]  # orderIds ignored
    assert _get_order(store, "o2")["recalculationDue"] is False
    again = pp.create_recalculation(store, T, "AUTOMATIC", None, NOW)["jobId"]
    assert pp.get_recalculation(store, T, again)["orders"] == []
    assert pp.get_recalculation(store, T, again)["jobStatus"] == "SUCCESS"


def test_recalculation_sets_status_the_counts_justify() -> None:
    s = MemoryStore()
    packed = _order("o", "IN_PROGRESS")
    for entry in packed["entries"]:
        entry["packedCount"] = entry["totalCount"]
    s.load_tenant(T, {pp.ORDERS: {"o": packed}, pp.EVENTS: {}, pp.JOBS: {}})
    pp.create_recalculation(s, T, "MANUAL", ["o"], NOW)
    assert s.export_tenant(T)[pp.ORDERS]["o"]["packingStatus"] == "PACKED"


def test_unfinished_job_stays_in_progress_until_finish_job(store: MemoryStore) -> None:
    job_id = pp.create_recalculation(store, T, "MANUAL", ["o1", "zz"], NOW, finish=False)["jobId"]
    job = pp.get_recalculation(store, T, job_id)
    assert job["jobStatus"] == "IN_PROGRESS"
    assert "finishedAt" not in job
    assert {o["jobOrderStatus"] for o in job["orders"]} == {"PENDING"}
    later = NOW + timedelta(seconds=3)
    done = pp.finish_job(store, T, job_id, later)
    assert done == pp.get_recalculation(store, T, job_id)
    assert done["jobStatus"] == "FAILURE"
    assert done["finishedAt"] == "2024-06-01T12:00:03.123Z"
    assert done["startedAt"] == "2024-06-01T12:00:00.123Z"
    assert pp.finish_job(store, T, job_id, later + timedelta(seconds=9)) == done


def test_recalculation_overlapping_a_running_job_is_409(store: MemoryStore) -> None:
    running = pp.create_recalculation(store, T, "MANUAL", ["o1"], NOW, finish=False)["jobId"]
    problem = _rejected(
        store, 409, lambda: pp.create_recalculation(store, T, "MANUAL", ["o2", "o1"], NOW),
        "body.orderIds")
    assert running in problem.details[0]
    pp.create_recalculation(store, T, "MANUAL", ["o2"], NOW)  # no overlap: fine
    pp.finish_job(store, T, running, NOW)
    pp.create_recalculation(store, T, "MANUAL", ["o1"], NOW)  # finished: fine


def test_unknown_job_is_404(store: MemoryStore) -> None:
    _rejected(store, 404, lambda: pp.get_recalculation(store, T, "nope"), "path.jobId")
    _rejected(store, 404, lambda: pp.finish_job(store, T, "nope", NOW), "path.jobId")


def test_jobs_are_per_tenant(store: MemoryStore) -> None:
    job_id = pp.create_recalculation(store, T, "MANUAL", ["o1"], NOW)["jobId"]
    with pytest.raises(Problem) as caught:
        pp.get_recalculation(store, "globex", job_id)
    assert caught.value.status == 404
