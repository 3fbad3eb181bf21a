"""Shopatron (Kibo Fulfillment) Assign Order: the order model and its rules.

One request carries several packages; each is an assign, a cancel or a
backorder, told apart by ``shipmentStatus``. OpenAPI 3.0 cannot say
"required when shipmentStatus is BACKORDER" readably, so the spec types
every field and this module checks the per-option rules, naming each
offending field (``body.packageAssignment[0].backOrderReleaseDate``).

Quantities: for every order item, ``quantity`` is what was ordered,
``canceledQuantity`` what was cancelled; the rest is "open" and lives either
in active shipments (READY, ASSIGNED, BACKORDER) or is unassigned. A
request is checked in this order: shape (400, 5011/5015), order (404,
5002), referenced ids (400, 5013), then packages are applied in order on a
working copy; the first quantity problem (400, 5015) aborts the request
inside the store transaction, so all packages apply together or not at all.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from specdouble.state.base import Record, Store, Transaction
from specdouble.support.clock import iso_millis, parse_iso
from specdouble.support.jsonparse import as_integer
from specdouble.support.problems import Problem

ORDERS = "shopatron.orders"
LOCATIONS = "shopatron.locations"
EMAILS = "shopatron.emails"

# OMS codes used explicitly (the status default covers the rest).
MISSING_REQUEST_DATA = 5011
INVALID_ID = 5013
INVALID_REQUEST_DATA = 5015
GENERIC_NOT_FOUND = 5002

READY, ASSIGNED, BACKORDER, CANCELLED = "READY", "ASSIGNED", "BACKORDER", "CANCELLED"
ACTIVE_SHIPMENT = (READY, ASSIGNED, BACKORDER)
# What the fulfiller does next, by shipment status (our choice; the vendor names
# ``acceptOrder`` as one such state).
STATE_NAMES = {
    ASSIGNED: "acceptOrder",
    READY: "fulfillOrder",
    BACKORDER: "backorder",
    CANCELLED: "canceled",
}
ITEM_NORMAL, ITEM_CANCELED = "NORMAL", "CANCELED"
ORDER_CANCELED = "CANCELED"  # one L, as the vendor spells the order status

DISPOSITION_REASONS = (
    "can_not_find_item",
    "not_enough_quantity",
    "not_web_sellable",
    "on_mannequin_or_display",
    "item_on_reserve",
    "no_inventory",
    "customer_changed_mind",
    "created_by_mistake",
    "other",
)
ASSIGN_TRIGGERS = ("autoAssign", "locationID", "shippingAmount", "shippingTaxAmount", "itemAssign")
SHIPMENT_ONLY = (
    "shipmentID", "autoAssign", "locationID", "shippingAmount", "shippingTaxAmount",
    "shippingTaxRate",
)
# New shipment ids start above this floor and above every id already in the tenant.
SHIPMENT_ID_FLOOR = 800000

# Field order of responses and stored records (readable, and stable byte for byte).
ORDER_FIELDS = (
    "orderID", "orderType", "isTestOrder", "deliveryMethod", "orderCurrency", "orderDate",
    "lastModified", "orderState", "orderStatus", "customerSubtotal", "subtotal",
    "estimatedShipping", "totalTax", "customerTotalNet", "customerTotal", "total",
    "singlePackageRequested", "shippingAddress", "items", "shipments",
)
ITEM_FIELDS = (
    "orderItemID", "sku", "name", "quantity", "unitPrice", "itemState", "shipmentID",
    "unassignedQuantity", "canceledQuantity", "itemTaxAmount", "itemTaxRate", "dispositions",
)
SHIPMENT_FIELDS = (
    "shipmentID", "shipmentStatus", "shipmentStateName", "locationID", "locationName",
    "autoAssigned", "shippingAmount", "shippingTaxAmount", "shippingTaxRate",
    "backOrderReleaseDate", "createdAt", "modifiedAt", "items",
)

ASSIGN_KIND, CANCEL_KIND, BACKORDER_KIND = "assign", "cancel", "backorder"
EMAIL_TEMPLATES = {
    ASSIGN_KIND: ("shipment_assigned", "Your order {order} is being prepared"),
    CANCEL_KIND: ("items_canceled", "Items of your order {order} were cancelled"),
    BACKORDER_KIND: ("items_backordered", "Items of your order {order} are on backorder"),
}


# --- public API ------------------------------------------------------------------------


def get_order(store: Store, tenant: str, order_id: int) -> Record:
    """The stored order, or 404 (5002)."""
    with store.transaction(tenant) as tx:
        return _load_order(tx, order_id, "orderID")


def assign_order(
    store: Store, tenant: str, request: Mapping[str, Any], *, now: datetime
) -> Record:
    """Apply every package of an Assign Order request; return the order.

    Raises :class:`Problem` (nothing changes) when any check fails.
    """
    request = _whole_numbers(request)
    packages = _check_shape(request)
    with store.transaction(tenant) as tx:
        order = _load_order(tx, request["orderID"], "body.orderID")
        locations = {int(loc["locationID"]): loc for loc in tx.values(LOCATIONS)}
        _check_references(order, packages, locations)
        rectify = bool(request.get("rectifyOrder"))
        stamp = iso_millis(now)
        next_id = _next_shipment_id(tx)
        emails: list[dict[str, Any]] = []
        for index, package in enumerate(packages):
            kind = package_kind(package)
            where = f"body.packageAssignment[{index}]"
            if kind == CANCEL_KIND:
                touched = _apply_cancel(order, package, where, stamp)
                shipment_id = None
            else:
                shipment, created = _target_shipment(order, package, next_id, stamp)
                next_id += int(created)
                _apply_assign(order, shipment, package, kind, where, locations, rectify,
                              created, stamp)
                touched = [{"orderItemID": i["orderItemID"], "quantity": i["quantity"]}
                           for i in shipment["items"]]
                shipment_id = shipment["shipmentID"]
            emails.append({"kind": kind, "shipmentID": shipment_id, "items": touched})
        order["lastModified"] = stamp
        refresh_order(order)
        tx.put(ORDERS, str(order["orderID"]), order)
        if request.get("sendEmails"):
            _record_emails(tx, order, emails, stamp)
        return order


def _whole_numbers(request: Mapping[str, Any]) -> dict[str, Any]:
    """The request with its integer fields written as ``1.0`` read as ints.

    Validation accepts ``1.0`` where an integer is expected (as Jackson does);
    ids are looked up and stored as ints, so they must be ints here.
    """
    out = dict(request)
    if "orderID" in out:
        out["orderID"] = as_integer(out["orderID"])
    packages = out.get("packageAssignment")
    if isinstance(packages, list):
        out["packageAssignment"] = [_whole_package(p) for p in packages]
    return out


def _whole_package(package: Any) -> Any:
    if not isinstance(package, Mapping):
        return package
    out = {k: as_integer(v) if k in ("shipmentID", "locationID") else v
           for k, v in package.items()}
    items = out.get("itemAssign")
    if isinstance(items, list):
        out["itemAssign"] = [
            {k: as_integer(v) if k in ("orderItemID", "quantity") else v
             for k, v in item.items()} if isinstance(item, Mapping) else item
            for item in items
        ]
    return out


def package_kind(package: Mapping[str, Any]) -> str:
    """assign, cancel or backorder, from ``shipmentStatus`` (absent means assign)."""
    status = package.get("shipmentStatus")
    if status == CANCELLED:
        return CANCEL_KIND
    if status == BACKORDER:
        return BACKORDER_KIND
    return ASSIGN_KIND


def refresh_order(order: Record) -> Record:
    """Recompute every derived field (item states, order status, totals) in place.

    Also used by the seeder, so hand-written fixtures only state the essentials.
    """
    shipments = order.setdefault("shipments", [])
    for shipment in shipments:
        shipment["items"] = [i for i in shipment.get("items", []) if i["quantity"] > 0]
        if shipment["shipmentStatus"] in ACTIVE_SHIPMENT and not shipment["items"]:
            shipment["shipmentStatus"] = CANCELLED
        shipment["shipmentStateName"] = STATE_NAMES[shipment["shipmentStatus"]]
    subtotal = 0.0
    tax = 0.0
    for item in order["items"]:
        item.setdefault("canceledQuantity", 0)
        item.setdefault("dispositions", [])
        item.setdefault("itemTaxAmount", 0.0)
        item.setdefault("itemTaxRate", 0.0)
        open_qty = item["quantity"] - item["canceledQuantity"]
        holders = [s for s in shipments if s["shipmentStatus"] in ACTIVE_SHIPMENT
                   and _held(s, item["orderItemID"]) > 0]
        item["itemState"] = ITEM_CANCELED if open_qty == 0 else ITEM_NORMAL
        item["unassignedQuantity"] = open_qty - sum(_held(s, item["orderItemID"]) for s in holders)
        item["shipmentID"] = max((s["shipmentID"] for s in holders), default=None)
        subtotal += item["unitPrice"] * open_qty
        if item["quantity"]:
            tax += item["itemTaxAmount"] * open_qty / item["quantity"]
    tax += sum(s.get("shippingTaxAmount", 0.0) for s in shipments
               if s["shipmentStatus"] in ACTIVE_SHIPMENT)
    subtotal = round(subtotal, 2)
    shipping = round(float(order.get("estimatedShipping", 0.0)), 2)
    if all(i["quantity"] == i["canceledQuantity"] for i in order["items"]):
        shipping = 0.0  # every item cancelled: nothing is left to ship
    order.update(
        subtotal=subtotal,
        customerSubtotal=subtotal,
        estimatedShipping=shipping,
        totalTax=round(tax, 2),
        customerTotalNet=round(subtotal + shipping, 2),
    )
    order["total"] = order["customerTotal"] = round(subtotal + shipping + tax, 2)
    order["orderStatus"] = _order_status(order)
    order["orderState"] = "CLOSED" if order["orderStatus"] == ORDER_CANCELED else "OPEN"
    for item in order["items"]:
        _reorder(item, ITEM_FIELDS)
    for shipment in shipments:
        _reorder(shipment, SHIPMENT_FIELDS)
    return _reorder(order, ORDER_FIELDS)


def _reorder(record: Record, fields: tuple[str, ...]) -> Record:
    """Known fields first in a fixed order, any others after them."""
    ordered = {name: record[name] for name in fields if name in record}
    ordered.update((k, v) for k, v in record.items() if k not in ordered)
    record.clear()
    record.update(ordered)
    return record


# --- step 1: the shape of the request --------------------------------------------------


def _check_shape(request: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The per-option rules the schema cannot express; every problem is reported."""
    missing: list[str] = []
    invalid: list[str] = []
    for name in ("orderID", "packageAssignment"):
        if name not in request:
            missing.append(f"body.{name}: is required")
    packages = request.get("packageAssignment") or []
    if "packageAssignment" in request and not packages:
        missing.append("body.packageAssignment: needs at least one package")
    for index, package in enumerate(packages):
        where = f"body.packageAssignment[{index}]"
        kind = package_kind(package)
        status = package.get("shipmentStatus")
        if status is not None and status not in (READY, ASSIGNED, CANCELLED, BACKORDER):
            invalid.append(f"{where}.shipmentStatus: {status!r} is not one of READY, "
                           "ASSIGNED, CANCELLED, BACKORDER")
        if kind == ASSIGN_KIND:
            _check_assign_shape(package, where, missing, invalid)
        elif kind == CANCEL_KIND:
            _check_cancel_shape(package, where, missing, invalid)
        elif "backOrderReleaseDate" not in package:
            missing.append(f"{where}.backOrderReleaseDate: is required when shipmentStatus "
                           "is BACKORDER")
        else:
            _check_date(package["backOrderReleaseDate"], f"{where}.backOrderReleaseDate", invalid)
        _check_items_shape(package, kind, where, missing, invalid)
    if missing:
        raise Problem(400, "Missing request data", missing + invalid,
                      kind="validation_failure", error_code=MISSING_REQUEST_DATA)
    if invalid:
        raise Problem(400, "Invalid request data", invalid,
                      kind="validation_failure", error_code=INVALID_REQUEST_DATA)
    return list(packages)


