"""Initial Pick-pack state of a tenant: hand-written fixtures plus generated orders.

Generated records come from the schema generator (``ctx.record``), driven by
the spec's ``eventResponse`` and ``assignee`` and the admin spec's
``PickpackOrderRecord`` (the API exposes no order resource). The seeder
overwrites what carries rules: ids, statuses, counts and timestamps. Orders
carry 1..5 entries whose counts agree with the generated packing events
(each event's amounts add up to the entry's counts), so a client that
replays ``GET /events`` sees the same picture as the orders. Everything
derives from the context's seeded sources and ``ctx.epoch``.
"""

from __future__ import annotations

import string
from collections.abc import Callable, Iterable, Mapping
from datetime import timedelta
from typing import Any

from specdouble.data.seeding import SeedContext
from specdouble.domain.pickpack import EVENTS, JOBS, ORDERS
from specdouble.state.base import Record, TenantData
from specdouble.support.clock import iso_millis

SITES = ("main", "main", "main", "north", "south")
UNITS = ("H87", "H87", "H87", "KGM")
# How many generated orders get each status (shuffled per tenant and seed), so every
# tenant has some of each, CANCELLED included.
STATUS_COUNTS = (("INITIAL", 6), ("IN_PROGRESS", 9), ("PRE_PACKED", 3), ("PACKED", 8),
                 ("CANCELLED", 4))
GENERATED_ORDERS = sum(count for _, count in STATUS_COUNTS)
_ID_ALPHABET = string.ascii_uppercase + string.digits
_ENTRY_DEFAULTS: dict[str, Any] = {
    "pickedCount": 0, "packedCount": 0, "canceledCount": 0, "packedAmountInPc": 0,
    "orderUnit": "H87",
}


def seed(ctx: SeedContext) -> TenantData:
    """Fixture records first (they win on id clashes), then generated ones."""
    orders = {o["orderId"]: o for o in (_fixture_order(r) for r in _items(ctx, "orders"))}
    events = {e["eventId"]: e for e in (_fixture_event(r) for r in _items(ctx, "events"))}
    jobs = {j["id"]: dict(j) for j in _items(ctx, "jobs")}
    for order, order_events in _generate(ctx, set(orders), set(events)):
        orders[order["orderId"]] = order
        for event in order_events:
            events[event["eventId"]] = event
    return {ORDERS: orders, EVENTS: events, JOBS: jobs}


def _items(ctx: SeedContext, name: str) -> list[Mapping[str, Any]]:
    value = ctx.fixtures.get(name) or []
    return list(value.values()) if isinstance(value, Mapping) else list(value)


def _fixture_order(raw: Mapping[str, Any]) -> Record:
    order: Record = {
        "orderId": str(raw["orderId"]),
        "siteCode": raw.get("siteCode", "main"),
        "packingStatus": raw.get("packingStatus", "INITIAL"),
        "assignees": [dict(a) for a in raw.get("assignees") or []],
        "entries": [{**_ENTRY_DEFAULTS, **e} for e in raw.get("entries") or []],
        "recalculationDue": bool(raw.get("recalculationDue", False)),
    }
    for key in ("lastEventAt", "lastRecalculatedAt"):
        if raw.get(key):
            order[key] = raw[key]
    return order


def _fixture_event(raw: Mapping[str, Any]) -> Record:
    event = dict(raw)
    for key in ("pickedAmount", "packedAmount", "canceledAmount"):
        event.setdefault(key, 0)
    event.setdefault("packedAmountInPc", event["packedAmount"])
    event.setdefault("user", "anonymous")
    return event


ORDER_SCHEMA = "PickpackOrderRecord"  # in specs/admin.yaml
ENTRY_SCHEMA = "PickpackOrderRecord/properties/entries/items"
_ORDER_TIMES = ("lastEventAt", "lastRecalculatedAt")


