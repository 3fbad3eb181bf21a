"""Emporix Pick-pack rules: assignees, packing events, recalculation jobs.

No HTTP here: every function opens one transaction on the tenant, returns
plain JSON-compatible data or raises a :class:`~specdouble.support.problems.Problem`
inside the transaction, so a rejected request changes nothing. The choices
the vendor left open are recorded in ``docs/spec-notes.md`` (Pick-pack).
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from specdouble.state.base import Record, Store, Transaction
from specdouble.state.derived import DerivedCache
from specdouble.support.clock import iso_millis, parse_iso
from specdouble.support.jsonparse import as_integer
from specdouble.support.problems import NOT_FOUND, Problem, bad_request, conflict

ORDERS = "pickpack.orders"
EVENTS = "pickpack.events"
JOBS = "pickpack.jobs"

SUCCESS: dict[str, Any] = {"message": "Success", "code": 200}

PACKING_STATUSES = ("INITIAL", "IN_PROGRESS", "PRE_PACKED", "PACKED", "CANCELLED")
CANCELLED = "CANCELLED"
JOB_TYPES = ("AUTOMATIC", "MANUAL")

# "Retrieves all events": without pageSize, page 0 holds everything (up to the max).
MAX_PAGE_SIZE = 20000
DEFAULT_PAGE_SIZE = MAX_PAGE_SIZE

JOB_ID_PREFIX = "job-"

MSG_RECALCULATED = "Order recalculated successfully"
MSG_PENDING = "Recalculation pending"
MSG_UNKNOWN = "Order not found"
MSG_CANCELLED = "Order is cancelled and cannot be recalculated"

# Event fields in the order the documented GET /events example shows them.
_EVENT_KEYS = (
    "eventId", "productId", "deliveryCycle", "orderNumber", "timestamp", "pickedAmount",
    "packedAmount", "canceledAmount", "packedAmountInPc", "supplierId", "user", "site",
    "unit", "bookProduct",
)
_EVENT_REQUIRED = ("eventId", "orderNumber", "productId", "unit", "timestamp", "site")
_AMOUNTS = ("pickedAmount", "packedAmount", "canceledAmount")
_ASSIGNEE_KEYS = ("id", "siteCode", "firstName", "lastName")


# --- assignees ------------------------------------------------------------------------

def add_assignee(
    store: Store, tenant: str, order_id: str, assignee: dict[str, Any], force: bool = True
) -> dict[str, Any]:
    """Give the order ``assignee``; ``force`` replaces an existing one, else 400.

    An order holds at most one assignee afterwards (the page: "the new assignee
    will replace the old one").
    """
    missing = [f"body.{key}: is required" for key in _ASSIGNEE_KEYS
               if not isinstance(assignee.get(key), str)]
    if missing:
        raise bad_request("The assignee is incomplete.", *missing)
    with store.transaction(tenant) as tx:
        order = _order_for_path(tx, order_id)
        _refuse_cancelled(order, "path.orderId", "refuses a new assignee")
        current = order.get("assignees") or []
        if current and not force:
            names = ", ".join(f"'{a.get('id')}'" for a in current)
            raise bad_request(
                "The order already has an assignee.",
                f"query.force: order '{order_id}' already has assignee {names} and force is false",
            )
        order["assignees"] = [{key: assignee[key] for key in _ASSIGNEE_KEYS}]
        tx.put(ORDERS, order_id, order)
    return dict(SUCCESS)


def delete_assignee(store: Store, tenant: str, order_id: str, assignee_id: str) -> None:
    """Remove the assignee; absent assignee or unknown order is a no-op (204).

    The page documents only 204/401/403/500 here, so nothing answers 404; a
    CANCELLED order refuses the change with 409 (our choice).
    """
    with store.transaction(tenant) as tx:
        order = tx.get(ORDERS, order_id)
        if order is None:
            return
        _refuse_cancelled(order, "path.orderId", "refuses assignee changes")
        current = order.get("assignees") or []
        kept = [a for a in current if a.get("id") != assignee_id]
        if len(kept) != len(current):
            order["assignees"] = kept
            tx.put(ORDERS, order_id, order)


# --- events ---------------------------------------------------------------------------

def create_event(
    store: Store, tenant: str, event: dict[str, Any], user: str, now: datetime
) -> dict[str, Any]:
    """Record a packing event and apply its amounts to the order entry.

    Checks, in order: body well-formed (400), eventId unused (409), order
    known (400 body.orderNumber), order not CANCELLED (409), product is an
    entry of the order (400 body.productId).
    """
    record = _event_record(event, user)
    event_id, order_id = record["eventId"], record["orderNumber"]
    with store.transaction(tenant) as tx:
        if tx.get(EVENTS, event_id) is not None:
            raise conflict(
                "The packing event already exists.",
                f"body.eventId: event '{event_id}' already exists",
                resource_id=event_id,
            )
        order = tx.get(ORDERS, order_id)
        if order is None:
            raise bad_request(
                "The packing event refers to an unknown order.",
                f"body.orderNumber: no order '{order_id}' in this tenant",
            )
        _refuse_cancelled(order, "body.orderNumber", "refuses new packing events")
        entry = _entry_for_product(order, record["productId"])
        if entry is None:
            raise bad_request(
                "The packing event refers to a product the order does not contain.",
                f"body.productId: order '{order_id}' has no entry for product "
                f"'{record['productId']}'",
            )
        _apply_amounts(entry, record)
        order["packingStatus"] = _status_after_event(order)
        order["recalculationDue"] = True
        order["lastEventAt"] = iso_millis(now)
        tx.put(ORDERS, order_id, order)
        tx.put(EVENTS, event_id, record)
    return dict(SUCCESS)


def list_events(
    store: Store,
    tenant: str,
    after: datetime | None = None,
    page_number: int = 0,
    page_size: int = DEFAULT_PAGE_SIZE,
) -> list[Record]:
    """Events strictly after ``after``, oldest first (ties keep arrival order).

    ``page_number`` is 0-based (the parameter's documented minimum is 0).
    """
    if page_number < 0:
        raise bad_request("Invalid page.", f"query.pageNumber: {page_number} is below 0")
    if not 0 <= page_size <= MAX_PAGE_SIZE:
        raise bad_request(
            "Invalid page.", f"query.pageSize: {page_size} is not within 0..{MAX_PAGE_SIZE}"
        )
    with store.transaction(tenant) as tx:
        timeline = _TIMELINES.get(tenant, (tx.view(EVENTS),), _timeline)
    first = 0 if after is None else bisect_right(timeline.moments, after)
    start = first + page_number * page_size
    return timeline.events[start:start + page_size]


@dataclass(frozen=True)
class _Timeline:
    """A tenant's events oldest first (ties in arrival order), with their parsed times."""

    moments: list[datetime]
    events: list[Record]


def _timeline(held: tuple[list[Record], ...]) -> _Timeline:
    timed = sorted(((parse_iso(e["timestamp"]), i, e) for i, e in enumerate(held[0])),
                   key=lambda t: (t[0], t[1]))
    return _Timeline([t[0] for t in timed], [t[2] for t in timed])


# Per tenant, the last timeline: parsed and sorted again only after a write.
_TIMELINES: DerivedCache[_Timeline] = DerivedCache()


# --- recalculation jobs ---------------------------------------------------------------

def create_recalculation(
    store: Store,
    tenant: str,
    job_type: str,
    order_ids: list[str] | None,
    now: datetime,
    finish: bool = True,
) -> dict[str, Any]:
    """Start a recalculation job; with ``finish`` it is stored already finished.

    MANUAL takes the distinct ``order_ids`` (first occurrence order), 409 when
    a job still IN_PROGRESS covers one of them. AUTOMATIC ignores them and takes
    the orders with packing events since their last recalculation that no
    running job covers ("finds orders that need recalculation").
    """
    if job_type not in JOB_TYPES:
        raise bad_request(
            "Invalid job type.", f"body.jobType: '{job_type}' is not one of {', '.join(JOB_TYPES)}"
        )
    with store.transaction(tenant) as tx:
        if job_type == "MANUAL":
            if not order_ids:
                raise bad_request(
                    "A MANUAL recalculation needs orders.",
                    "body.orderIds: required and non-empty when jobType is MANUAL",
                )
            targets = list(dict.fromkeys(order_ids))
            _refuse_running_overlap(tx, targets)
        else:
            # The client named no order, so none can conflict: an order a running
            # job covers is being recalculated already and stays due for the next job.
            busy = _running_orders(tx)
            targets = [o["orderId"] for o in tx.values(ORDERS)
                       if o.get("recalculationDue") and o.get("packingStatus") != CANCELLED
                       and o["orderId"] not in busy]
        job_id = _new_job_id(tx)
        for order_id in targets:
            order = tx.get(ORDERS, order_id)
            if order is not None and order.get("recalculationDue"):
                # The job takes the events received so far; later ones make it due again.
                order["recalculationDue"] = False
                tx.put(ORDERS, order_id, order)
        job: Record = {
            "id": job_id,
            "jobType": job_type,
            "orders": [
                {"orderId": o, "message": MSG_PENDING, "jobOrderStatus": "PENDING"}
                for o in targets
            ],
            "jobStatus": "IN_PROGRESS",
            "startedAt": iso_millis(now),
        }
        if finish:
            job = _finish(tx, job, now)
        tx.put(JOBS, job_id, job)
    return {"jobId": job_id}


def finish_job(store: Store, tenant: str, job_id: str, now: datetime) -> Record:
    """Complete an IN_PROGRESS job (the HTTP layer calls this after --job-delay).

    A job that is already finished is returned unchanged.
    """
    with store.transaction(tenant) as tx:
        job = _job(tx, job_id)
        if job["jobStatus"] == "IN_PROGRESS":
            job = _finish(tx, job, now)
            tx.put(JOBS, job_id, job)
    return job


def get_recalculation(store: Store, tenant: str, job_id: str) -> Record:
    """The job as the GET example shows it; 404 when unknown."""
    with store.transaction(tenant) as tx:
        return _job(tx, job_id)


# --- helpers --------------------------------------------------------------------------

def _order_for_path(tx: Transaction, order_id: str) -> Record:
    order = tx.get(ORDERS, order_id)
    if order is None:
        raise _not_found("The order does not exist.",
                         f"path.orderId: no order '{order_id}' in this tenant", order_id)
    return order


def _not_found(message: str, detail: str, resource_id: str) -> Problem:
    return Problem(404, message, [detail], kind=NOT_FOUND, resource_id=resource_id)


def _refuse_cancelled(order: Record, field: str, what: str) -> None:
    if order.get("packingStatus") == CANCELLED:
        raise conflict(
            "The order is cancelled.",
            f"{field}: order '{order['orderId']}' is CANCELLED and {what}",
            resource_id=order["orderId"],
        )


def _event_record(event: dict[str, Any], user: str) -> Record:
    """The stored event: known fields only, amounts defaulted to 0, checked."""
    problems = [f"body.{key}: is required" for key in _EVENT_REQUIRED
                if not isinstance(event.get(key), str)]
    for key in _AMOUNTS:
        value = as_integer(event.get(key, 0))
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            problems.append(f"body.{key}: must be an integer >= 0")
    if isinstance(event.get("timestamp"), str):
        try:
            parse_iso(event["timestamp"])
        except ValueError:
            problems.append(f"body.timestamp: '{event['timestamp']}' is not an ISO date-time")
    if "bookProduct" in event and not isinstance(event["bookProduct"], bool):
        problems.append("body.bookProduct: must be a boolean")
    if problems:
        raise bad_request("The packing event is invalid.", *problems)
    values = dict(event)
    for key in _AMOUNTS:
        values[key] = int(as_integer(event.get(key, 0)))
    # No unit conversion table exists in the mock: pieces == packed amount.
    values["packedAmountInPc"] = values["packedAmount"]
    values["user"] = user
    return {key: values[key] for key in _EVENT_KEYS if values.get(key) is not None}


def _entry_for_product(order: Record, product_id: str) -> Record | None:
    for entry in order.get("entries") or []:
        if entry.get("productId") == product_id:
            return entry
    return None


def _apply_amounts(entry: Record, event: Record) -> None:
    entry["pickedCount"] = entry.get("pickedCount", 0) + event["pickedAmount"]
    entry["packedCount"] = entry.get("packedCount", 0) + event["packedAmount"]
    entry["canceledCount"] = entry.get("canceledCount", 0) + event["canceledAmount"]
    entry["packedAmountInPc"] = entry.get("packedAmountInPc", 0) + event["packedAmountInPc"]


def _status_after_event(order: Record) -> str:
    """PACKED once every entry is packed or cancelled; INITIAL -> IN_PROGRESS."""
    if all_packed(order):
        return "PACKED"
    status = order.get("packingStatus") or "INITIAL"
    return "IN_PROGRESS" if status == "INITIAL" else status


def _recalculated_status(order: Record) -> str:
    """The status the counts justify; PRE_PACKED and IN_PROGRESS are kept as they are."""
    if all_packed(order):
        return "PACKED"
    status = order.get("packingStatus") or "INITIAL"
    started = any(
        e.get("pickedCount", 0) or e.get("packedCount", 0) or e.get("canceledCount", 0)
        for e in order.get("entries") or []
    )
    if status == "INITIAL" and started:
        return "IN_PROGRESS"
    if status == "PACKED":  # counts no longer justify PACKED (e.g. edited state)
        return "IN_PROGRESS" if started else "INITIAL"
    return status


def all_packed(order: Record) -> bool:
    """True when each entry's packed plus cancelled count reaches its total."""
    entries = order.get("entries") or []
    return bool(entries) and all(
        e.get("packedCount", 0) + e.get("canceledCount", 0) >= e.get("totalCount", 0)
        for e in entries
    )


def _running_orders(tx: Transaction) -> set[str]:
    """Ids of the orders some IN_PROGRESS job covers."""
    return {o["orderId"] for job in tx.values(JOBS) if job.get("jobStatus") == "IN_PROGRESS"
            for o in job.get("orders", [])}


def _refuse_running_overlap(tx: Transaction, targets: list[str]) -> None:
    wanted = set(targets)
    for job in tx.values(JOBS):
        if job.get("jobStatus") != "IN_PROGRESS":
            continue
        busy = [o["orderId"] for o in job.get("orders", []) if o["orderId"] in wanted]
        if busy:
            raise conflict(
                "A recalculation of the same order is still in progress.",
                f"body.orderIds: order '{busy[0]}' is already being recalculated by job "
                f"'{job['id']}'",
                resource_id=job["id"],
            )


def _new_job_id(tx: Transaction) -> str:
    """``job-000001``...: 10 characters of [a-z0-9-], skipping ids already taken."""
    while True:
        job_id = f"{JOB_ID_PREFIX}{tx.next_sequence(JOBS):06d}"
        if tx.get(JOBS, job_id) is None:
            return job_id


def _finish(tx: Transaction, job: Record, now: datetime) -> Record:
    """Recalculate each order of the job; SUCCESS only when every order succeeded."""
    stamp = iso_millis(now)
    results = []
    for item in job["orders"]:
        order = tx.get(ORDERS, item["orderId"])
        if order is None:
            results.append({**item, "message": MSG_UNKNOWN, "jobOrderStatus": "FAILURE"})
        elif order.get("packingStatus") == CANCELLED:
            results.append({**item, "message": MSG_CANCELLED, "jobOrderStatus": "FAILURE"})
        else:
            order["packingStatus"] = _recalculated_status(order)
            order["lastRecalculatedAt"] = stamp
            tx.put(ORDERS, order["orderId"], order)
            results.append({**item, "message": MSG_RECALCULATED, "jobOrderStatus": "SUCCESS"})
    failed = any(r["jobOrderStatus"] == "FAILURE" for r in results)
    return {**job, "orders": results, "jobStatus": "FAILURE" if failed else "SUCCESS",
            "finishedAt": stamp}


def _job(tx: Transaction, job_id: str) -> Record:
    job = tx.get(JOBS, job_id)
    if job is None:
        raise _not_found("The recalculation job does not exist.",
                         f"path.jobId: no recalculation job '{job_id}' in this tenant", job_id)
    return job