def _check_assign_shape(
    package: Mapping[str, Any], where: str, missing: list[str], invalid: list[str]
) -> None:
    if not any(name in package for name in ASSIGN_TRIGGERS):
        missing.append(f"{where}: an assign package needs at least one of "
                       + ", ".join(ASSIGN_TRIGGERS))
    if package.get("autoAssign") is True and "locationID" in package:
        invalid.append(f"{where}.locationID: cannot be combined with autoAssign true")
    if "backOrderReleaseDate" in package:
        invalid.append(f"{where}.backOrderReleaseDate: only allowed when shipmentStatus "
                       "is BACKORDER")


def _check_cancel_shape(
    package: Mapping[str, Any], where: str, missing: list[str], invalid: list[str]
) -> None:
    if not package.get("itemAssign"):
        missing.append(f"{where}.itemAssign: is required when shipmentStatus is CANCELLED")
    for name in (*SHIPMENT_ONLY, "backOrderReleaseDate"):
        if name in package:
            invalid.append(f"{where}.{name}: not allowed when shipmentStatus is CANCELLED")


def _check_items_shape(
    package: Mapping[str, Any], kind: str, where: str, missing: list[str], invalid: list[str]
) -> None:
    seen: set[int] = set()
    for index, item in enumerate(package.get("itemAssign") or []):
        at = f"{where}.itemAssign[{index}]"
        if "orderItemID" not in item:
            missing.append(f"{at}.orderItemID: is required")
        elif item["orderItemID"] in seen:
            invalid.append(f"{at}.orderItemID: item {item['orderItemID']} is listed twice "
                           "in this package")
        else:
            seen.add(item["orderItemID"])
        reason = item.get("dispositionReason")
        if kind == CANCEL_KIND and reason is None:
            missing.append(f"{at}.dispositionReason: is required when shipmentStatus "
                           "is CANCELLED")
        if kind != CANCEL_KIND and reason is not None:
            invalid.append(f"{at}.dispositionReason: only allowed when shipmentStatus "
                           "is CANCELLED")
        if reason is not None and reason not in DISPOSITION_REASONS:
            invalid.append(f"{at}.dispositionReason: {reason!r} is not one of "
                           + ", ".join(DISPOSITION_REASONS))
        other = item.get("dispositionOtherReason")
        if reason == "other" and not other:
            missing.append(f"{at}.dispositionOtherReason: is required when "
                           "dispositionReason is 'other'")
        if other is not None and reason != "other":
            invalid.append(f"{at}.dispositionOtherReason: only allowed when "
                           "dispositionReason is 'other'")
        if isinstance(other, str) and len(other) > 255:
            invalid.append(f"{at}.dispositionOtherReason: longer than 255 characters")
        quantity = item.get("quantity")
        if quantity is not None and quantity < 1:
            invalid.append(f"{at}.quantity: must be at least 1")