def _generate(
    ctx: SeedContext, taken_orders: set[str], taken_events: set[str]
) -> Iterable[tuple[Record, list[Record]]]:
    statuses = [s for s, count in STATUS_COUNTS for _ in range(count)]
    ctx.rng.shuffle(statuses)
    for status in statuses:
        order_id = _unique(lambda: "".join(ctx.rng.choices(_ID_ALPHABET, k=8)), taken_orders)
        site = ctx.rng.choice(SITES)
        entries = [_entry(ctx, i + 1, status) for i in range(ctx.rng.randint(1, 5))]
        fields: Record = {
            "orderId": order_id,
            "siteCode": site,
            "packingStatus": status,
            "assignees": [_assignee(ctx, site)] if status != "INITIAL" else [],
            "entries": entries,
            "recalculationDue": False,
        }
        events = _events_for(ctx, fields, taken_events)
        if events:
            fields["lastEventAt"] = events[-1]["timestamp"]
            if status != "CANCELLED" and ctx.rng.random() < 0.5:
                fields["recalculationDue"] = True
            else:
                fields["lastRecalculatedAt"] = events[-1]["timestamp"]
        order = ctx.record(ORDER_SCHEMA, fields, service="admin", hint="order", omit=_ORDER_TIMES)
        yield order, events


def _entry(ctx: SeedContext, number: int, status: str) -> Record:
    total = ctx.rng.randint(1, 12)
    picked = packed = canceled = 0
    if status == "PACKED":
        canceled = ctx.rng.randint(0, 1) if total > 1 else 0
        picked = packed = total - canceled
    elif status == "PRE_PACKED":
        picked = total
        packed = ctx.rng.randint(0, total - 1)
    elif status == "IN_PROGRESS":
        picked = ctx.rng.randint(0, total)
        packed = ctx.rng.randint(0, picked)
        if number == 1 and picked == 0:  # at least one event makes it IN_PROGRESS
            picked = 1
    elif status == "CANCELLED":
        picked = ctx.rng.randint(0, total)
        canceled = total - picked
    fields = {
        "entryId": str(number),
        "productId": str(ctx.rng.randint(100000, 999999)),
        "totalCount": total,
        "pickedCount": picked,
        "packedCount": packed,
        "canceledCount": canceled,
        "packedAmountInPc": packed,
        "orderUnit": ctx.rng.choice(UNITS),
    }
    return ctx.record(ENTRY_SCHEMA, fields, service="admin", hint="entry",
                      ensure=("productName",))


def _assignee(ctx: SeedContext, site: str) -> Record:
    return ctx.record("assignee", {"id": str(ctx.rng.randint(100, 99999)), "siteCode": site})


def _events_for(ctx: SeedContext, order: Record, taken: set[str]) -> list[Record]:
    """One or two events per touched entry whose amounts sum to the entry's counts.

    The events of one order share their user and delivery cycle (if any),
    those of one entry their supplier (if any).
    """
    moment = ctx.epoch - timedelta(days=ctx.rng.randint(1, 60), minutes=ctx.rng.randint(0, 1439))
    user = str(ctx.rng.randint(1000, 9999))
    shared: Record = {}
    if ctx.rng.random() < 0.5:
        shared["deliveryCycle"] = f"{moment:%Y-%m-%d-%H}-{order['siteCode']}"
    events: list[Record] = []
    for entry in order["entries"]:
        counts = (entry["pickedCount"], entry["packedCount"], entry["canceledCount"])
        if not any(counts):
            continue
        supplier: Record = {}
        if ctx.rng.random() < 0.5:
            supplier["supplierId"] = ctx.value("eventResponse/properties/supplierId",
                                               hint="supplierId")
        halves = [tuple(c // 2 for c in counts), tuple(c - c // 2 for c in counts)]
        for amounts in halves if ctx.rng.random() < 0.4 else [counts]:
            if not any(amounts):
                continue
            moment += timedelta(seconds=ctx.rng.randint(5, 600),
                                milliseconds=ctx.rng.randint(0, 999))
            event_id = _unique(lambda: ctx.faker.uuid4(), taken)
            fields = {
                "eventId": event_id,
                "productId": entry["productId"],
                "orderNumber": order["orderId"],
                "timestamp": iso_millis(moment),
                "pickedAmount": amounts[0],
                "packedAmount": amounts[1],
                "canceledAmount": amounts[2],
                "packedAmountInPc": amounts[1],
                "user": user,
                "site": order["siteCode"],
                "unit": entry["orderUnit"],
                **shared,
                **supplier,
            }
            events.append(ctx.record("eventResponse", fields, hint="event",
                                     omit=("deliveryCycle", "supplierId")))
    return events


def _unique(make: Callable[[], object], taken: set[str]) -> str:
    while True:
        value = str(make())
        if value not in taken:
            taken.add(value)
            return value