def _check_date(value: Any, where: str, invalid: list[str]) -> None:
    try:
        parse_iso(str(value))
    except ValueError:
        invalid.append(f"{where}: {value!r} is not an RFC 3339 date-time")


# --- steps 2 and 3: the order and the ids it references -----------------------------------


def _load_order(tx: Transaction, order_id: Any, where: str) -> Record:
    order = tx.get(ORDERS, str(order_id))
    if order is None:
        raise Problem(404, "Order not found", [f"{where}: no order {order_id}"],
                      kind="not_found", resource_id=str(order_id), error_code=GENERIC_NOT_FOUND)
    return order


def _check_references(
    order: Record, packages: list[Mapping[str, Any]], locations: Mapping[int, Record]
) -> None:
    item_ids = {item["orderItemID"] for item in order["items"]}
    shipment_ids = {s["shipmentID"] for s in order["shipments"]}
    wrong: list[str] = []
    for index, package in enumerate(packages):
        where = f"body.packageAssignment[{index}]"
        if "shipmentID" in package and package["shipmentID"] not in shipment_ids:
            wrong.append(f"{where}.shipmentID: order {order['orderID']} has no shipment "
                         f"{package['shipmentID']}")
        if "locationID" in package and package["locationID"] not in locations:
            wrong.append(f"{where}.locationID: no location {package['locationID']}")
        for number, item in enumerate(package.get("itemAssign") or []):
            if item["orderItemID"] not in item_ids:
                wrong.append(f"{where}.itemAssign[{number}].orderItemID: order "
                             f"{order['orderID']} has no item {item['orderItemID']}")
    if wrong:
        raise Problem(400, "Invalid ID", wrong, kind="validation_failure", error_code=INVALID_ID)


# --- step 4: applying packages ---------------------------------------------------------


def _held(shipment: Mapping[str, Any], item_id: int) -> int:
    return sum(i["quantity"] for i in shipment.get("items", []) if i["orderItemID"] == item_id)


def _item(order: Record, item_id: int) -> Record:
    return next(i for i in order["items"] if i["orderItemID"] == item_id)


def _open(item: Mapping[str, Any]) -> int:
    return int(item["quantity"]) - int(item.get("canceledQuantity", 0))


def _active(order: Record) -> list[Record]:
    return [s for s in order["shipments"] if s["shipmentStatus"] in ACTIVE_SHIPMENT]


def _unassigned(order: Record, item: Mapping[str, Any]) -> int:
    return _open(item) - sum(_held(s, item["orderItemID"]) for s in _active(order))


def _set_held(shipment: Record, item_id: int, quantity: int) -> None:
    for entry in shipment["items"]:
        if entry["orderItemID"] == item_id:
            entry["quantity"] = quantity
            return
    shipment["items"].append({"orderItemID": item_id, "quantity": quantity})


def _check_quantity(where: str, wanted: int, item: Mapping[str, Any]) -> None:
    """5015 when ``wanted`` is more than the item has open (ordered minus cancelled)."""
    if _open(item) == 0:
        detail = f"{where}.orderItemID: item {item['orderItemID']} is fully cancelled"
    elif wanted > _open(item):
        detail = (f"{where}.quantity: {wanted} is more than the {_open(item)} still open "
                  f"for item {item['orderItemID']}")
    else:
        return
    raise Problem(400, "Invalid request data", [detail], kind="validation_failure",
                  error_code=INVALID_REQUEST_DATA)


def _next_shipment_id(tx: Transaction) -> int:
    """Above every shipment id in the tenant, so ids stay unique after a state import."""
    highest = SHIPMENT_ID_FLOOR
    for order in tx.values(ORDERS):
        for shipment in order.get("shipments", []):
            highest = max(highest, int(shipment["shipmentID"]))
    return highest + 1


def _target_shipment(
    order: Record, package: Mapping[str, Any], next_id: int, stamp: str
) -> tuple[Record, bool]:
    if "shipmentID" in package:
        wanted = package["shipmentID"]
        return next(s for s in order["shipments"] if s["shipmentID"] == wanted), False
    shipment: Record = {
        "shipmentID": next_id,
        "shipmentStatus": ASSIGNED,
        "shipmentStateName": STATE_NAMES[ASSIGNED],
        "locationID": None,
        "locationName": None,
        "autoAssigned": False,
        "shippingAmount": 0.0,
        "shippingTaxAmount": 0.0,
        "shippingTaxRate": 0.0,
        "backOrderReleaseDate": None,
        "createdAt": stamp,
        "modifiedAt": stamp,
        "items": [],
    }
    order["shipments"].append(shipment)
    return shipment, True


def choose_location(locations: Mapping[int, Record]) -> Record | None:
    """Automatic assignment: the active location with the lowest ``autoAssignRank``,
    then the lowest id. Deterministic, so tests and QA know where items go."""
    candidates = [loc for loc in locations.values() if loc.get("active", True)]
    if not candidates:
        return None
    return min(candidates, key=lambda loc: (loc.get("autoAssignRank", 1000), loc["locationID"]))


def _place(
    shipment: Record, package: Mapping[str, Any], kind: str, where: str,
    locations: Mapping[int, Record], created: bool,
) -> None:
    """Decide the shipment's location: manual, kept, automatic (or none on backorder)."""
    location: Record | None = None
    if "locationID" in package:
        location = locations[package["locationID"]]
        if not location.get("active", True):
            raise Problem(400, "Invalid request data",
                          [f"{where}.locationID: location {location['locationID']} is not "
                           "active"], kind="validation_failure", error_code=INVALID_REQUEST_DATA)
        shipment["autoAssigned"] = False
    elif package.get("autoAssign") is True or (
        kind == ASSIGN_KIND and created and shipment["locationID"] is None
    ):
        location = choose_location(locations)
        if location is None:
            raise Problem(400, "Invalid request data",
                          [f"{where}.autoAssign: no active location can take the shipment"],
                          kind="validation_failure", error_code=INVALID_REQUEST_DATA)
        shipment["autoAssigned"] = True
    if location is not None:
        shipment["locationID"] = location["locationID"]
        shipment["locationName"] = location.get("name")


def _apply_assign(
    order: Record, shipment: Record, package: Mapping[str, Any], kind: str, where: str,
    locations: Mapping[int, Record], rectify: bool, created: bool, stamp: str,
) -> None:
    if shipment["shipmentStatus"] == CANCELLED:
        raise Problem(400, "Invalid request data",
                      [f"{where}.shipmentID: shipment {shipment['shipmentID']} is cancelled"],
                      kind="validation_failure", error_code=INVALID_REQUEST_DATA)
    _place(shipment, package, kind, where, locations, created)
    if kind == BACKORDER_KIND:
        shipment["shipmentStatus"] = BACKORDER
        # Echoed as sent: the Get Order structure documents no normalised form.
        shipment["backOrderReleaseDate"] = package["backOrderReleaseDate"]
    else:
        status = package.get("shipmentStatus") or (READY if rectify else ASSIGNED)
        shipment["shipmentStatus"] = status
        shipment["backOrderReleaseDate"] = None
    for name in ("shippingAmount", "shippingTaxAmount", "shippingTaxRate"):
        if name in package:
            shipment[name] = float(package[name])
    shipment["modifiedAt"] = stamp
    wanted = _wanted_items(order, shipment, package, where)
    for item_id, quantity, entry_where in wanted:
        _move_into(order, shipment, _item(order, item_id), quantity, entry_where)
    for item in package.get("itemAssign") or []:
        target = _item(order, item["orderItemID"])
        for name in ("itemTaxAmount", "itemTaxRate"):
            if name in item:
                target[name] = float(item[name])
    # A shipment emptied by moves is cancelled; so is one that received nothing.
    for other in _active(order):
        if not any(i["quantity"] > 0 for i in other["items"]):
            other["shipmentStatus"] = CANCELLED
            other["modifiedAt"] = stamp
    if shipment["shipmentStatus"] == CANCELLED:
        raise Problem(400, "Invalid request data",
                      [f"{where}: nothing is left to assign in order {order['orderID']}"],
                      kind="validation_failure", error_code=INVALID_REQUEST_DATA)


def _wanted_items(
    order: Record, shipment: Record, package: Mapping[str, Any], where: str
) -> list[tuple[int, int, str]]:
    """(item id, quantity the shipment must hold, where) for every item of the package.

    Without ``itemAssign`` a new shipment takes every unassigned open quantity;
    an existing one keeps its items.
    """
    listed = package.get("itemAssign")
    if listed:
        out = []
        for index, entry in enumerate(listed):
            item = _item(order, entry["orderItemID"])
            quantity = entry.get("quantity", _open(item))
            out.append((item["orderItemID"], quantity, f"{where}.itemAssign[{index}]"))
        return out
    if "shipmentID" in package:
        return []
    return [
        (item["orderItemID"], _held(shipment, item["orderItemID"]) + _unassigned(order, item),
         where)
        for item in order["items"] if _unassigned(order, item) > 0
    ]


def _move_into(order: Record, shipment: Record, item: Record, quantity: int, where: str) -> None:
    """Make ``shipment`` hold exactly ``quantity`` of ``item``, taking the unassigned
    quantity first and then moving it out of other shipments, oldest first (reassign)."""
    item_id = item["orderItemID"]
    _check_quantity(where, quantity, item)
    _set_held(shipment, item_id, quantity)
    # Negative "unassigned" is what other shipments must give up; a surplus of the
    # target simply becomes unassigned again.
    excess = -_unassigned(order, item)
    for other in sorted(_active(order), key=lambda s: s["shipmentID"]):
        if excess <= 0:
            break
        if other is shipment:
            continue
        taken = min(excess, _held(other, item_id))
        if taken:
            _set_held(other, item_id, _held(other, item_id) - taken)
            excess -= taken


def _apply_cancel(
    order: Record, package: Mapping[str, Any], where: str, stamp: str
) -> list[dict[str, int]]:
    """Cancel quantities: unassigned first, then out of shipments, newest first."""
    touched = []
    for index, entry in enumerate(package["itemAssign"]):
        item = _item(order, entry["orderItemID"])
        at = f"{where}.itemAssign[{index}]"
        quantity = entry.get("quantity", _open(item))
        _check_quantity(at, quantity, item)
        free = max(0, _unassigned(order, item))
        need = quantity - min(quantity, free)
        for shipment in sorted(_active(order), key=lambda s: s["shipmentID"], reverse=True):
            if need <= 0:
                break
            taken = min(need, _held(shipment, item["orderItemID"]))
            if taken:
                _set_held(shipment, item["orderItemID"],
                          _held(shipment, item["orderItemID"]) - taken)
                shipment["modifiedAt"] = stamp
                need -= taken
        item["canceledQuantity"] = int(item.get("canceledQuantity", 0)) + quantity
        disposition: dict[str, Any] = {
            "quantity": quantity,
            "dispositionReason": entry["dispositionReason"],
            "canceledAt": stamp,
        }
        if "dispositionOtherReason" in entry:
            disposition["dispositionOtherReason"] = entry["dispositionOtherReason"]
        item.setdefault("dispositions", []).append(disposition)
        touched.append({"orderItemID": item["orderItemID"], "quantity": quantity})
    for shipment in _active(order):
        if not any(i["quantity"] > 0 for i in shipment["items"]):
            shipment["shipmentStatus"] = CANCELLED
            shipment["modifiedAt"] = stamp
    return touched


def _order_status(order: Record) -> str:
    """CANCELED when nothing is open; NEW / PARTIALLY_ASSIGNED while some open
    quantity has no shipment; else READY, BACKORDER or ASSIGNED by its shipments."""
    items = order["items"]
    if all(_open(item) == 0 for item in items):
        return ORDER_CANCELED
    active = [s for s in _active(order) if s["items"]]
    if not active:
        return "NEW"
    if any(item["unassignedQuantity"] > 0 for item in items):
        return "PARTIALLY_ASSIGNED"
    statuses = {s["shipmentStatus"] for s in active}
    if statuses == {READY}:
        return READY
    if statuses == {BACKORDER}:
        return BACKORDER
    return ASSIGNED


def _record_emails(
    tx: Transaction, order: Record, packages: list[dict[str, Any]], stamp: str
) -> None:
    """One customer email per package, kept so QA can assert on what would be sent."""
    numbers = [int(key[6:]) for key in tx.keys(EMAILS)
               if key.startswith("email-") and key[6:].isdigit()]
    existing = max(numbers, default=0)  # ids stay unique after a state import
    address = (order.get("shippingAddress") or {}).get("email")
    for offset, package in enumerate(packages, start=1):
        template, subject = EMAIL_TEMPLATES[package["kind"]]
        email_id = f"email-{existing + offset}"
        tx.put(EMAILS, email_id, {
            "emailID": email_id,
            "orderID": order["orderID"],
            "to": address,
            "template": template,
            "subject": subject.format(order=order["orderID"]),
            "shipmentID": package["shipmentID"],
            "items": package["items"],
            "sentAt": stamp,
        })
